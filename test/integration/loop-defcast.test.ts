/**
 * Closing the loop to the infected computers (issue 6, SPEC §3.2, §4.5) with real processes on
 * loopback (`npm run build` first): a gateway with fast timings, a server, and endpoint agents
 * (`cq client`) — alpha and bravo managed, charlie nonmanaged, and delta, a managed endpoint
 * that goes away for good. A new threat captured on the endpoints goes through server and
 * gateway; the fixing set is pushed to alpha, which installs it, repairs its local copy and
 * reports installed; charlie's sample gets the download notice with a URL serving the exact
 * package; bravo, down during delivery, gets the set when it comes back; delta ends
 * `notinstalled`.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ClientStore, type LocalItem } from '../../src-main/client/client-store.js';
import { md5Hex } from '../../src-main/codec/content.js';
import {
  connectControl,
  type ConnectedControlClient,
} from '../../src-main/transport/rpc-client.js';
import { runCq, startCq, type CqProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const RULES = fileURLToPath(new URL('../fixtures/research-rules/', import.meta.url));
const LOOP_MS = 120_000;
const GUIDS = {
  alpha: 'A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1',
  bravo: 'B2B2B2B2B2B2B2B2B2B2B2B2B2B2B2B2',
  delta: 'D4D4D4D4D4D4D4D4D4D4D4D4D4D4D4D4',
};
/** A shell script the gateway's research rules call a new threat (with an excise repair). */
const THREAT = Buffer.from(
  '#!/bin/sh\necho "installing updates"\necho CQ-RESEARCH-NEW-THREAT-1\nexit 0\n',
);

let control: ConnectedControlClient | undefined;
afterAll(async () => {
  await control?.close();
});

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function portOf(p: CqProcess, name: string): number {
  return Number(/:(\d+)$/.exec(p.listening.get(name)![0]!)![1]);
}

function items(dataDir: string): LocalItem[] {
  const store = ClientStore.open(dataDir);
  try {
    return store.list();
  } finally {
    store.close();
  }
}

interface Endpoint {
  readonly name: string;
  readonly dataDir: string;
  readonly port: number;
  readonly args: string[];
  process: CqProcess;
}

async function startEndpoint(name: string, intake: string, guid: string | null): Promise<Endpoint> {
  const dataDir = tempDir(`cq-e2e-${name}-`);
  const port = guid ? await freePort() : 0;
  const args = [
    'client',
    '--data-dir',
    dataDir,
    '--server',
    intake,
    '--host',
    '127.0.0.1',
    '--defcast-port',
    String(port),
    '--platform-host',
    `${name}.example.test`,
    '--action',
    'repair',
    '--poll-seconds',
    '1',
    '--retry-seconds',
    '2',
    '--timeout-seconds',
    '10',
    ...(guid ? ['--guid', guid] : ['--nonmanaged']),
  ];
  const process = await startCq(args, guid ? ['defcast'] : []);
  return { name, dataDir, port, args, process };
}

/** Capture the threat on an endpoint; resolves with the server's sample id once forwarded. */
async function capture(endpoint: Endpoint): Promise<string> {
  const file = path.join(tempDir(`cq-e2e-files-${endpoint.name}-`), 'update.sh');
  fs.writeFileSync(file, THREAT);
  const result = await runCq(['client', 'capture', file, '--data-dir', endpoint.dataDir]);
  expect(result.code, result.stderr).toBe(0);
  return waitFor(() => items(endpoint.dataDir)[0]?.serverId, `${endpoint.name} forwarded`);
}

function download(url: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

describe('Defcast closes the loop', () => {
  it('pushes the fixing set to managed endpoints, retries the one that was down, alerts for the nonmanaged one', async () => {
    const gateway = await startCq(
      [
        'gateway',
        '--data-dir',
        tempDir('cq-e2e-gateway-'),
        '--port',
        '0',
        '--research-rules',
        RULES,
        '--timings',
        'fast',
      ],
      ['gateway'],
    );
    const serverDir = tempDir('cq-e2e-server-');
    const configFile = path.join(tempDir('cq-e2e-config-'), 'config.json');
    fs.writeFileSync(
      configFile,
      JSON.stringify({
        samplePolicy: {
          automaticSubmission: false,
          queueCheckIntervalSeconds: 1,
          statusQueryIntervalSeconds: 1,
        },
        definitionPolicy: { certifiedDefinitionsIntervalSeconds: 3600 },
        installDefinitions: { deliveryRetryIntervalSeconds: 1, deliveryMaxAttempts: 12 },
      }),
    );
    const server = await startCq(
      [
        'server',
        '--data-dir',
        serverDir,
        '--port',
        '0',
        '--no-control',
        '--gateway',
        `http://127.0.0.1:${portOf(gateway, 'gateway')}`,
        '--config',
        configFile,
      ],
      ['intake', 'control'],
    );
    const intake = server.listening.get('intake')![0]!;
    control = await connectControl({ socket: server.listening.get('control')![0]! });
    const api = control;
    const status = async (id: string): Promise<string> =>
      (await api.call('samples.get', { id })).sample.status;

    // Every endpoint reports the threat; automatic submission is off, so the samples wait
    // (held) until the administrator releases them — by then bravo and delta are offline.
    const alpha = await startEndpoint('alpha', intake, GUIDS.alpha);
    const bravo = await startEndpoint('bravo', intake, GUIDS.bravo);
    const charlie = await startEndpoint('charlie', intake, null);
    const delta = await startEndpoint('delta', intake, GUIDS.delta);
    const samples = await Promise.all([alpha, bravo, charlie, delta].map((e) => capture(e)));
    const [alphaSample, bravoSample, charlieSample, deltaSample] = samples as [
      string,
      string,
      string,
      string,
    ];
    for (const id of samples)
      await waitFor(async () => (await status(id)) === 'held', `sample ${id} held`);
    expect(await bravo.process.stop()).toBe(0);
    await delta.process.stop('SIGKILL');
    expect((await api.call('samples.release', { ids: samples })).done).toEqual(samples);

    // Alpha: through the gateway, a new set, pushed, installed, local copy repaired.
    await waitFor(
      async () => (await status(alphaSample)) === 'installed',
      'alpha installed',
      LOOP_MS,
    );
    const detail = await api.call('samples.get', { id: alphaSample });
    const moves = detail.history
      .filter((h) => h.action === 'transition')
      .map((h) => `${h.from}→${h.to}`);
    expect(moves).toEqual([
      'quarantined→held',
      'held→released',
      'released→submitted',
      'submitted→needed',
      'needed→distribute',
      'distribute→distributed',
      'distributed→installed',
    ]);
    const sequence = Number(detail.attributes['X-Signatures-Sequence']);
    expect(sequence).toBeGreaterThan(1);
    expect(detail.attributes['X-Analysis-Virus-Name']).toBe('Cq.Research.Body-1');
    expect(detail.attributes['X-Date-Installed']).toMatch(/GMT$/);
    expect(detail.history.find((h) => h.to === 'installed')!.reason).toMatch(
      new RegExp(`runs definitions ${sequence}; its local copy was repaired`),
    );
    const alphaItem = await waitFor(() => {
      const item = items(alpha.dataDir)[0];
      return item?.state === 'repaired' ? item : null;
    }, 'alpha repaired its copy');
    expect(alphaItem).toMatchObject({
      action: 'repaired',
      actionSequence: sequence,
      serverId: alphaSample,
    });
    const definitionsPointer = JSON.parse(
      fs.readFileSync(path.join(alpha.dataDir, 'definitions', 'current.json'), 'utf8'),
    ) as { sequence: number; certified: boolean };
    expect(definitionsPointer).toMatchObject({ sequence, certified: false });

    // Charlie (nonmanaged): the download notice on its Errors tab and in the Quarantine Log.
    const notice = await waitFor(
      async () => {
        const d = await api.call('samples.get', { id: charlieSample });
        return d.errors.find((e) => e.source === 'defcast');
      },
      'the nonmanaged notice',
      LOOP_MS,
    );
    expect(await status(charlieSample)).toBe('available');
    expect(notice).toMatchObject({
      code: 'declined',
      params: ['nonmanaged', `http://${intake}/definitions/${sequence}`],
    });
    const url = notice.params[1]!;
    const { entries } = await api.call('log.query', { text: url, limit: 50 });
    expect(entries.some((e) => e.sampleId === charlieSample && e.level === 'warn')).toBe(true);
    const offered = await download(url);
    expect(offered.status).toBe(200);
    // The package file as the server imported it from the gateway.
    const setDir = path.join(serverDir, 'definitions', String(sequence));
    const packageFile = fs.readdirSync(setDir).find((n) => /^\d{8}\.(all|incr)\.zip$/.test(n))!;
    const stored = fs.readFileSync(path.join(setDir, packageFile));
    expect(offered.body.equals(stored)).toBe(true);

    // Bravo: attempts fail while it is down; it gets the set once it is back.
    const failing = await waitFor(
      async () => {
        const t = (await api.call('targets.list', {})).targets.find(
          (x) => x.host === 'bravo.example.test',
        );
        return t && t.attempts >= 1 ? t : null;
      },
      'a failed push to bravo',
      LOOP_MS,
    );
    expect(failing.pendingSequence).toBe(sequence);
    expect(await status(bravoSample)).toBe('distribute');
    bravo.process = await startCq(bravo.args, ['defcast']);
    await waitFor(
      async () => (await status(bravoSample)) === 'installed',
      'bravo installed',
      LOOP_MS,
    );
    await waitFor(() => items(bravo.dataDir)[0]?.state === 'repaired', 'bravo repaired its copy');
    const repaired = fs.readdirSync(path.join(bravo.dataDir, 'quarantine'));
    expect(repaired).toHaveLength(1);
    expect(
      fs
        .readFileSync(path.join(bravo.dataDir, 'quarantine', repaired[0]!))
        .includes(Buffer.from('CQ-RESEARCH')),
    ).toBe(false);

    // Delta never comes back: notinstalled after the last attempt, with the reason.
    await waitFor(
      async () => (await status(deltaSample)) === 'notinstalled',
      'delta notinstalled',
      LOOP_MS,
    );
    const deltaDetail = await api.call('samples.get', { id: deltaSample });
    expect(deltaDetail.history.find((h) => h.to === 'notinstalled')!.reason).toMatch(
      /after 12 attempt\(s\): cannot reach 127\.0\.0\.1:\d+/,
    );
    expect(deltaDetail.errors.some((e) => e.source === 'defcast' && e.code === 'lost')).toBe(true);

    const coverage = await api.call('coverage.get', { checksum: md5Hex(THREAT) });
    expect(coverage).toMatchObject({
      fixingSequence: sequence,
      endpoints: 4,
      covered: 2,
      managed: 3,
    });

    await control.close();
    control = undefined;
    for (const p of [alpha.process, bravo.process, charlie.process]) expect(await p.stop()).toBe(0);
    expect(await server.stop()).toBe(0);
    expect(await gateway.stop()).toBe(0);
  }, 300_000);
});
