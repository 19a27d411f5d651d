/**
 * The builtin engine streams: the verdict and match range do not depend on how the content is
 * cut into chunks, signatures split across chunk boundaries are found, `*` spans are unbounded,
 * and content is never held whole.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createBuiltinEngine,
  type BuiltinEngine,
} from '../../src-main/server/scanner/builtin/builtin-engine.js';
import {
  buildAutomaton,
  buildTrigramFilter,
  runAutomaton,
} from '../../src-main/server/scanner/builtin/automaton.js';
import { chunksOf } from '../../src-main/server/scanner/repair.js';
import { tempDir } from '../helpers/temp.js';

const hex = (text: string): string => Buffer.from(text, 'latin1').toString('hex');

/** Deterministic noise that contains none of the markers below. */
function noise(size: number, label: string): Buffer {
  const out = Buffer.alloc(size);
  for (let at = 0, n = 0; at < size; n++, at += 32) {
    createHash('sha256').update(`${label}:${n}`).digest().copy(out, at);
  }
  // Keep it free of upper-case letters so no marker can appear by chance.
  for (let i = 0; i < size; i++) if (out[i]! >= 0x41 && out[i]! <= 0x5a) out[i] = 0;
  return out;
}

const SET = [
  `Stream.Literal:0:*:${hex('LITERALMARKER')}`,
  `Stream.Gaps:0:*:${hex('GAPHEAD')}{10-40}${hex('GAPTAIL')}??${hex('END')}`,
  `Stream.Star:0:*:${hex('STARFIRST')}*${hex('STARSECOND')}*${hex('STARTHIRD')}`,
  `Stream.Eof:0:EOF-9:${hex('EOFMARKER')}`,
].join('\n');

async function engine(): Promise<BuiltinEngine> {
  const dir = tempDir('cq-stream-');
  fs.writeFileSync(path.join(dir, 'stream.ndb'), SET + '\n');
  const e = createBuiltinEngine();
  await e.load({
    sequence: 1,
    version: '2026.01.01.001',
    certified: false,
    dir,
    name: '00000001.all.zip',
  });
  return e;
}

function place(base: Buffer, at: number, text: string): Buffer {
  Buffer.from(text, 'latin1').copy(base, at);
  return base;
}

/** Chunks of varying sizes, so boundaries fall everywhere. */
async function* ragged(bytes: Buffer, sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    yield bytes.subarray(at, at + size);
    at += size;
  }
  await Promise.resolve();
}

describe('chunking does not change the verdict', () => {
  const cases: [string, Buffer, string, { start: number; end: number }][] = [
    [
      'literal',
      place(noise(5000, 'a'), 2500, 'LITERALMARKER'),
      'Stream.Literal',
      { start: 2500, end: 2513 },
    ],
    [
      'gaps',
      place(place(noise(5000, 'b'), 1000, 'GAPHEAD'), 1030, 'GAPTAILxEND'),
      'Stream.Gaps',
      { start: 1000, end: 1041 },
    ],
    [
      'star',
      place(
        place(place(noise(9000, 'c'), 100, 'STARFIRST'), 4000, 'STARSECOND'),
        8000,
        'STARTHIRD',
      ),
      'Stream.Star',
      { start: 100, end: 8009 },
    ],
    ['eof', place(noise(5000, 'd'), 4991, 'EOFMARKER'), 'Stream.Eof', { start: 4991, end: 5000 }],
  ];
  const chunkings: [string, number[]][] = [
    ['whole', [1 << 30]],
    ['1 byte', [1]],
    ['2 bytes', [2]],
    ['7 bytes', [7]],
    ['ragged', [3, 1, 500, 13, 1, 2, 4096]],
    ['64 KiB', [65536]],
  ];

  it.each(
    cases.flatMap(([name, content, virus, range]) =>
      chunkings.map(([how, sizes]) => [name, how, content, virus, range, sizes] as const),
    ),
  )('%s signature, %s chunks', async (_name, _how, content, virus, range, sizes) => {
    const verdict = await (await engine()).scan(ragged(content, sizes), content.length);
    expect(verdict).toMatchObject({ result: 'norepair', virusName: virus, range });
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13])(
    'a literal split after %i of its bytes is found',
    async (split) => {
      const content = place(noise(200, 'e'), 100, 'LITERALMARKER');
      const verdict = await (
        await engine()
      ).scan(ragged(content, [100 + split, 1000]), content.length);
      expect(verdict.virusName).toBe('Stream.Literal');
    },
  );
});

describe('large content', () => {
  it('a * signature matches across megabytes, far beyond the window', async () => {
    const content = noise(6 * 1024 * 1024, 'f');
    place(content, 10, 'STARFIRST');
    place(content, 3 * 1024 * 1024, 'STARSECOND');
    place(content, 6 * 1024 * 1024 - 20, 'STARTHIRD');
    const verdict = await (await engine()).scan(chunksOf(content, 100_000), content.length);
    expect(verdict.range).toEqual({ start: 10, end: 6 * 1024 * 1024 - 11 });
  });

  it('a match at the very end of a large sample is found, and clean content is clean', async () => {
    const clean = noise(4 * 1024 * 1024, 'g');
    const e = await engine();
    expect((await e.scan(chunksOf(clean, 65536), clean.length)).result).toBe('nodetect');
    place(clean, clean.length - 13, 'LITERALMARKER');
    expect((await e.scan(chunksOf(clean, 65536), clean.length)).range).toEqual({
      start: clean.length - 13,
      end: clean.length,
    });
  });

  it('copies what it keeps: a caller may reuse its chunk buffer', async () => {
    const e = await engine();
    // Smaller than the bytes type recognition reads first, so the engine must hold on to it.
    const chunk = Buffer.alloc(600);
    async function* reused(): AsyncGenerator<Uint8Array> {
      chunk.fill(0);
      place(chunk, 590, 'LITERALMAR');
      yield chunk;
      chunk.fill(0);
      place(chunk, 0, 'KER');
      yield chunk;
      await Promise.resolve();
    }
    expect((await e.scan(reused(), 1200)).range).toEqual({ start: 590, end: 603 });
  });
});

describe('the automaton', () => {
  it('reports every pattern, including ones that end inside others', () => {
    const patterns = ['he', 'she', 'his', 'hers', 'ushers'].map((p) => Buffer.from(p));
    const ac = buildAutomaton(patterns, { maxDenseRows: 2 });
    const hits: number[] = [];
    runAutomaton(ac, buildTrigramFilter(patterns), Buffer.from('ushershis'), 0, 9, 0, hits);
    const found: string[] = [];
    for (let h = 0; h < hits.length; h += 2) {
      for (let o = hits[h]!; o >= 0; o = ac.dictLink[o]!) {
        found.push(`${patterns[ac.patternAt[o]!]!.toString()}@${hits[h + 1]}`);
      }
    }
    expect(found.sort()).toEqual(['he@4', 'hers@6', 'his@9', 'she@4', 'ushers@6'].sort());
  });

  // Patterns of 2 to 10 bytes hidden in noise, some overlapping.
  const patterns = Array.from({ length: 300 }, (_, i) => noise(2 + (i % 9), `p${i}`));
  const text = Buffer.concat(
    patterns.map((p, i) => Buffer.concat([noise(i % 40, `s${i}`), p, p.subarray(0, i % 3)])),
  );
  const ends = (hits: number[]): number[] => hits.filter((_, i) => i % 2 === 1);
  const reference: number[] = [];
  runAutomaton(
    buildAutomaton(patterns, { maxDenseRows: 1 << 20 }),
    null,
    text,
    0,
    text.length,
    0,
    reference,
  );

  it.each([1, 2, 4096])('gives the same hits whatever the dense row budget (%i)', (rows) => {
    const hits: number[] = [];
    runAutomaton(
      buildAutomaton(patterns, { maxDenseRows: rows }),
      null,
      text,
      0,
      text.length,
      0,
      hits,
    );
    expect(ends(hits)).toEqual(ends(reference));
    expect(hits.length).toBeGreaterThanOrEqual(600);
  });

  it.each([1, 2, 4096])('skipping with the prefilter loses no hit (dense rows %i)', (rows) => {
    const ac = buildAutomaton(patterns, { maxDenseRows: rows });
    const hits: number[] = [];
    // In pieces, as the streaming window runs it, each piece seeing the bytes before it.
    let state = 0;
    for (let at = 0; at < text.length; at += 997) {
      state = runAutomaton(
        ac,
        buildTrigramFilter(patterns),
        text,
        at,
        Math.min(text.length, at + 997),
        state,
        hits,
      );
    }
    expect(ends(hits)).toEqual(ends(reference));
  });

  it('with a prefilter for some patterns, reports at least every hit of those', () => {
    const ac = buildAutomaton(patterns);
    const all: number[] = [];
    runAutomaton(ac, null, text, 0, text.length, 0, all);
    const wanted = new Set(patterns.filter((_, i) => i % 3 === 0).map((p) => p.toString('latin1')));
    const hits: number[] = [];
    runAutomaton(
      ac,
      buildTrigramFilter(patterns.filter((p) => wanted.has(p.toString('latin1')))),
      text,
      0,
      text.length,
      0,
      hits,
    );
    const got = new Set<string>();
    for (let h = 0; h < hits.length; h += 2) {
      for (let o = hits[h]!; o >= 0; o = ac.dictLink[o]!)
        got.add(`${ac.patternAt[o]}@${hits[h + 1]}`);
    }
    const expected: string[] = [];
    for (let h = 0; h < all.length; h += 2) {
      for (let o = all[h]!; o >= 0; o = ac.dictLink[o]!) {
        if (wanted.has(patterns[ac.patternAt[o]!]!.toString('latin1')))
          expected.push(`${ac.patternAt[o]}@${all[h + 1]}`);
      }
    }
    expect(expected.length).toBeGreaterThan(100);
    for (const hit of expected) expect(got.has(hit), hit).toBe(true);
  });
});
