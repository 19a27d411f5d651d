/** Repair recipes applied to a decoded copy, and the rescan that decides whether it is clean. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createBuiltinEngine,
  type BuiltinEngine,
} from '../../src-main/server/scanner/builtin/builtin-engine.js';
import type { RepairRecipe } from '../../src-main/server/scanner/engine.js';
import { applyRepair, repairAndVerify, scanBytes } from '../../src-main/server/scanner/repair.js';
import { tempDir } from '../helpers/temp.js';

const hex = (text: string): string => Buffer.from(text, 'latin1').toString('hex');
const text = (bytes: Buffer): string => bytes.toString('latin1');

describe('applyRepair', () => {
  const content = Buffer.from('0123456789');
  const excise: RepairRecipe = { action: 'excise' };
  const truncate: RepairRecipe = { action: 'truncate' };

  it.each([
    ['excise the middle', excise, { start: 3, end: 6 }, '0126789'],
    ['excise the start', excise, { start: 0, end: 4 }, '456789'],
    ['excise the end', excise, { start: 8, end: 10 }, '01234567'],
    ['excise everything', excise, { start: 0, end: 10 }, ''],
    ['truncate at the match', truncate, { start: 3, end: 6 }, '012'],
    ['truncate at the start', truncate, { start: 0, end: 2 }, ''],
  ])('%s', (_why, recipe, range, expected) => {
    const outcome = applyRepair(content, recipe, range);
    expect(outcome.ok && text(outcome.bytes)).toBe(expected);
    expect(text(content)).toBe('0123456789');
  });

  it.each([
    ['no recipe', null, { start: 0, end: 1 }, /no repair/],
    ['no range', excise, null, /did not report where/],
    ['a range past the end', excise, { start: 5, end: 11 }, /outside the 10-byte sample/],
    ['a reversed range', truncate, { start: 5, end: 4 }, /outside/],
    ['a negative start', excise, { start: -1, end: 4 }, /outside/],
  ] as const)('refuses with %s', (_why, recipe, range, reason) => {
    const outcome = applyRepair(content, recipe, range);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.reason).toMatch(reason);
  });
});

describe('repairAndVerify', () => {
  async function engineWith(
    ndb: string,
    recipes: Record<string, RepairRecipe>,
  ): Promise<BuiltinEngine> {
    const dir = tempDir('cq-repair-');
    fs.writeFileSync(path.join(dir, 'r.ndb'), ndb);
    fs.writeFileSync(path.join(dir, 'repair.json'), JSON.stringify(recipes));
    const engine = createBuiltinEngine();
    await engine.load({
      sequence: 1,
      version: '2026.01.01.001',
      certified: true,
      dir,
      name: '00000001.all.zip',
    });
    return engine;
  }

  it('repairs every copy of a payload, rescanning after each', async () => {
    const engine = await engineWith(`Worm:0:*:${hex('WORM')}{2}${hex('END')}\n`, {
      Worm: { action: 'excise' },
    });
    const infected = Buffer.from('head WORM..END middle WORM!!END tail');
    const result = await repairAndVerify(engine, infected, await scanBytes(engine, infected));
    expect(result.ok).toBe(true);
    if (result.ok) expect(text(result.bytes)).toBe('head  middle  tail');
    expect(result.rounds.map((r) => r.result)).toEqual(['repaired', 'repaired', 'nodetect']);
  });

  it('fails when what is left is detected by a signature without a recipe', async () => {
    const engine = await engineWith(`Fixable:0:*:${hex('FIXABLE')}\nFatal:0:*:${hex('FATAL')}\n`, {
      Fixable: { action: 'excise' },
    });
    const infected = Buffer.from('FIXABLE then FATAL');
    const result = await repairAndVerify(engine, infected, await scanBytes(engine, infected));
    expect(result).toMatchObject({
      ok: false,
      reason: 'the definitions have no repair for this detection',
    });
    expect(result.rounds.map((r) => r.virusName)).toEqual(['Fixable', 'Fatal']);
  });

  it('fails after the round limit when a repair keeps finding more', async () => {
    const engine = await engineWith(`Layer:0:*:${hex('LAYER')}\n`, { Layer: { action: 'excise' } });
    const infected = Buffer.from('LAYER'.repeat(20));
    const result = await repairAndVerify(engine, infected, await scanBytes(engine, infected));
    expect(result).toMatchObject({ ok: false, reason: 'still detected as Layer after 8 repairs' });
    expect(result.rounds).toHaveLength(9);
  });

  it('succeeds at once on a clean sample', async () => {
    const engine = await engineWith(`Layer:0:*:${hex('LAYER')}\n`, {});
    const clean = Buffer.from('nothing here');
    const result = await repairAndVerify(engine, clean, await scanBytes(engine, clean));
    expect(result.ok && text(result.bytes)).toBe('nothing here');
  });
});
