/**
 * A server scanning with its own clamd (real ClamAV): verdicts and statuses as with the built-in
 * engine; a clamd that dies and cannot come back leaves samples quarantined with the "Cannot
 * connect to Quarantine Scanner svc" condition raised, and they are scanned once it is back;
 * a sample over clamd's stream limit is "not scanned", never clean.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src-shared/api/client-api.js';
import type { ClamdEngine } from '../../src-main/server/scanner/clamd/clamd-engine.js';
import type { ConditionChange } from '../../src-main/server/scanner/scan-conditions.js';
import {
  connectControl,
  type ConnectedControlClient,
} from '../../src-main/transport/rpc-client.js';
import { readSample } from '../fixtures/samples/samples.js';
import { rawRequest } from '../helpers/http.js';
import { forwardRequest } from '../helpers/samples.js';
import { starterPackageFile, writePackage } from '../helpers/scan-sets.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const CLAMD_CONFIG = { general: { scanner: { engine: 'clamd' } } };
let starter: string;
let flag: string;
let wrapper: string;
let hosts = 0;

async function forward(server: TestServer, bytes: Buffer): Promise<number> {
  const res = await rawRequest({
    port: server.intakePort,
    ...forwardRequest(bytes, { 'X-Platform-Correlator': String(++hosts).padStart(32, '0') }),
  });
  expect(res.status).toBe(201);
  return Number(res.headers['x-sample-id']);
}

function statusOf(server: TestServer, id: number): string | undefined {
  return server.context.store.samples.get(id)?.status;
}

beforeAll(async () => {
  starter = await starterPackageFile();
  // clamd through a wrapper the test can hold down: without the flag file it exits at once.
  const dir = tempDir('cq-clamd-wrapper-');
  flag = path.join(dir, 'clamd-may-run');
  wrapper = path.join(dir, 'clamd');
  fs.writeFileSync(flag, '');
  fs.writeFileSync(
    wrapper,
    `#!/bin/sh\n[ -e '${flag}' ] || { echo 'clamd held down by the test' >&2; exit 1; }\nexec /usr/sbin/clamd "$@"\n`,
    { mode: 0o755 },
  );
});

describe('a server with the clamd engine', () => {
  let server: TestServer;
  let client: ConnectedControlClient;
  const conditions: ConditionChange[] = [];

  beforeAll(async () => {
    server = await startTestServer({
      config: CLAMD_CONFIG,
      server: {
        starterPackage: starter,
        clamd: { binary: wrapper, restartDelayMs: { min: 100, max: 400 }, threads: 2 },
      },
    });
    server.context.scanner.conditions.onChange((c) => conditions.push(c));
    client = await connectControl({ socket: server.socketPath });
  });

  afterAll(async () => {
    fs.writeFileSync(flag, '');
    await client.close();
  });

  it.each([
    ['eicar.com', 'released', 'norepair', 'Eicar-Test-Signature'],
    ['cq-test-clean.txt', 'released', 'nodetect', undefined],
    ['cq-test-pe.exe', 'available', 'repaired', 'CQ.Test.PE.Appended'],
  ] as const)('%s → %s', async (file, status, result, virus) => {
    expect(server.context.scanner.engineName).toBe('clamd');
    const id = await forward(server, readSample(file));
    await waitFor(() => statusOf(server, id) === status, `sample ${id} ${status}`);
    const a = server.context.store.samples.attributes(id);
    expect(a['X-Scan-Result']).toBe(result);
    expect(a['X-Scan-Virus-Name']).toBe(virus);
    expect(a['X-Scan-Signatures-Sequence']).toBe('00000001');
  });

  it('keeps samples quarantined while clamd is down and scans them when it is back', async () => {
    const engine = server.context.scanner.engine as ClamdEngine;
    const pid = engine.daemon!.pid!;
    fs.rmSync(flag);
    process.kill(pid, 'SIGKILL');
    await waitFor(() => server.context.scanner.conditions.scannerUnreachable, 'the condition');
    const id = await forward(server, readSample('eicar-padded.com'));
    await waitFor(() => server.context.scanner.backlog > 0, 'the sample to wait in the queue');
    expect(statusOf(server, id)).toBe('quarantined');
    expect(server.context.store.samples.attributes(id)['X-Scan-Result']).toBeUndefined();
    const refused = await client.call('samples.rescan', { ids: [String(id)] }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).code).toBe('unavailable');
    const log = await client.call('log.query', {
      text: 'Cannot connect to Quarantine Scanner svc',
    });
    expect(log.entries.length).toBeGreaterThan(0);

    fs.writeFileSync(flag, '');
    await waitFor(() => statusOf(server, id) === 'released', 'the sample to be scanned');
    expect(server.context.store.samples.attributes(id)['X-Scan-Virus-Name']).toBe(
      'Eicar-Test-Signature',
    );
    expect(engine.daemon!.pid).not.toBe(pid);
    expect(server.context.scanner.conditions.scannerUnreachable).toBe(false);
    const episode = conditions.filter((c) => c.event === 'scannerUnreachable');
    expect(episode[0]).toMatchObject({ active: true });
    expect(episode.at(-1)).toMatchObject({ active: false });
  });

  it('reloads clamd on activation and rescans', async () => {
    const payload = Buffer.concat([randomBytes(1000), Buffer.from('CLAMD-RELOAD-PROBE')]);
    const id = await forward(server, payload);
    await waitFor(() => statusOf(server, id) === 'released');
    const second = await writePackage(2, {
      'probe.ndb': `CQ.Test.Clamd.Probe:0:*:${Buffer.from('CLAMD-RELOAD-PROBE').toString('hex')}\n`,
      'repair.json': JSON.stringify({ 'CQ.Test.Clamd.Probe': { action: 'truncate' } }),
    });
    await client.call('definitions.import', {
      bytes: fs.readFileSync(second).toString('base64'),
    });
    await waitFor(() => statusOf(server, id) === 'available', 'the rescan after the reload');
    expect(server.context.store.samples.attributes(id)['X-Scan-Signatures-Sequence']).toBe(
      '00000002',
    );
    // Repair locates the match with the built-in engine, then clamd checks the result.
    const folder = tempDir('cq-repaired-');
    const repaired = await client.call('samples.repair', {
      ids: [String(id)],
      destination: folder,
    });
    expect(repaired.done).toHaveLength(1);
    expect(fs.readFileSync(repaired.done[0]!.path)).toEqual(payload.subarray(0, 1000));
  });
});

describe("clamd's size limit", () => {
  it('is "not scanned" with an overrun error, never clean', async () => {
    const server = await startTestServer({
      config: { general: { scanner: { engine: 'clamd' }, maxSampleSizeMB: 3 } },
      server: { starterPackage: starter, autoScan: false, clamd: { binary: wrapper } },
    });
    const client = await connectControl({ socket: server.socketPath });
    const id = await forward(
      server,
      Buffer.concat([randomBytes(1_500_000), readSample('eicar.com')]),
    );
    // A smaller limit now: the engine is replaced by a clamd that accepts at most 1 MB.
    await client.call('config.set', { patch: { general: { maxSampleSizeMB: 1 } } });
    await server.context.scanner.settled();
    const result = await client.call('samples.rescan', { ids: [String(id)] });
    expect(result.done).toEqual([]);
    expect(result.refused[0]?.reason).toMatch(/stream limit/);
    expect(statusOf(server, id)).toBe('quarantined');
    const detail = await client.call('samples.get', { id: String(id) });
    expect(detail.attributes['X-Scan-Result']).toBe('badscan');
    expect(detail.attributes['X-Scan-Virus-Name']).toBeUndefined();
    expect(detail.errors.map((e) => e.code)).toContain('overrun');
    await client.close();
  });
});
