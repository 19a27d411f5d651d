/**
 * The back-office pipeline (SPEC §3.3, §7) with fast timings, against real gateways on loopback
 * ports and real SQLite files: every way a sample can end, duplicates, quickcheck, deferral
 * and verdicts, failed unit tests, publishing limits, blessing, and resuming after a restart.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CUSTOMER_IDENTIFIER } from '../../src-shared/config/schema.js';
import { virusIdentifierFor } from '../../src-shared/definitions/virus-identifier.js';
import { applyVerdict, blessSequence } from '../../src-main/gateway/admin.js';
import {
  createGateway,
  type Gateway,
  type GatewayOptions,
} from '../../src-main/gateway/gateway.js';
import { openGatewayStore } from '../../src-main/gateway/store/gateway-store.js';
import { parseTimings, TIMING_PRESETS } from '../../src-main/gateway/timings.js';
import { verifyPackage } from '../../src-main/server/definitions/package.js';
import { createBuiltinEngine } from '../../src-main/server/scanner/builtin/builtin-engine.js';
import { rawRequest, type RawResponse } from '../helpers/http.js';
import { eicarBytes } from '../helpers/scan-sets.js';
import { forwardRequest } from '../helpers/samples.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const RULES = fileURLToPath(new URL('../fixtures/research-rules/', import.meta.url));
const CUSTOMER = {
  'X-Customer-Identifier': DEFAULT_CUSTOMER_IDENTIFIER,
  'X-Customer-Credentials': '',
};
const THREAT = 'CQ-RESEARCH-NEW-THREAT-1';

const gateways: Gateway[] = [];
afterAll(async () => {
  for (const g of gateways.splice(0)) await g.close();
});

interface Started {
  readonly gateway: Gateway;
  readonly port: number;
  readonly dataDir: string;
}

async function start(options: Partial<GatewayOptions> = {}): Promise<Started> {
  const dataDir = options.dataDir ?? tempDir('cq-gateway-');
  const gateway = createGateway({
    port: 0,
    timings: TIMING_PRESETS.fast,
    researchRulesDir: RULES,
    ...options,
    dataDir,
  });
  const address = await gateway.listen();
  gateways.push(gateway);
  return { gateway, port: address.port, dataDir };
}

/** A program (PE magic) with `marker` somewhere in its body. */
function program(marker = ''): Buffer {
  return Buffer.concat([
    Buffer.from('MZ'),
    randomBytes(3000),
    Buffer.from(marker),
    randomBytes(500),
  ]);
}

function submit(
  port: number,
  bytes: Buffer,
  overrides: Record<string, string | undefined> = {},
): Promise<RawResponse> {
  const { headers, body } = forwardRequest(bytes, overrides);
  return rawRequest({ port, path: '/v1/samples', headers: { ...CUSTOMER, ...headers }, body });
}

function get(port: number, route: string): Promise<RawResponse> {
  return rawRequest({ port, method: 'GET', path: route, headers: CUSTOMER });
}

async function accepted(
  port: number,
  bytes: Buffer,
  overrides: Record<string, string | undefined> = {},
): Promise<string> {
  const res = await submit(port, bytes, overrides);
  expect(res.status, res.xError).toBe(202);
  return res.headers['x-analysis-cookie'] as string;
}

/** Poll the status until `X-Date-Finished` is present (the result is final). */
function final(port: number, cookie: string): Promise<RawResponse> {
  return waitFor(async () => {
    const res = await get(port, `/v1/samples/${cookie}`);
    return res.headers['x-date-finished'] !== undefined ? res : null;
  }, `final status of ${cookie}`);
}

function inState(port: number, cookie: string, state: string): Promise<RawResponse> {
  return waitFor(async () => {
    const res = await get(port, `/v1/samples/${cookie}`);
    return res.headers['x-analysis-state'] === state ? res : null;
  }, `${cookie} in ${state}`);
}

/** The package bytes of `GET /v1/signatures/{sequence}` (fails unless 200). */
function download(port: number, sequence: number, query = ''): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    http
      .get(
        { host: '127.0.0.1', port, path: `/v1/signatures/${sequence}${query}`, headers: CUSTOMER },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            res.statusCode === 200
              ? resolve(Buffer.concat(chunks))
              : reject(new Error(`status ${res.statusCode}`)),
          );
        },
      )
      .on('error', reject);
  });
}

describe('§7 automated analysis', () => {
  let g: Started;
  const threatSample = program(THREAT);
  let threatCookie: string;

  it('a new threat becomes infected with sequence + 1 and a downloadable incremental set', async () => {
    g = await start();
    threatCookie = await accepted(g.port, threatSample);
    const res = await final(g.port, threatCookie);
    expect(res.headers['x-analysis-state']).toBe('infected');
    expect(res.headers['x-analysis-virus-name']).toBe('Cq.Research.Body-1');
    expect(res.headers['x-analysis-virus-identifier']).toBe(
      String(virusIdentifierFor('Cq.Research.Body-1')),
    );
    expect(res.headers['x-signatures-sequence']).toBe('00000002');
    expect(res.headers['x-date-analyzed']).toMatch(/ GMT$/);
    expect(res.headers['x-analysis-service']).toBeUndefined();

    const pkg = await verifyPackage(await download(g.port, 2));
    expect(pkg.manifest).toMatchObject({ sequence: 2, kind: 'incr', base: 1, certified: false });
    const hdb = pkg.files.get('gateway-00000002.hdb')!.toString();
    expect(hdb.trim()).toBe(
      `${res.headers['x-sample-checksum']!.toString().toLowerCase()}:${threatSample.length}:Cq.Research.Body-1`,
    );
    expect(pkg.files.get('gateway-00000002.ndb')!.toString()).toContain('Cq.Research.Body-1:0:*:');
    expect(JSON.parse(pkg.files.get('repair.json')!.toString())).toMatchObject({
      'Cq.Research.Body-1': { action: 'excise' },
    });

    // The whole set detects the sample with the repair recipe from the research rules.
    const full = await verifyPackage(await download(g.port, 2, '?kind=all'));
    expect(full.manifest).toMatchObject({ sequence: 2, kind: 'all' });
    const dir = tempDir('cq-set-');
    for (const [name, content] of full.files) fs.writeFileSync(path.join(dir, name), content);
    const engine = createBuiltinEngine();
    await engine.load({
      sequence: 2,
      version: full.manifest.version,
      certified: false,
      dir,
      name: full.name,
    });
    const verdict = await engine.scan(Readable.from([threatSample]), threatSample.length);
    expect(verdict).toMatchObject({ virusName: 'Cq.Research.Body-1', result: 'repaired' });
  });

  it('content the starting set already detects is infected with sequence 1 at once', async () => {
    const cookie = await accepted(g.port, eicarBytes(), { 'X-Sample-File': 'C:\\eicar.com' });
    const res = await final(g.port, cookie);
    expect(res.headers['x-analysis-state']).toBe('infected');
    expect(res.headers['x-signatures-sequence']).toBe('00000001');
    expect(res.headers['x-analysis-virus-name']).toMatch(/eicar/i);
  });

  it('a variant of a threat the newest set knows is infected with that sequence, no new set', async () => {
    const cookie = await accepted(g.port, program(THREAT));
    const res = await final(g.port, cookie);
    expect(res.headers['x-analysis-state']).toBe('infected');
    expect(res.headers['x-signatures-sequence']).toBe('00000002');
    const newest = await get(g.port, '/v1/signatures/newest?certified=0');
    expect(newest.headers['x-signatures-sequence']).toBe('00000002');
  });

  it('the same content again is answered from the known result with a new cookie', async () => {
    const first = await get(g.port, `/v1/samples/${threatCookie}`);
    const again = await submit(g.port, threatSample);
    expect(again.status).toBe(202);
    expect(again.headers['x-analysis-cookie']).not.toBe(threatCookie);
    expect(again.headers['x-analysis-issue']).not.toBe(first.headers['x-analysis-issue']);
    // Already final in the 202 itself, with the first analysis' dates: nothing was re-analysed.
    expect(again.headers['x-analysis-state']).toBe('infected');
    expect(again.headers['x-date-finished']).toBe(first.headers['x-date-finished']);
    expect(again.headers['x-date-analyzed']).toBe(first.headers['x-date-analyzed']);
    expect(again.headers['x-signatures-sequence']).toBe('00000002');
  });

  it.each([
    { label: 'a program with no rule hit', bytes: program(), overrides: {}, state: 'uninfected' },
    {
      label: 'data only',
      bytes: randomBytes(4000),
      overrides: { 'X-Sample-File': 'C:\\Pictures\\holiday.jpg' },
      state: 'uninfectable',
    },
    {
      label: 'a known Trojan',
      bytes: program('CQ-RESEARCH-KNOWN-TROJAN'),
      overrides: {},
      state: 'unsubmittable',
    },
  ])('$label ends $state', async ({ bytes, overrides, state }) => {
    const cookie = await accepted(g.port, bytes, overrides);
    const res = await final(g.port, cookie);
    expect(res.headers['x-analysis-state']).toBe(state);
    expect(res.headers['x-signatures-sequence']).toBeUndefined();
    if (state === 'unsubmittable')
      expect(res.headers['x-analysis-virus-name']).toBe('Cq.Trojan.Known-1');
  });

  it('quickcheck stops early: nodetect for an unknown program, marked quickcheck', async () => {
    const cookie = await accepted(g.port, program(THREAT.replace('1', '9')), {
      'X-Sample-Service': 'quickcheck',
    });
    const res = await final(g.port, cookie);
    expect(res.headers['x-analysis-state']).toBe('nodetect');
    expect(res.headers['x-analysis-service']).toBe('quickcheck');
  });

  it('quickcheck of content the newest set detects is infected, still marked quickcheck', async () => {
    const cookie = await accepted(g.port, program(THREAT), { 'X-Sample-Service': 'quickcheck' });
    const res = await final(g.port, cookie);
    expect(res.headers['x-analysis-state']).toBe('infected');
    expect(res.headers['x-analysis-service']).toBe('quickcheck');
    expect(res.headers['x-signatures-sequence']).toBe('00000002');
  });

  it('a defer rule hit waits in deferred until an expert clears it', async () => {
    const cookie = await accepted(g.port, program('CQ-RESEARCH-ASK-AN-EXPERT'));
    const waiting = await inState(g.port, cookie, 'deferred');
    expect(waiting.headers['x-date-finished']).toBeUndefined();
    const analysis = applyVerdict(g.dataDir, { cookie, state: 'uninfected' });
    expect(analysis.finishedAt).not.toBeNull();
    const res = await final(g.port, cookie);
    expect(res.headers['x-analysis-state']).toBe('uninfected');
    expect(() => applyVerdict(g.dataDir, { cookie, state: 'uninfected' })).toThrow(/not deferred/);
  });

  it('a suspicious program with no rule hit is deferred; an infected verdict builds a set', async () => {
    const bytes = program();
    const cookie = await accepted(g.port, bytes, { 'X-Sample-Reason': 'suspicious' });
    await inState(g.port, cookie, 'deferred');
    applyVerdict(g.dataDir, { cookie, state: 'infected', virusName: 'Expert.Named-1' });
    const res = await final(g.port, cookie);
    expect(res.headers['x-analysis-state']).toBe('infected');
    expect(res.headers['x-analysis-virus-name']).toBe('Expert.Named-1');
    expect(res.headers['x-signatures-sequence']).toBe('00000003');
    const pkg = await verifyPackage(await download(g.port, 3));
    expect(pkg.manifest).toMatchObject({ sequence: 3, kind: 'incr', base: 2 });
    expect(pkg.files.get('gateway-00000003.hdb')!.toString()).toContain(':Expert.Named-1');
  });

  it('bless by command: the set becomes the newest certified one and supersedes older ones', async () => {
    const before = await get(g.port, '/v1/signatures/newest?certified=1');
    expect(before.headers['x-signatures-sequence']).toBe('00000001');
    const set = await blessSequence(g.dataDir, 3);
    expect(set.certified).toBe(true);
    const after = await get(g.port, '/v1/signatures/newest?certified=1');
    expect(after.headers['x-signatures-sequence']).toBe('00000003');
    expect(after.headers['x-date-blessed']).toMatch(/ GMT$/);
    const pkg = await verifyPackage(await download(g.port, 3));
    expect(pkg.manifest).toMatchObject({ sequence: 3, kind: 'all', certified: true });
    expect(after.headers['x-signatures-checksum']).toBe(pkg.md5.toUpperCase());
    const old = await get(g.port, '/v1/signatures/2');
    expect(old.status).toBe(410);
    expect(old.xError).toBe('superseded 00000003');
    await expect(blessSequence(g.dataDir, 3)).rejects.toThrow(/already certified/);
    await expect(blessSequence(g.dataDir, 2)).rejects.toThrow(/older than the certified set/);
  });
});

describe('§7 macro documents', () => {
  it('a document with a macro project goes the macro way and gets its own set', async () => {
    const g = await start();
    const ole = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
    const doc = Buffer.concat([
      ole,
      randomBytes(500),
      Buffer.from('_VBA_PROJECT', 'utf16le'),
      Buffer.from('CQ-RESEARCH-MACRO-THREAT'),
    ]);
    const cookie = await accepted(g.port, doc, { 'X-Sample-File': 'C:\\Memos\\December.doc' });
    const res = await final(g.port, cookie);
    expect(res.headers['x-analysis-state']).toBe('infected');
    expect(res.headers['x-analysis-virus-name']).toBe('Cq.Research.Macro-1');
    expect(res.headers['x-signatures-sequence']).toBe('00000002');
    const store = openGatewayStore(g.dataDir);
    const submission = store.submissions.byCookie(cookie)!;
    expect(store.analyses.get(submission.analysisId)?.classification).toBe('macro');
    store.close();
  });
});

describe('§7 failed sets', () => {
  it('a set that hits the clean corpus is abandoned and the sample ends broken', async () => {
    const rules = tempDir('cq-rules-');
    const clean = Buffer.from('This program cannot be run in DOS mode').toString('hex');
    fs.writeFileSync(path.join(rules, 'overbroad.ndb'), `Overbroad.Rule-1:0:*:${clean}\n`);
    const g = await start({ researchRulesDir: rules });
    const cookie = await accepted(g.port, program('This program cannot be run in DOS mode'));
    const res = await final(g.port, cookie);
    expect(res.headers['x-analysis-state']).toBe('broken');
    expect(res.headers['x-signatures-sequence']).toBeUndefined();
    const pkg = await get(g.port, '/v1/signatures/2');
    expect(pkg.status).toBe(410);
    expect(pkg.xError).toBe('abandoned 00000002');
    const newest = await get(g.port, '/v1/signatures/newest?certified=0');
    expect(newest.headers['x-signatures-sequence']).toBe('00000001');
  });

  it('a set over the publishing limit is unpublished and the sample ends broken', async () => {
    const g = await start({ publishLimitBytes: 200 });
    const cookie = await accepted(g.port, program(THREAT));
    const res = await final(g.port, cookie);
    expect(res.headers['x-analysis-state']).toBe('broken');
    const pkg = await get(g.port, '/v1/signatures/2');
    expect(pkg.status).toBe(410);
    expect(pkg.xError).toBe('unpublished 00000002');
  });
});

describe('§7 blessing after a delay', () => {
  it('--bless-after certifies a published set by itself', async () => {
    const g = await start({ blessAfterSeconds: 0 });
    const cookie = await accepted(g.port, program(THREAT));
    expect((await final(g.port, cookie)).headers['x-signatures-sequence']).toBe('00000002');
    const newest = await waitFor(async () => {
      const res = await get(g.port, '/v1/signatures/newest?certified=1');
      return res.headers['x-signatures-sequence'] === '00000002' ? res : null;
    }, 'set 2 blessed');
    expect(newest.headers['x-date-blessed']).toMatch(/ GMT$/);
  });
});

describe('§7 persistence', () => {
  it('a gateway restarted in the middle of a pipeline resumes it', async () => {
    const slow = parseTimings(
      JSON.stringify({ base: 'fast', stages: { binaryControlling: 2 } }),
      'test timings',
    );
    const first = await start({ timings: slow });
    const cookie = await accepted(first.port, program(THREAT));
    await inState(first.port, cookie, 'binaryControlling');
    await first.gateway.close();

    const second = await start({ dataDir: first.dataDir });
    const res = await final(second.port, cookie);
    expect(res.headers['x-analysis-state']).toBe('infected');
    expect(res.headers['x-signatures-sequence']).toBe('00000002');
  });
});

describe('§13 research rules', () => {
  it.each<{ label: string; files: Record<string, string>; reason: RegExp }>([
    {
      label: 'a line the engine cannot use',
      files: { 'threats.ndb': 'Broken.Rule-1:0:*:zz-not-hex\n' },
      reason: /research rule Broken\.Rule-1 in threats\.ndb cannot be used/,
    },
    {
      label: 'one name in two categories',
      files: {
        'threats.ndb': 'Same.Name-1:0:*:41424344\n',
        'defer.ndb': 'Same.Name-1:0:*:45464748\n',
      },
      reason: /rule Same\.Name-1 is also a/,
    },
    {
      label: 'an invalid repair.json',
      files: {
        'threats.ndb': 'Ok.Rule-1:0:*:41424344\n',
        'repair.json': '{"Ok.Rule-1":{"action":"melt"}}',
      },
      reason: /repair\.json: Ok\.Rule-1\.action/,
    },
  ])('$label stops the gateway from starting, saying why', async ({ files, reason }) => {
    const rules = tempDir('cq-rules-');
    for (const [name, text] of Object.entries(files))
      fs.writeFileSync(path.join(rules, name), text);
    const gateway = createGateway({
      dataDir: tempDir('cq-gateway-'),
      port: 0,
      researchRulesDir: rules,
    });
    await expect(gateway.listen()).rejects.toThrow(reason);
    expect(gateway.address()).toBeNull();
  });
});
