/**
 * `cq gateway`, `cq gateway verdict` and `cq gateway bless` as real processes (SPEC §13): the
 * listening line, clean SIGTERM, one-line reasons on failure, and a gateway killed with
 * SIGKILL in the middle of a pipeline that resumes when started again. Needs `npm run build`.
 */
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CUSTOMER_IDENTIFIER } from '../../src-shared/config/schema.js';
import { openGatewayStore } from '../../src-main/gateway/store/gateway-store.js';
import { runCq, startCq, type CqProcess } from '../helpers/cli.js';
import { rawRequest, type RawResponse } from '../helpers/http.js';
import { forwardRequest } from '../helpers/samples.js';
import { tempDir } from '../helpers/temp.js';
import { makeTestCertificate } from '../helpers/tls.js';
import { waitFor } from '../helpers/wait.js';

const RULES = fileURLToPath(new URL('../fixtures/research-rules/', import.meta.url));
const LOOPBACK = {
  'X-Customer-Identifier': DEFAULT_CUSTOMER_IDENTIFIER,
  'X-Customer-Credentials': '',
};

function portOf(proc: CqProcess): number {
  const address = proc.listening.get('gateway')![0]!;
  expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
  return Number(address.split(':')[1]);
}

function program(marker: string): Buffer {
  return Buffer.concat([Buffer.from('MZ'), randomBytes(2000), Buffer.from(marker)]);
}

async function submit(
  port: number,
  bytes: Buffer,
  overrides: Record<string, string> = {},
): Promise<string> {
  const { headers, body } = forwardRequest(bytes, overrides);
  const res = await rawRequest({
    port,
    path: '/v1/samples',
    headers: { ...LOOPBACK, ...headers },
    body,
  });
  expect(res.status, res.xError).toBe(202);
  return res.headers['x-analysis-cookie'] as string;
}

function status(port: number, cookie: string): Promise<RawResponse> {
  return rawRequest({ port, method: 'GET', path: `/v1/samples/${cookie}`, headers: LOOPBACK });
}

function until(
  port: number,
  cookie: string,
  done: (res: RawResponse) => boolean,
  what: string,
): Promise<RawResponse> {
  return waitFor(async () => {
    const res = await status(port, cookie);
    return done(res) ? res : null;
  }, what);
}

/** `cq gateway` on a free port with the test research rules and the given timings. */
function startGateway(dataDir: string, timings: string): Promise<CqProcess> {
  return startCq(
    [
      'gateway',
      '--data-dir',
      dataDir,
      '--port',
      '0',
      '--timings',
      timings,
      '--research-rules',
      RULES,
    ],
    ['gateway'],
  );
}

describe('cq gateway', () => {
  it('runs, takes an expert verdict and a bless from other processes, and stops on SIGTERM', async () => {
    const dataDir = tempDir('cq-gw-cli-');
    const proc = await startGateway(dataDir, 'fast');
    const port = portOf(proc);
    const cookie = await submit(port, program('CQ-RESEARCH-ASK-AN-EXPERT'));
    await until(port, cookie, (r) => r.headers['x-analysis-state'] === 'deferred', 'deferred');

    const verdict = await runCq([
      'gateway',
      'verdict',
      cookie,
      '--state',
      'infected',
      '--virus',
      'Cli.Expert-1',
      '--data-dir',
      dataDir,
    ]);
    expect(verdict.code, verdict.stderr).toBe(0);
    expect(verdict.stdout).toBe(`verdict recorded: ${cookie} signatures (building definitions)\n`);
    const final = await until(
      port,
      cookie,
      (r) => r.headers['x-date-finished'] !== undefined,
      'final',
    );
    expect(final.headers['x-analysis-state']).toBe('infected');
    expect(final.headers['x-analysis-virus-name']).toBe('Cli.Expert-1');
    expect(final.headers['x-signatures-sequence']).toBe('00000002');

    const bless = await runCq(['gateway', 'bless', '2', '--data-dir', dataDir]);
    expect(bless.code, bless.stderr).toBe(0);
    expect(bless.stdout).toMatch(/^blessed 00000002 version \d{4}\.\d{2}\.\d{2}\.\d{3}\n$/);
    const newest = await rawRequest({
      port,
      method: 'GET',
      path: '/v1/signatures/newest?certified=1',
      headers: LOOPBACK,
    });
    expect(newest.headers['x-signatures-sequence']).toBe('00000002');

    expect(await proc.stop('SIGTERM')).toBe(0);
    expect(proc.output()).toContain('stopping');
    expect(fs.readFileSync(path.join(dataDir, 'logs', 'gateway.log'), 'utf8')).toContain(
      '[gateway]',
    );
  });

  it('resumes a pipeline after being killed with SIGKILL', async () => {
    const dataDir = tempDir('cq-gw-kill-');
    const timings = path.join(dataDir, 'slow.json');
    fs.writeFileSync(timings, JSON.stringify({ base: 'fast', stages: { binaryControlling: 2 } }));
    const first = await startGateway(dataDir, timings);
    const cookie = await submit(portOf(first), program('CQ-RESEARCH-NEW-THREAT-1'));
    await until(
      portOf(first),
      cookie,
      (r) => r.headers['x-analysis-state'] === 'binaryControlling',
      'binaryControlling',
    );
    expect(await first.stop('SIGKILL')).toBeNull();

    const second = await startGateway(dataDir, 'fast');
    const final = await until(
      portOf(second),
      cookie,
      (r) => r.headers['x-date-finished'] !== undefined,
      'final',
    );
    expect(final.headers['x-analysis-state']).toBe('infected');
    expect(final.headers['x-signatures-sequence']).toBe('00000002');
    expect(await second.stop()).toBe(0);
  });

  it('serves listed customers only, over TLS, when given a customers file and a certificate', async () => {
    const dataDir = tempDir('cq-gw-tls-');
    const customers = path.join(dataDir, 'customers.json');
    const alice = {
      identifier: '100001-ALICEplatinum 1',
      credentials: 's3cret',
      name: 'Alice',
      serviceClass: 'platinum',
    };
    fs.writeFileSync(customers, JSON.stringify([alice]));
    const cert = makeTestCertificate();
    const proc = await startCq(
      [
        'gateway',
        '--data-dir',
        dataDir,
        '--port',
        '0',
        '--customers',
        customers,
        '--tls-cert',
        cert.certFile,
        '--tls-key',
        cert.keyFile,
      ],
      ['gateway'],
    );
    const ask = (headers: Record<string, string>): Promise<{ status: number; xError: unknown }> =>
      new Promise((resolve, reject) => {
        https
          .get(
            {
              host: '127.0.0.1',
              port: portOf(proc),
              path: '/v1/signatures/newest',
              headers,
              ca: cert.cert,
            },
            (r) => {
              r.resume();
              r.on('end', () =>
                resolve({ status: r.statusCode ?? 0, xError: r.headers['x-error'] }),
              );
            },
          )
          .on('error', reject);
      });
    expect(
      await ask({ 'X-Customer-Identifier': alice.identifier, 'X-Customer-Credentials': 's3cret' }),
    ).toEqual({
      status: 200,
      xError: undefined,
    });
    expect(await ask(LOOPBACK)).toEqual({ status: 403, xError: 'declined' });
    expect(await proc.stop()).toBe(0);
  });

  it.each([
    [
      'a customers file with a bad service class',
      (dir: string) => {
        const file = path.join(dir, 'customers.json');
        fs.writeFileSync(
          file,
          JSON.stringify([{ identifier: 'a', credentials: '', name: 'A', serviceClass: 'silver' }]),
        );
        return ['gateway', '--data-dir', dir, '--port', '0', '--customers', file];
      },
      /customers\.json: \[0\]\.serviceClass: must be 'gold' or 'platinum'/,
    ],
    [
      'unknown timings',
      (dir: string) => ['gateway', '--data-dir', dir, '--timings', 'glacial'],
      /--timings must be fast, normal or a JSON file/,
    ],
    [
      'a missing research rules folder',
      (dir: string) => [
        'gateway',
        '--data-dir',
        dir,
        '--port',
        '0',
        '--research-rules',
        path.join(dir, 'none'),
      ],
      /cannot read research rules/,
    ],
    [
      '--tls-cert without --tls-key',
      (dir: string) => ['gateway', '--data-dir', dir, '--tls-cert', 'x.pem'],
      /--tls-cert and --tls-key go together/,
    ],
    ['no --data-dir', () => ['gateway', '--port', '0'], /required option '--data-dir <dir>'/],
    [
      'a verdict for an unknown cookie',
      (dir: string) => {
        openGatewayStore(dir).close();
        return ['gateway', 'verdict', 'NOPE', '--state', 'uninfected', '--data-dir', dir];
      },
      /^cq: no submission has cookie NOPE$/m,
    ],
    [
      'a verdict with a state that is not final',
      (dir: string) => ['gateway', 'verdict', 'X', '--state', 'deferred', '--data-dir', dir],
      /--state must be one of/,
    ],
    [
      'an infected verdict without a virus',
      (dir: string) => ['gateway', 'verdict', 'X', '--state', 'infected', '--data-dir', dir],
      /needs --virus NAME/,
    ],
    [
      'blessing in a folder without a gateway',
      (dir: string) => ['gateway', 'bless', '2', '--data-dir', dir],
      /no gateway database/,
    ],
  ])('%s → exit 1 with a one-line reason', async (_label, args, reason) => {
    const result = await runCq(args(tempDir('cq-gw-bad-')));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(reason);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});
