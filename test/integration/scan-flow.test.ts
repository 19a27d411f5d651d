/**
 * Scanning in a real server with the built-in engine (SPEC §3.2, §6): new samples are scanned
 * off the intake path and move by the table of §3.2 with their X-Scan-* attributes; automatic
 * submission decides released/held; samples left quarantined are scanned at the next start;
 * activating a new set rescans what it may resolve.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiError } from '../../src-shared/api/client-api.js';
import type { SampleSummary } from '../../src-shared/api/contract.js';
import {
  connectControl,
  type ConnectedControlClient,
} from '../../src-main/transport/rpc-client.js';
import { readSample } from '../fixtures/samples/samples.js';
import { rawRequest } from '../helpers/http.js';
import { forwardRequest } from '../helpers/samples.js';
import { hdbLine, starterPackageFile, writePackage } from '../helpers/scan-sets.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const GUID = '0123456789ABCDEF0123456789ABCDEF';
let starter: string;

async function forward(
  server: TestServer,
  bytes: Buffer,
  overrides: Record<string, string | undefined> = {},
): Promise<number> {
  const res = await rawRequest({ port: server.intakePort, ...forwardRequest(bytes, overrides) });
  expect(res.status).toBe(201);
  expect(res.headers['x-sample-status']).toBe('quarantined');
  return Number(res.headers['x-sample-id']);
}

function statusOf(server: TestServer, id: number): string | undefined {
  return server.context.store.samples.get(id)?.status;
}

async function settledStatus(server: TestServer, id: number): Promise<string> {
  return waitFor(() => {
    const status = statusOf(server, id);
    return status !== 'quarantined' ? status : undefined;
  }, `sample ${id} to leave quarantined`);
}

beforeAll(async () => {
  starter = await starterPackageFile();
});

describe('new samples (automatic submission on)', () => {
  let server: TestServer;
  let client: ConnectedControlClient;
  const changed: SampleSummary[] = [];

  beforeAll(async () => {
    server = await startTestServer({ server: { starterPackage: starter } });
    client = await connectControl({ socket: server.socketPath });
    client.on('sample.changed', (e) => changed.push(e.sample));
  });

  afterAll(async () => {
    await client.close();
  });

  it.each([
    // [fixture, extra headers, status, X-Scan-Result, virus]
    ['eicar.com', {}, 'released', 'norepair', 'Eicar-Test-Signature'],
    ['cq-test-clean.txt', {}, 'released', 'nodetect', undefined],
    ['cq-test-pe.exe', {}, 'available', 'repaired', 'CQ.Test.PE.Appended'],
    ['cq-test-elf', { 'X-Platform-GUID': GUID }, 'distribute', 'repaired', 'CQ.Test.ELF.Injected'],
    ['cq-test-macho', { 'X-Platform-GUID': GUID }, 'released', 'norepair', 'CQ.Test.MachO.Split'],
  ] as const)('%s → %s', async (file, headers, status, result, virus) => {
    const id = await forward(server, readSample(file), headers);
    expect(await settledStatus(server, id)).toBe(status);
    const detail = await client.call('samples.get', { id: String(id) });
    const a = detail.attributes;
    expect(a['X-Sample-Status']).toBe(status);
    expect(a['X-Scan-Result']).toBe(result);
    expect(a['X-Scan-Virus-Name']).toBe(virus);
    expect(a['X-Scan-Virus-Identifier'] !== undefined).toBe(virus !== undefined);
    expect(a['X-Scan-Signatures-Name']).toBe('00000001.all.zip');
    expect(a['X-Scan-Signatures-Sequence']).toBe('00000001');
    expect(a['X-Scan-Signatures-Version']).toMatch(/^\d{4}\.\d{2}\.\d{2}\.\d{3}$/);
    if (result === 'repaired') expect(a['X-Signatures-Sequence']).toBe('00000001');
    const move = detail.history.find((h) => h.from === 'quarantined' && h.to === status);
    expect(move).toMatchObject({ actor: 'scanner', action: 'transition' });
    await waitFor(() => changed.some((s) => s.id === String(id) && s.status === status));
  });

  it('writes what it found to the Quarantine Log and keeps the audit chain intact', async () => {
    const id = await forward(server, readSample('eicar-padded.com'));
    await settledStatus(server, id);
    const log = await client.call('log.query', { text: `sample ${id}: found` });
    expect(log.entries[0]?.message).toMatch(
      /Eicar-Test-Signature \(norepair\): quarantined → released/,
    );
    expect((await client.call('audit.verify', {})).ok).toBe(true);
  });

  it('answers 201 at once even while scans are queued', async () => {
    const ids = await Promise.all(
      Array.from({ length: 30 }, () => forward(server, randomBytes(50_000))),
    );
    for (const id of ids) expect(await settledStatus(server, id)).toBe('released');
  });
});

describe('automatic submission off', () => {
  it('holds what the definitions cannot repair', async () => {
    const server = await startTestServer({
      config: { samplePolicy: { automaticSubmission: false } },
      server: { starterPackage: starter },
    });
    const detected = await forward(server, readSample('eicar.com'));
    const clean = await forward(server, readSample('cq-test-clean.txt'));
    const repairable = await forward(server, readSample('cq-test-script.txt'));
    expect(await settledStatus(server, detected)).toBe('held');
    expect(await settledStatus(server, clean)).toBe('held');
    expect(await settledStatus(server, repairable)).toBe('available');
    expect(server.context.scanner.conditions.holds('sampleNotRepaired', detected)).toBe(true);
    expect(server.context.scanner.conditions.holds('sampleNotRepaired', clean)).toBe(false);
  });
});

describe('samples left quarantined', () => {
  it('are scanned when the server starts again', async () => {
    const first = await startTestServer({
      server: { starterPackage: starter, autoScan: false },
    });
    const ids = [
      await forward(first, readSample('eicar.com')),
      await forward(first, readSample('cq-test-pe.exe')),
    ];
    expect(ids.map((id) => statusOf(first, id))).toEqual(['quarantined', 'quarantined']);
    await first.stop();
    const again = await startTestServer({ dataDir: first.dataDir });
    expect(await settledStatus(again, ids[0]!)).toBe('released');
    expect(await settledStatus(again, ids[1]!)).toBe('available');
  });
});

describe('activating a new set', () => {
  it('rescans what it may resolve and moves it', async () => {
    const server = await startTestServer({ server: { starterPackage: starter } });
    const client = await connectControl({ socket: server.socketPath });
    const payload = Buffer.concat([
      randomBytes(3000),
      Buffer.from('NEW-THREAT-PAYLOAD-2024'),
      randomBytes(500),
    ]);
    const unknown = await forward(server, payload, { 'X-Platform-GUID': GUID });
    expect(await settledStatus(server, unknown)).toBe('released');
    const other = await forward(server, randomBytes(2000));
    expect(await settledStatus(server, other)).toBe('released');
    // Two samples the gateway said need sets 2 and 5.
    const waitsFor2 = await forward(server, Buffer.from('needs two: NEW-THREAT-PAYLOAD-2024'));
    const waitsFor5 = await forward(server, randomBytes(100));
    for (const [id, sequence] of [
      [waitsFor2, '00000002'],
      [waitsFor5, '00000005'],
    ] as const) {
      await settledStatus(server, id);
      await server.context.store.committer.commit(() => {
        server.context.store.samples.setAttributes(
          id,
          { 'X-Signatures-Sequence': sequence },
          'test',
        );
        server.context.store.samples.transition(id, 'needed', 'test', 'gateway: infected');
      });
    }
    const installed: number[] = [];
    client.on('definitions.installed', (e) => installed.push(e.sequence));

    const second = await writePackage(2, {
      'new.ndb': 'CQ.Test.New.Threat:0:*:4e45572d5448524541542d5041594c4f41442d32303234\n',
      'more.hdb': hdbLine(randomBytes(10), 'CQ.Test.Unused') + '\n',
      'repair.json': JSON.stringify({ 'CQ.Test.New.Threat': { action: 'excise' } }),
    });
    const imported = await client.call('definitions.import', { path: second });
    expect(imported.set).toMatchObject({ sequence: 2, active: true });
    expect(await waitFor(() => statusOf(server, unknown) === 'distribute')).toBe(true);
    expect(await waitFor(() => statusOf(server, waitsFor2) === 'available')).toBe(true);
    await server.context.scanner.idle();
    expect(statusOf(server, waitsFor5)).toBe('needed');
    expect(statusOf(server, other)).toBe('released');
    const a = (await client.call('samples.get', { id: String(unknown) })).attributes;
    expect(a).toMatchObject({
      'X-Scan-Result': 'repaired',
      'X-Scan-Virus-Name': 'CQ.Test.New.Threat',
      'X-Scan-Signatures-Sequence': '00000002',
    });
    await waitFor(() => installed.includes(2));
    expect(server.context.config.get().definitionPolicy.activeSequence).toBe(2);
    const list = await client.call('definitions.list', {});
    expect(list.active).toBe(2);
    expect(list.sets.map((s) => s.sequence)).toEqual([2, 1]);

    // A damaged package for the set a sample waits for: refused, nothing changes, and the
    // sample is flagged "unable to install definitions".
    const damaged = path.join(path.dirname(second), '00000005.all.zip');
    fs.writeFileSync(damaged, Buffer.from('PK\x03\x04 not really a zip'));
    const refused = await client.call('definitions.import', { path: damaged }).then(
      () => null,
      (error: unknown) => error as ApiError,
    );
    expect(refused?.code).toBe('invalid-request');
    expect(refused?.message).toMatch(/^unpackage/);
    expect((await client.call('definitions.list', {})).active).toBe(2);
    expect(
      server.context.scanner.conditions.holds('sampleDefinitionsInstallFailed', waitsFor5),
    ).toBe(true);
    expect(
      server.context.scanner.conditions.holds('sampleDefinitionsInstallFailed', waitsFor2),
    ).toBe(false);

    // Back to set 1 by hand: nothing it resolves is left, so nothing moves back.
    const back = await client.call('definitions.activate', { sequence: 1 });
    expect(back.set.active).toBe(true);
    await server.context.scanner.idle();
    expect(statusOf(server, unknown)).toBe('distribute');
    await client.close();
  });
});

describe('an inaccessible definitions folder', () => {
  it('raises "Unable to access definition directory" until the folder is back', async () => {
    const server = await startTestServer({ server: { starterPackage: starter, autoScan: false } });
    const client = await connectControl({ socket: server.socketPath });
    const folder = path.join(server.dataDir, 'definitions');
    fs.renameSync(folder, `${folder}.away`);
    const refused = await client.call('definitions.activate', { sequence: 1 }).then(
      () => null,
      (error: unknown) => error,
    );
    expect((refused as ApiError).code).toBe('unavailable');
    const { conditions } = server.context.scanner;
    expect(conditions.definitionDirectoryInaccessible).toBe(true);
    expect(await server.context.scanner.recheckDefinitions()).toBe(false);
    expect(conditions.definitionDirectoryInaccessible).toBe(true);
    fs.renameSync(`${folder}.away`, folder);
    expect(await server.context.scanner.recheckDefinitions()).toBe(true);
    expect(conditions.definitionDirectoryInaccessible).toBe(false);
    const log = await client.call('log.query', { text: 'Unable to access definition directory' });
    expect(log.entries.length).toBeGreaterThan(0);
    await client.close();
  });
});
