/** The builtin engine's body signatures: every pattern form, offset and target, as tables. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createBuiltinEngine,
  type BuiltinEngine,
} from '../../src-main/server/scanner/builtin/builtin-engine.js';
import { chunksOf } from '../../src-main/server/scanner/repair.js';
import type { ScanVerdict } from '../../src-main/server/scanner/engine.js';
import { tempDir } from '../helpers/temp.js';

const hex = (text: string): string => Buffer.from(text, 'latin1').toString('hex');
const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');
/** Filler that is neither text nor any magic, and never part of a pattern below. */
const fill = (n: number): Buffer => Buffer.alloc(n, 0xee);

async function engineWith(files: Record<string, string>): Promise<BuiltinEngine> {
  const dir = tempDir('cq-builtin-');
  for (const [name, content] of Object.entries(files))
    fs.writeFileSync(path.join(dir, name), content);
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

function scan(engine: BuiltinEngine, content: Uint8Array, chunk = 65536): Promise<ScanVerdict> {
  return engine.scan(chunksOf(content, chunk), content.length);
}

describe('pattern forms (target 0, offset *)', () => {
  // [form, hex signature, content between 20 filler bytes on each side, matches]
  const rows: [string, string, Buffer, boolean][] = [
    ['literal', hex('ABCD'), bytes('ABCD'), true],
    ['literal, one byte off', hex('ABCD'), bytes('ABCE'), false],
    ['?? any byte', `${hex('AB')}??${hex('DE')}`, bytes('ABxDE'), true],
    ['?? needs exactly one byte', `${hex('AB')}??${hex('DE')}`, bytes('ABxxDE'), false],
    ['high nibble 4?', `${hex('AB')}4?${hex('DE')}`, bytes('ABCDE'), true],
    ['high nibble 4? refuses 5x', `${hex('AB')}4?${hex('DE')}`, bytes('ABSDE'), false],
    ['low nibble ?3', `${hex('AB')}?3${hex('DE')}`, bytes('ABSDE'), true],
    ['low nibble ?3 refuses x4', `${hex('AB')}?3${hex('DE')}`, bytes('ABDDE'), false],
    ['{n} exact gap', `${hex('AB')}{3}${hex('DE')}`, bytes('AB123DE'), true],
    ['{n} refuses a shorter gap', `${hex('AB')}{3}${hex('DE')}`, bytes('AB12DE'), false],
    ['{n-m} lower bound', `${hex('AB')}{2-4}${hex('DE')}`, bytes('AB12DE'), true],
    ['{n-m} upper bound', `${hex('AB')}{2-4}${hex('DE')}`, bytes('AB1234DE'), true],
    ['{n-m} below', `${hex('AB')}{2-4}${hex('DE')}`, bytes('AB1DE'), false],
    ['{n-m} above', `${hex('AB')}{2-4}${hex('DE')}`, bytes('AB12345DE'), false],
    ['{-n} no gap', `${hex('AB')}{-2}${hex('DE')}`, bytes('ABDE'), true],
    ['{-n} at most n', `${hex('AB')}{-2}${hex('DE')}`, bytes('AB123DE'), false],
    ['{n-} at least n', `${hex('AB')}{3-}${hex('DE')}`, bytes('AB123DE'), true],
    [
      '{n-} far apart',
      `${hex('AB')}{3-}${hex('DE')}`,
      Buffer.concat([bytes('AB'), fill(5000), bytes('DE')]),
      true,
    ],
    ['{n-} too close', `${hex('AB')}{3-}${hex('DE')}`, bytes('AB12DE'), false],
    ['[n-m] range', `${hex('AB')}[1-2]${hex('DE')}`, bytes('AB1DE'), true],
    ['[n-m] out of range', `${hex('AB')}[1-2]${hex('DE')}`, bytes('AB123DE'), false],
    [
      '* in order',
      `${hex('ABCD')}*${hex('EFGH')}`,
      Buffer.concat([bytes('ABCD'), fill(300), bytes('EFGH')]),
      true,
    ],
    ['* adjacent', `${hex('ABCD')}*${hex('EFGH')}`, bytes('ABCDEFGH'), true],
    [
      '* out of order',
      `${hex('ABCD')}*${hex('EFGH')}`,
      Buffer.concat([bytes('EFGH'), fill(30), bytes('ABCD')]),
      false,
    ],
    [
      '* three parts',
      `${hex('AAAA')}*${hex('BBBB')}*${hex('CCCC')}`,
      bytes('AAAA.BBBB..CCCC'),
      true,
    ],
    [
      '* three parts, middle missing',
      `${hex('AAAA')}*${hex('BBBB')}*${hex('CCCC')}`,
      bytes('AAAA..CCCC.BBBB'),
      false,
    ],
    ['(a|b) first option', `${hex('AB')}(43|4344)${hex('EF')}`, bytes('ABCEF'), true],
    ['(a|b) longer option', `${hex('AB')}(43|4344)${hex('EF')}`, bytes('ABCDEF'), true],
    ['(a|b) no option', `${hex('AB')}(43|4344)${hex('EF')}`, bytes('ABXEF'), false],
    ['(a|b) with nibble and ??', `${hex('AB')}(4?|??30)${hex('EF')}`, bytes('ABx0EF'), true],
    ['!(a|b) other byte', `${hex('AB')}!(43|44)${hex('EF')}`, bytes('ABXEF'), true],
    ['!(a|b) listed byte', `${hex('AB')}!(43|44)${hex('EF')}`, bytes('ABCEF'), false],
    [
      'gaps before the anchor',
      `${hex('Q')}??${hex('R')}{1-3}${hex('ANCHOR')}`,
      bytes('QxRyyANCHOR'),
      true,
    ],
    [
      'gaps before the anchor, too long',
      `${hex('Q')}??${hex('R')}{1-3}${hex('ANCHOR')}`,
      bytes('QxRyyyyANCHOR'),
      false,
    ],
    [
      'literal longer than an anchor',
      hex('0123456789abcdefghijklmnopqrstuvwxyzABCDEF'),
      bytes('0123456789abcdefghijklmnopqrstuvwxyzABCDEF'),
      true,
    ],
    [
      'long literal with a late difference',
      hex('0123456789abcdefghijklmnopqrstuvwxyzABCDEF'),
      bytes('0123456789abcdefghijklmnopqrstuvwxyzABCDEx'),
      false,
    ],
  ];

  it.each(rows)('%s', async (_form, signature, middle, matches) => {
    const engine = await engineWith({ 'forms.ndb': `Test.Form:0:*:${signature}\n` });
    const content = Buffer.concat([fill(20), middle, fill(20)]);
    const verdict = await scan(engine, content);
    if (matches) {
      expect(verdict).toMatchObject({
        result: 'norepair',
        virusName: 'Test.Form',
        notScanned: null,
      });
      expect(verdict.range).toEqual({ start: 20, end: 20 + middle.length });
    } else {
      expect(verdict).toMatchObject({ result: 'nodetect', virusName: null, range: null });
    }
  });
});

describe('offsets', () => {
  const sig = hex('MARK');
  // [offset field, position of MARK in 100 filler bytes, matches]
  const rows: [string, number, boolean][] = [
    ['*', 37, true],
    ['0', 0, true],
    ['0', 1, false],
    ['10', 10, true],
    ['10', 11, false],
    ['10,5', 10, true],
    ['10,5', 15, true],
    ['10,5', 16, false],
    ['10,5', 9, false],
    ['EOF-8', 92, true],
    ['EOF-8', 91, false],
    ['EOF-8,2', 94, true],
    ['EOF-8,2', 95, false],
    ['EOF-4', 96, true],
  ];

  it.each(rows)('offset %s with the signature at %i → %s', async (offset, at, matches) => {
    const engine = await engineWith({ 'offsets.ndb': `Test.Offset:0:${offset}:${sig}\n` });
    const content = fill(100);
    bytes('MARK').copy(content, at);
    const verdict = await scan(engine, content);
    expect(verdict.result).toBe(matches ? 'norepair' : 'nodetect');
  });

  it('an offset applies to the start of the signature, not of its anchor', async () => {
    const engine = await engineWith({ 'offsets.ndb': `Test.Offset:0:10:??${hex('MARK')}\n` });
    const at11 = fill(100);
    bytes('MARK').copy(at11, 11);
    const at10 = fill(100);
    bytes('MARK').copy(at10, 10);
    expect((await scan(engine, at11)).range).toEqual({ start: 10, end: 15 });
    expect((await scan(engine, at10)).result).toBe('nodetect');
  });

  it('an offset applies to the first part of a * signature', async () => {
    const engine = await engineWith({
      'offsets.ndb': `Test.Offset:0:4:${hex('HEAD')}*${hex('TAIL')}\n`,
    });
    const good = Buffer.concat([fill(4), bytes('HEAD'), fill(50), bytes('TAIL')]);
    const bad = Buffer.concat([fill(5), bytes('HEAD'), fill(50), bytes('TAIL')]);
    expect((await scan(engine, good)).range).toEqual({ start: 4, end: 62 });
    expect((await scan(engine, bad)).result).toBe('nodetect');
  });
});

describe('targets recognised by content', () => {
  const mark = 'cq-target-mark';
  const kinds: Record<string, Buffer> = {
    pe: Buffer.concat([bytes('MZ'), fill(100)]),
    elf: Buffer.concat([bytes('\x7fELF'), fill(100)]),
    macho64: Buffer.concat([Buffer.from([0xcf, 0xfa, 0xed, 0xfe]), fill(100)]),
    macho32be: Buffer.concat([Buffer.from([0xfe, 0xed, 0xfa, 0xce]), fill(100)]),
    fat: Buffer.concat([Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2]), fill(100)]),
    java: Buffer.concat([Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 0x34]), fill(100)]),
    text: bytes('Plain text, nothing else.\n'),
    binary: Buffer.concat([Buffer.from([0]), fill(100)]),
  };
  // [target, kind, matches]
  const rows: [number, string, boolean][] = [
    [0, 'pe', true],
    [0, 'elf', true],
    [0, 'text', true],
    [0, 'binary', true],
    [1, 'pe', true],
    [1, 'elf', false],
    [1, 'binary', false],
    [6, 'elf', true],
    [6, 'pe', false],
    [6, 'macho64', false],
    [9, 'macho64', true],
    [9, 'macho32be', true],
    [9, 'fat', true],
    [9, 'java', false],
    [9, 'elf', false],
    [7, 'text', true],
    [7, 'binary', false],
    [7, 'pe', false],
  ];

  it.each(rows)('target %i on %s content → %s', async (target, kind, matches) => {
    const engine = await engineWith({ 't.ndb': `Test.Target:${target}:*:${hex(mark)}\n` });
    const content = Buffer.concat([kinds[kind]!, bytes(` ${mark} `), kinds[kind]!.subarray(4)]);
    const verdict = await scan(engine, content);
    expect(verdict.result).toBe(matches ? 'norepair' : 'nodetect');
  });
});

describe('normalised text (target 7)', () => {
  const sig = `Test.Text:7:*:${hex('hello world')}\n`;

  it.each([
    ['upper case and a whitespace run', 'Say HELLO \t\n  World to all\n', 4, 19],
    ['bytes above 0x7f (UTF-8 text) are dropped', 'Say hello\xc3\xa9 world\n', 4, 17],
    [
      'control bytes after the sniffed head are dropped',
      `${'x'.repeat(1100)} hello\x01 world\n`,
      1101,
      1113,
    ],
    ['already normal', 'x hello world y\n', 2, 13],
  ])('%s', async (_why, text, start, end) => {
    const engine = await engineWith({ 't.ndb': sig });
    const verdict = await scan(engine, bytes(text), 3);
    // The range is in raw bytes, so a repair cuts what is really there.
    expect(verdict).toMatchObject({ result: 'norepair', range: { start, end } });
  });

  it('does not match text that does not normalise to the signature', async () => {
    const engine = await engineWith({ 't.ndb': sig });
    expect((await scan(engine, bytes('hello-world\n'))).result).toBe('nodetect');
  });

  it('target 0 signatures with offset * also see normalised text, others do not', async () => {
    const engine = await engineWith({
      't.ndb': `Test.Any:0:*:${hex('hello world')}\nTest.Fixed:0:4:${hex('hello world')}\n`,
    });
    expect((await scan(engine, bytes('Say HELLO   WORLD\n'))).virusName).toBe('Test.Any');
    const fixedOnly = await engineWith({ 't.ndb': `Test.Fixed:0:4:${hex('hello world')}\n` });
    expect((await scan(fixedOnly, bytes('Say HELLO   WORLD\n'))).result).toBe('nodetect');
    expect((await scan(fixedOnly, bytes('Say hello world\n'))).virusName).toBe('Test.Fixed');
  });

  it('an absolute offset counts normalised bytes', async () => {
    const engine = await engineWith({ 't.ndb': `Test.Text:7:2:${hex('hello')}\n` });
    expect((await scan(engine, bytes('a    HELLO\n'))).result).toBe('norepair');
    expect((await scan(engine, bytes('ab   HELLO\n'))).result).toBe('nodetect');
  });

  it('text over 5 MiB is not normalised', async () => {
    const engine = await engineWith({ 't.ndb': sig });
    const big = Buffer.alloc(5 * 1024 * 1024 + 1, 0x61);
    bytes('HELLO WORLD').copy(big, 1000);
    expect((await scan(engine, big)).result).toBe('nodetect');
    expect((await scan(engine, big.subarray(0, 5 * 1024 * 1024))).result).toBe('norepair');
  });

  it('a raw match wins over a normalised one', async () => {
    const engine = await engineWith({
      't.ndb': `Test.Text:7:*:${hex('hello world')}\nTest.Raw:0:*:${hex('LATER')}\n`,
    });
    expect((await scan(engine, bytes('hello world then LATER\n'))).virusName).toBe('Test.Raw');
  });
});
