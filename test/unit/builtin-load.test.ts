/**
 * Loading a set into the builtin engine: hash signatures by size, lines it cannot use reported
 * by file and name (and logged), and the verdicts it gives.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { setLogSink, type LogRecord, type LogSink } from '../../src-main/log/logger.js';
import {
  createBuiltinEngine,
  type BuiltinEngine,
} from '../../src-main/server/scanner/builtin/builtin-engine.js';
import { HashIndex } from '../../src-main/server/scanner/builtin/hash-index.js';
import { chunksOf } from '../../src-main/server/scanner/repair.js';
import type { ScanVerdict } from '../../src-main/server/scanner/engine.js';
import { virusIdentifierFor } from '../../src-shared/definitions/virus-identifier.js';
import { tempDir } from '../helpers/temp.js';

const digest = (algorithm: string, bytes: Uint8Array): string =>
  createHash(algorithm).update(bytes).digest('hex');
const hex = (text: string): string => Buffer.from(text, 'latin1').toString('hex');

async function load(
  files: Record<string, string>,
): Promise<{ engine: BuiltinEngine; report: Awaited<ReturnType<BuiltinEngine['load']>> }> {
  const dir = tempDir('cq-load-');
  for (const [name, content] of Object.entries(files))
    fs.writeFileSync(path.join(dir, name), content);
  const engine = createBuiltinEngine();
  const report = await engine.load({
    sequence: 7,
    version: '2026.02.03.004',
    certified: false,
    dir,
    name: '00000007.all.zip',
  });
  return { engine, report };
}

const scan = (engine: BuiltinEngine, bytes: Uint8Array): Promise<ScanVerdict> =>
  engine.scan(chunksOf(bytes, 1000), bytes.length);

describe('hash signatures', () => {
  const a = randomBytes(3000);
  const b = randomBytes(5000);
  const c = randomBytes(777);

  it.each([
    ['.hdb MD5 with its size', 'x.hdb', `${digest('md5', a)}:3000:Hash.Md5`, a, 'Hash.Md5'],
    ['.hdb MD5 with another size', 'x.hdb', `${digest('md5', a)}:3001:Hash.Md5`, a, null],
    [
      '.hdb MD5 upper case',
      'x.hdb',
      `${digest('md5', a).toUpperCase()}:3000:Hash.Md5`,
      a,
      'Hash.Md5',
    ],
    ['.hsb SHA-256', 'x.hsb', `${digest('sha256', b)}:5000:Hash.Sha256`, b, 'Hash.Sha256'],
    ['.hsb SHA-1', 'x.hsb', `${digest('sha1', b)}:5000:Hash.Sha1`, b, 'Hash.Sha1'],
    ['.hsb SHA-256 any size', 'x.hsb', `${digest('sha256', c)}:*:Hash.Any:73`, c, 'Hash.Any'],
    ['.hsb SHA-256, other content', 'x.hsb', `${digest('sha256', c)}:*:Hash.Any:73`, b, null],
  ])('%s', async (_why, file, line, content, virus) => {
    const { engine } = await load({ [file]: line + '\n' });
    const verdict = await scan(engine, content);
    expect(verdict.virusName).toBe(virus);
    if (virus) expect(verdict.range).toEqual({ start: 0, end: content.length });
  });

  it('finds each of thousands of digests that share one size', () => {
    const contents = Array.from({ length: 2000 }, () => randomBytes(64));
    const index = new HashIndex(
      contents.map((content, i) => ({
        algorithm: 'md5' as const,
        digest: createHash('md5').update(content).digest(),
        size: 64,
        name: `Many.${i}`,
      })),
    );
    expect(index.count).toBe(2000);
    for (const i of [0, 1, 999, 1998, 1999]) {
      expect(index.lookup('md5', 64, createHash('md5').update(contents[i]!).digest())).toBe(
        `Many.${i}`,
      );
    }
    expect(index.lookup('md5', 64, createHash('md5').update(randomBytes(64)).digest())).toBeNull();
    expect(index.lookup('md5', 65, createHash('md5').update(contents[0]!).digest())).toBeNull();
  });

  it('computes a digest only for sizes some signature has', () => {
    const index = new HashIndex([
      { algorithm: 'md5', digest: Buffer.alloc(16), size: 10, name: 'A' },
      { algorithm: 'sha256', digest: Buffer.alloc(32), size: null, name: 'B' },
    ]);
    expect(index.needs('md5', 10)).toBe(true);
    expect(index.needs('md5', 11)).toBe(false);
    expect(index.needs('sha1', 10)).toBe(false);
    expect(index.needs('sha256', 12345)).toBe(true);
  });

  it('a body match wins over a hash match', async () => {
    const content = Buffer.concat([Buffer.from('BODYMARK'), randomBytes(100)]);
    const { engine } = await load({
      'x.hdb': `${digest('md5', content)}:${content.length}:Hash.Loser\n`,
      'x.ndb': `Body.Winner:0:*:${hex('BODYMARK')}\n`,
    });
    expect((await scan(engine, content)).virusName).toBe('Body.Winner');
  });
});

describe('lines the engine cannot use', () => {
  // [file, line, reported name, reason pattern]
  const rows: [string, string, string, RegExp][] = [
    ['x.ldb', 'Logical.Sig;Target:0;0;41424344', 'Logical.Sig', /clamd engine/],
    ['x.yar', 'rule YaraRule { condition: true }', 'YaraRule', /clamd engine/],
    ['x.ndb', `Html.Sig:3:*:${hex('ABCD')}`, 'Html.Sig', /target 3/],
    ['x.ndb', `Ep.Sig:1:EP+0:${hex('ABCD')}`, 'Ep.Sig', /executable parsing/],
    ['x.ndb', `Section.Sig:1:S1+4:${hex('ABCD')}`, 'Section.Sig', /executable parsing/],
    ['x.ndb', `Word.Sig:0:*:${hex('AB')}(B)${hex('CD')}`, 'Word.Sig', /\(B\) anchor/],
    ['x.ndb', 'Wild.Sig:0:*:41??42??43', 'Wild.Sig', /no run of 2 exact bytes/],
    ['x.ndb', `Star.Sig:0:*:${hex('ABCD')}*41`, 'Star.Sig', /segment 2/],
    ['x.ndb', 'Odd.Sig:0:*:414', 'Odd.Sig', /odd number/],
    ['x.ndb', 'Short.Sig:0:*', 'Short.Sig', /expected name:target/],
    ['x.ndb', `Future.Sig:0:*:${hex('ABCD')}:999`, 'Future.Sig', /functionality level 999/],
    ['x.ndb', `Old.Sig:0:*:${hex('ABCD')}:1:20`, 'Old.Sig', /up to 20/],
    ['x.ndb', `Span.Sig:0:*:${hex('AB')}{70000}${hex('CD')}`, 'Span.Sig', /span more than/],
    ['x.ndb', `Text.Eof:7:EOF-4:${hex('ABCD')}`, 'Text.Eof', /EOF offsets on normalised text/],
    ['x.ndb', `Bad.Offset:0:somewhere:${hex('ABCD')}`, 'Bad.Offset', /offset "somewhere"/],
    ['x.ndb', `Bad.Gap:0:*:${hex('AB')}{5-2}${hex('CD')}`, 'Bad.Gap', /reversed/],
    ['x.hdb', 'nothex:10:Bad.Md5', 'Bad.Md5', /not a MD5/],
    ['x.hdb', `${'a'.repeat(32)}:ten:Bad.Size`, 'Bad.Size', /size "ten"/],
    ['x.hsb', `${'a'.repeat(50)}:10:Bad.Sha`, 'Bad.Sha', /SHA-1\/SHA-256/],
  ];

  let restore: LogSink | undefined;
  afterEach(() => {
    if (restore) setLogSink(restore);
    restore = undefined;
  });

  it.each(rows)('%s: %s', async (file, line, name, reason) => {
    const records: LogRecord[] = [];
    restore = setLogSink((r) => records.push(r), 'warn');
    const { report, engine } = await load({
      [file]: line + '\n',
      'good.ndb': `Good.Sig:0:*:${hex('GOODMARK')}\n`,
    });
    expect(report.unusable).toHaveLength(1);
    expect(report.unusable[0]).toMatchObject({ file, name });
    expect(report.unusable[0]!.reason).toMatch(reason);
    // The rest of the set still loads and works.
    expect(report.signatures).toBe(1);
    expect((await scan(engine, Buffer.from('..GOODMARK..'))).virusName).toBe('Good.Sig');
    const logged = records.find((r) => r.level === 'warn' && r.fields?.['file'] === file);
    expect(logged?.fields?.['names']).toEqual([name]);
  });

  it('counts every usable signature and reports every unusable one', async () => {
    const { report } = await load({
      'a.ndb': [`A:0:*:${hex('AAAA')}`, `B:3:*:${hex('BBBB')}`, `C:1:*:${hex('CCCC')}`].join('\n'),
      'b.hdb': `${'0'.repeat(32)}:5:D\n${'1'.repeat(32)}:6:E\n`,
      'c.ldb': 'F;Target:0;0;41414141\nG;Target:0;0;42424242\n',
    });
    expect(report.signatures).toBe(4);
    expect(report.unusable.map((u) => `${u.file}:${u.name}`)).toEqual([
      'a.ndb:B',
      'c.ldb:F',
      'c.ldb:G',
    ]);
  });
});

describe('verdicts', () => {
  it('repaired when repair.json has a recipe, norepair otherwise, with a stable identifier', async () => {
    const { engine } = await load({
      'x.ndb': `Fixable:0:*:${hex('FIXME')}\nFatal:0:*:${hex('FATAL')}\n`,
      'repair.json': JSON.stringify({ Fixable: { action: 'excise' } }),
    });
    expect(await scan(engine, Buffer.from('..FIXME..'))).toEqual({
      result: 'repaired',
      virusName: 'Fixable',
      virusIdentifier: virusIdentifierFor('Fixable'),
      repair: { action: 'excise' },
      range: { start: 2, end: 7 },
      notScanned: null,
    });
    expect(await scan(engine, Buffer.from('..FATAL..'))).toMatchObject({
      result: 'norepair',
      repair: null,
      virusIdentifier: virusIdentifierFor('Fatal'),
    });
    expect(virusIdentifierFor('Fixable')).not.toBe(virusIdentifierFor('Fatal'));
  });

  it('badscan, never nodetect, when nothing is loaded', async () => {
    const verdict = await createBuiltinEngine().scan(chunksOf(Buffer.from('x')), 1);
    expect(verdict).toMatchObject({ result: 'badscan', notScanned: 'no definitions loaded' });
  });

  it.each([
    ['shorter', 10, 11],
    ['longer', 12, 11],
  ])('badscan when the content is %s than announced', async (_why, actual, announced) => {
    const { engine } = await load({ 'x.ndb': `A:0:*:${hex('AAAA')}\n` });
    const verdict = await engine.scan(chunksOf(Buffer.alloc(actual)), announced);
    expect(verdict.result).toBe('badscan');
    expect(verdict.notScanned).toBe(`content was ${actual} bytes, ${announced} were announced`);
  });

  it('badscan when the content cannot be read', async () => {
    const { engine } = await load({ 'x.ndb': `A:0:*:${hex('AAAA')}\n` });
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(2000);
      await Promise.resolve();
      throw new Error('disk on fire');
    }
    const verdict = await engine.scan(broken(), 5000);
    expect(verdict).toMatchObject({ result: 'badscan' });
    expect(verdict.notScanned).toMatch(/after 2000 bytes: disk on fire/);
  });

  it('an empty sample is clean (as ClamAV skips empty files)', async () => {
    const { engine } = await load({ 'x.hdb': `${digest('md5', Buffer.alloc(0))}:0:Empty\n` });
    expect((await scan(engine, Buffer.alloc(0))).result).toBe('nodetect');
  });

  it('load fails on a folder that cannot be read, and keeps the set it had', async () => {
    const { engine } = await load({ 'x.ndb': `A:0:*:${hex('AAAA')}\n` });
    await expect(
      engine.load({
        sequence: 8,
        version: '2026.02.03.005',
        certified: false,
        dir: '/nonexistent/cq',
        name: '00000008.all.zip',
      }),
    ).rejects.toThrow(/ENOENT/);
    expect(engine.active?.sequence).toBe(7);
    expect((await scan(engine, Buffer.from('AAAA'))).virusName).toBe('A');
  });
});
