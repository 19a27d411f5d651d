/**
 * Repair, rescan and restore through the control API and `cq ctl` (SPEC §4.6, §6): a repaired
 * copy is written only when it scans clean, under a sanitised name, inside the chosen folder,
 * never over an existing file unless asked; each action is in the item's history and the audit
 * chain.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src-shared/api/client-api.js';
import {
  connectControl,
  type ConnectedControlClient,
} from '../../src-main/transport/rpc-client.js';
import { readSample, listSamples } from '../fixtures/samples/samples.js';
import { runCq } from '../helpers/cli.js';
import { rawRequest } from '../helpers/http.js';
import { forwardRequest } from '../helpers/samples.js';
import { writePackage } from '../helpers/scan-sets.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const hex = (text: string): string => Buffer.from(text).toString('hex');
let server: TestServer;
let client: ConnectedControlClient;

let hosts = 0;

/** Forward from a new endpoint each time (the same content twice from one is a duplicate). */
async function forward(bytes: Buffer, file = 'C:\\Users\\alice\\invoice.exe'): Promise<string> {
  const res = await rawRequest({
    port: server.intakePort,
    ...forwardRequest(bytes, {
      'X-Sample-File': file,
      'X-Platform-Correlator': String(++hosts).padStart(32, '0'),
    }),
  });
  expect(res.status).toBe(201);
  const id = String(res.headers['x-sample-id']);
  await waitFor(() => server.context.store.samples.get(Number(id))?.status !== 'quarantined');
  return id;
}

async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error('the call was expected to fail');
}

const md5 = (file: string): string => createHash('md5').update(fs.readFileSync(file)).digest('hex');

beforeAll(async () => {
  // The starter set plus two signatures whose repair leaves a second detection behind.
  const starterDir = new URL('../../assets/definitions/starter/', import.meta.url);
  const files: Record<string, string> = {};
  for (const name of fs.readdirSync(starterDir)) {
    files[name] = fs.readFileSync(new URL(name, starterDir), 'utf8');
  }
  files['layered.ndb'] = [
    `CQ.Test.Layer.Outer:0:*:${hex('LAYER-OUTER-MARK')}`,
    `CQ.Test.Layer.Inner:0:*:${hex('LAYER-INNER-MARK')}`,
  ].join('\n');
  const recipes = JSON.parse(files['repair.json']!) as Record<string, unknown>;
  recipes['CQ.Test.Layer.Outer'] = { action: 'excise' };
  files['repair.json'] = JSON.stringify(recipes);
  server = await startTestServer({ server: { starterPackage: await writePackage(1, files) } });
  client = await connectControl({ socket: server.socketPath });
});

afterAll(async () => {
  await client.close();
});

describe('samples.repair', () => {
  it('writes a repaired copy that scans clean, under a sanitised name, and records it', async () => {
    const expected = listSamples().find((s) => s.file === 'cq-test-pe.exe')!.expect.repairedMd5;
    const id = await forward(readSample('cq-test-pe.exe'), '..\\..\\Windows\\CON.exe');
    const folder = tempDir('cq-repaired-');
    const result = await client.call('samples.repair', { ids: [id], destination: folder });
    expect(result.refused).toEqual([]);
    expect(result.done).toEqual([{ id, path: path.join(folder, '_CON.exe') }]);
    expect(md5(path.join(folder, '_CON.exe'))).toBe(expected);
    expect(fs.readdirSync(folder)).toEqual(['_CON.exe']);
    const again = await client.call('samples.repair', { ids: [id], destination: folder });
    expect(again.refused[0]?.reason).toMatch(/already exists/);
    const replaced = await client.call('samples.repair', {
      ids: [id],
      destination: folder,
      overwrite: true,
    });
    expect(replaced.done).toHaveLength(1);
    const history = (await client.call('samples.get', { id })).history;
    expect(history.filter((h) => h.action === 'repair')).toHaveLength(2);
    expect((await client.call('audit.verify', {})).ok).toBe(true);
  });

  it.each([
    ['a threat without a recipe', 'eicar.com', /no repair for it/, true],
    ['a clean item', 'cq-test-clean.txt', /find nothing to repair/, false],
  ])('refuses %s and writes nothing', async (_what, fixture, reason, notRepaired) => {
    const id = await forward(readSample(fixture));
    const folder = tempDir('cq-repaired-');
    const result = await client.call('samples.repair', { ids: [id], destination: folder });
    expect(result.done).toEqual([]);
    expect(result.refused[0]?.reason).toMatch(reason);
    expect(fs.readdirSync(folder)).toEqual([]);
    expect(server.context.scanner.conditions.holds('sampleNotRepaired', Number(id))).toBe(
      notRepaired,
    );
  });

  it('refuses when the repaired copy still scans infected', async () => {
    const layered = Buffer.concat([
      randomBytes(200),
      Buffer.from('LAYER-OUTER-MARK'),
      randomBytes(200),
      Buffer.from('LAYER-INNER-MARK'),
      randomBytes(200),
    ]);
    const id = await forward(layered);
    expect(server.context.store.samples.attributes(Number(id))['X-Scan-Result']).toBe('repaired');
    const folder = tempDir('cq-repaired-');
    const result = await client.call('samples.repair', { ids: [id], destination: folder });
    expect(result.done).toEqual([]);
    expect(result.refused[0]?.reason).toMatch(/^not repaired: /);
    expect(fs.readdirSync(folder)).toEqual([]);
    const history = (await client.call('samples.get', { id })).history;
    expect(history.find((h) => h.action === 'repair')?.reason).toMatch(/not repaired/);
    expect(server.context.scanner.conditions.holds('sampleNotRepaired', Number(id))).toBe(true);
  });

  it.each([
    ['the data folder', () => server.dataDir],
    ['the quarantine folder', () => path.join(server.dataDir, 'quarantine')],
    ['a missing folder', () => path.join(tempDir('cq-x-'), 'missing')],
  ])('refuses %s as destination', async (_what, folder) => {
    const id = await forward(readSample('cq-test-pe.exe'));
    const error = await refusal(
      client.call('samples.repair', { ids: [id], destination: folder() }),
    );
    expect(error.code).toBe('invalid-request');
  });
});

describe('samples.rescan and samples.restore', () => {
  it('rescans existing items and refuses unknown ones', async () => {
    const id = await forward(readSample('eicar.com'));
    const result = await client.call('samples.rescan', { ids: [id, '987654'] });
    expect(result.done).toEqual([id]);
    expect(result.refused).toEqual([{ id: '987654', reason: 'no such sample' }]);
  });

  it('restores the original bytes inside the folder whatever X-Sample-File says', async () => {
    const bytes = readSample('eicar.com');
    const id = await forward(bytes, '\\\\?\\C:\\..\\..\\NUL.txt:evil.exe. ');
    const folder = tempDir('cq-restored-');
    const result = await client.call('samples.restore', { ids: [id], destination: folder });
    expect(result.done).toEqual([{ id, path: path.join(folder, '_NUL.txt_evil.exe') }]);
    expect(fs.readFileSync(result.done[0]!.path)).toEqual(bytes);
    const history = (await client.call('samples.get', { id })).history;
    expect(history.some((h) => h.action === 'restore')).toBe(true);
  });
});

describe('cq ctl', () => {
  it('repairs and lists definitions through the command line', async () => {
    const id = await forward(readSample('cq-test-elf'));
    const folder = tempDir('cq-repaired-');
    const repair = await runCq([
      'ctl',
      '--socket',
      server.socketPath,
      'samples.repair',
      JSON.stringify({ ids: [id], destination: folder }),
    ]);
    expect(repair.stderr).toBe('');
    expect(repair.code).toBe(0);
    expect((JSON.parse(repair.stdout) as { done: unknown[] }).done).toHaveLength(1);
    const list = await runCq(['ctl', '--socket', server.socketPath, 'definitions.list']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject({ active: 1 });
    const bad = await runCq([
      'ctl',
      '--socket',
      server.socketPath,
      'definitions.activate',
      '{"sequence":42}',
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/not-found/);
  });
});
