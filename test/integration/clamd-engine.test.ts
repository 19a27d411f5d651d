/**
 * The clamd engine against a real ClamAV daemon (Debian `clamav-daemon`): verdicts, names and
 * recipes from the set, the stream size limit, reloading on a new set, a set clamd refuses, and
 * a daemon killed under the engine.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createClamdEngine,
  type ClamdEngine,
} from '../../src-main/server/scanner/clamd/clamd-engine.js';
import type { ScanVerdict } from '../../src-main/server/scanner/engine.js';
import { eicarBytes, hdbLine, writeSet } from '../helpers/scan-sets.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;
let engine: ClamdEngine;
let workDir: string;

/** The content in pieces of `size`, as a stream (crossing clamd's 64 KiB chunks unevenly). */
function chunks(bytes: Buffer, size = 7_000): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

function scan(bytes: Buffer, declared = bytes.length): Promise<ScanVerdict> {
  return engine.scan(chunks(bytes), declared);
}

const bodyHit = Buffer.concat([
  randomBytes(100_000).fill(0x41),
  Buffer.from('de ad be ef 01 ca fe 02 03 ba be'.replace(/ /g, ''), 'hex'),
  Buffer.alloc(100, 0x42),
]);

const firstSet = () =>
  writeSet(1, {
    files: {
      'test.hdb': hdbLine(eicarBytes(), 'Eicar-Test-Signature') + '\nnot-a-hash:1:Broken.Hash\n',
      'test.ndb': 'Test.Body.Wild:0:*:deadbeef??cafe{2-4}babe\nBroken.Target:99:*:aabbcc\n',
      'notes.txt': 'not a signature file\n',
    },
    repair: { 'Test.Body.Wild': 'excise' },
  });

beforeAll(() => {
  workDir = tempDir('cq-clamd-');
  engine = createClamdEngine({
    workDir: path.join(workDir, 'clamd'),
    logFile: path.join(workDir, 'logs', 'clamd.log'),
    maxBytes: 1 * MiB,
    threads: 2,
    restartDelayMs: { min: 100, max: 1_000 },
  });
});

afterAll(async () => {
  await engine.close();
});

describe('clamd engine', () => {
  it('loads a set, reporting the lines clamd would refuse by name', async () => {
    const report = await engine.load(firstSet());
    expect(report.signatures).toBe(2);
    expect(report.unusable.map((u) => `${u.file}:${u.name}`).sort()).toEqual([
      'test.hdb:Broken.Hash',
      'test.ndb:Broken.Target',
    ]);
    expect(engine.available).toBe(true);
    expect(engine.daemon?.pid).toBeGreaterThan(0);
  });

  it.each([
    ['EICAR (hash signature, no recipe)', eicarBytes(), 'Eicar-Test-Signature', 'norepair'],
    ['a wildcard body match past a chunk boundary', bodyHit, 'Test.Body.Wild', 'repaired'],
    ['random bytes', randomBytes(300_000), null, 'nodetect'],
    ['an empty sample', Buffer.alloc(0), null, 'nodetect'],
  ])('%s', async (_what, bytes, name, result) => {
    const verdict = await scan(bytes);
    expect(verdict.notScanned).toBeNull();
    expect(verdict.virusName).toBe(name);
    expect(verdict.result).toBe(result);
    if (result === 'repaired') expect(verdict.repair).toEqual({ action: 'excise' });
  });

  it('does not call a sample over the size limit clean', async () => {
    const big = Buffer.concat([randomBytes(2 * MiB), eicarBytes()]);
    const refused = await scan(big);
    expect(refused.notScanned).toMatch(/larger than clamd's stream limit/);
    expect(refused.result).not.toBe('nodetect');
    // Declared small but streamed big: clamd itself stops it with its size limit.
    const overrun = await scan(big, 1_000);
    expect(overrun.notScanned).toMatch(/size limit exceeded/i);
    expect(overrun.virusName).toBeNull();
    expect(engine.available).toBe(true);
  });

  it('reloads on a new set and scans with it', async () => {
    const other = Buffer.from('a quite unique marker line for set two\n');
    await engine.load(
      writeSet(2, { files: { 'two.hdb': hdbLine(other, 'Test.Set.Two') }, repair: {} }),
    );
    expect((await scan(other)).virusName).toBe('Test.Set.Two');
    expect((await scan(eicarBytes())).virusName).toBeNull();
  });

  it('keeps the previous set when clamd refuses a new one', async () => {
    const bad = writeSet(3, { files: { 'bad.ldb': 'Broken.Logical;Target:0;garbage\n' } });
    await expect(engine.load(bad)).rejects.toThrow(/clamd could not load the definitions/);
    const other = Buffer.from('a quite unique marker line for set two\n');
    expect((await scan(other)).virusName).toBe('Test.Set.Two');
  });

  it('reports a killed clamd as unavailable, answers "not scanned", then comes back', async () => {
    const changes: boolean[] = [];
    const stop = engine.onAvailability((up) => changes.push(up));
    const pid = engine.daemon!.pid!;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => changes.includes(false));
    const other = Buffer.from('a quite unique marker line for set two\n');
    const meanwhile = await scan(other);
    // Either it is still down (not scanned) or already back (detected): never clean.
    if (meanwhile.notScanned === null) expect(meanwhile.virusName).toBe('Test.Set.Two');
    else expect(meanwhile.result).not.toBe('nodetect');
    await waitFor(() => engine.available);
    expect(engine.daemon!.pid).not.toBe(pid);
    expect((await scan(other)).virusName).toBe('Test.Set.Two');
    stop();
    expect(changes).toEqual([false, true]);
  });
});
