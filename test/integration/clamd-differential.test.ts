/**
 * The differential test of SPEC §6: one generated corpus (hundreds of files, clean and infected,
 * every target type and wildcard form, matches across chunk boundaries, near misses) and one
 * set give the same verdict — detected or not, and the signature name — from the built-in
 * engine and from a real clamd.
 */
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuiltinEngine } from '../../src-main/server/scanner/builtin/builtin-engine.js';
import { createClamdEngine } from '../../src-main/server/scanner/clamd/clamd-engine.js';
import type { ScanEngine, ScanVerdict } from '../../src-main/server/scanner/engine.js';
import { generateDifferentialCorpus, type DiffCorpus } from '../helpers/scan-corpus.js';
import { writeSet } from '../helpers/scan-sets.js';
import { tempDir } from '../helpers/temp.js';

const corpus: DiffCorpus = generateDifferentialCorpus();
const builtin = createBuiltinEngine();
let clamd: ScanEngine;

/** Stream `bytes` in pieces of `size` (the two engines see different chunkings). */
function pieces(bytes: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

function verdictText(verdict: ScanVerdict): string {
  if (verdict.notScanned !== null) return `not scanned (${verdict.notScanned})`;
  return verdict.virusName ?? 'clean';
}

beforeAll(async () => {
  const work = tempDir('cq-diff-');
  clamd = createClamdEngine({
    workDir: path.join(work, 'clamd'),
    logFile: path.join(work, 'logs', 'clamd.log'),
    maxBytes: 16 * 1024 * 1024,
  });
  const set = writeSet(1, { files: corpus.set });
  const [fromBuiltin, fromClamd] = await Promise.all([builtin.load(set), clamd.load(set)]);
  expect(fromBuiltin.unusable).toEqual([]);
  expect(fromClamd.unusable).toEqual([]);
  expect(fromBuiltin.signatures).toBe(corpus.signatures);
  expect(fromClamd.signatures).toBe(corpus.signatures);
});

afterAll(async () => {
  await Promise.all([builtin.close(), clamd.close()]);
});

describe('builtin and clamd on the same corpus and set', () => {
  it('the corpus is large and covers both outcomes', () => {
    expect(corpus.files.length).toBeGreaterThanOrEqual(300);
    const infected = corpus.files.filter((f) => f.expected !== null).length;
    expect(infected).toBeGreaterThanOrEqual(100);
    expect(corpus.files.length - infected).toBeGreaterThanOrEqual(100);
  });

  it('gives identical verdicts, and the ones the corpus was built for', async () => {
    const disagreements: string[] = [];
    const unexpected: string[] = [];
    for (const file of corpus.files) {
      const [a, b] = await Promise.all([
        builtin.scan(pieces(file.bytes, 7_000), file.bytes.length),
        clamd.scan(pieces(file.bytes, 64 * 1024), file.bytes.length),
      ]);
      const fromBuiltin = verdictText(a);
      const fromClamd = verdictText(b);
      if (fromBuiltin !== fromClamd)
        disagreements.push(`${file.name}: builtin ${fromBuiltin}, clamd ${fromClamd}`);
      const wanted = file.expected ?? 'clean';
      if (fromBuiltin !== wanted || fromClamd !== wanted)
        unexpected.push(
          `${file.name}: expected ${wanted}, builtin ${fromBuiltin}, clamd ${fromClamd}`,
        );
    }
    expect(disagreements).toEqual([]);
    expect(unexpected).toEqual([]);
  });
});
