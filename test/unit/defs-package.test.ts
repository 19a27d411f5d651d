/**
 * Definitions packages (SPEC §4.4): the writer and the reader round-trip, and the reader refuses
 * every hostile or broken package with `unpackage` and a readable reason.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { WireError } from '../../src-shared/catalog/errors.js';
import { formatHttpDate } from '../../src-shared/codec/dates.js';
import {
  PackageBuildError,
  buildPackage,
  verifyPackage,
  type PackageLimits,
} from '../../src-main/server/definitions/package.js';
import { tempDir } from '../helpers/temp.js';

const md5 = (bytes: Uint8Array | string): string => createHash('md5').update(bytes).digest('hex');
const DAY = Date.UTC(2026, 2, 14, 9, 30, 0);

const NDB = 'Test.Sig:0:*:41424344\n';
const HDB = `${md5('x')}:1:Test.Hash\n`;

/** One entry of a hand-made zip: name, content, and lies to tell in its headers. */
interface RawEntry {
  readonly name: string;
  readonly data: Buffer;
  readonly stored?: boolean;
  readonly declaredSize?: number;
  readonly encrypted?: boolean;
}

/** A zip written byte by byte, so that tests can make it say anything. */
function rawZip(entries: readonly RawEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const body = entry.stored ? entry.data : deflateRawSync(entry.data);
    const size = entry.declaredSize ?? entry.data.length;
    const flags = (entry.encrypted ? 1 : 0) | 0x800;
    const method = entry.stored ? 0 : 8;
    const crc = crc32(entry.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

function manifestFor(files: Record<string, Buffer>, extra: Record<string, unknown> = {}): Buffer {
  const date = formatHttpDate(DAY);
  return Buffer.from(
    JSON.stringify({
      sequence: 42,
      version: '2026.03.14.001',
      certified: true,
      kind: 'all',
      produced: date,
      published: date,
      blessed: date,
      files: Object.fromEntries(Object.entries(files).map(([n, b]) => [n, md5(b)])),
      ...extra,
    }),
  );
}

/** A package whose manifest lists `listed` and whose zip holds `present` (default: the same). */
function hostile(
  listed: Record<string, Buffer>,
  present: readonly RawEntry[] = Object.entries(listed).map(([name, data]) => ({ name, data })),
  manifest: Buffer = manifestFor(listed),
): Buffer {
  return rawZip([{ name: 'manifest.json', data: manifest }, ...present]);
}

async function refusal(
  source: Uint8Array | string,
  limits?: Partial<PackageLimits>,
  expectedMd5?: string,
): Promise<string> {
  try {
    await verifyPackage(source, {
      ...(limits ? { limits } : {}),
      ...(expectedMd5 ? { expectedMd5 } : {}),
    });
  } catch (error) {
    expect(error).toBeInstanceOf(WireError);
    expect((error as WireError).code).toBe('unpackage');
    expect((error as WireError).params).toHaveLength(1);
    return String((error as WireError).params[0]);
  }
  throw new Error('the package was accepted');
}

describe('writer and reader', () => {
  it('round-trips a set built from a folder', async () => {
    const dir = tempDir('cq-pkg-');
    fs.writeFileSync(path.join(dir, 'main.ndb'), NDB);
    fs.writeFileSync(path.join(dir, 'main.hdb'), HDB);
    fs.writeFileSync(
      path.join(dir, 'repair.json'),
      JSON.stringify({ 'Test.Sig': { action: 'excise' } }),
    );
    const built = await buildPackage({
      sequence: 42,
      certified: true,
      fromDir: dir,
      produced: DAY,
    });
    expect(built.name).toBe('00000042.all.zip');
    expect(built.md5).toBe(md5(built.bytes));
    const read = await verifyPackage(built.bytes, { expectedMd5: built.md5.toUpperCase() });
    expect(read.manifest).toEqual(built.manifest);
    expect(read.manifest).toMatchObject({
      sequence: 42,
      version: '2026.03.14.001',
      certified: true,
      kind: 'all',
      produced: 'Sat, 14 Mar 2026 09:30:00 GMT',
      blessed: 'Sat, 14 Mar 2026 09:30:00 GMT',
    });
    expect([...read.files.keys()].sort()).toEqual(['main.hdb', 'main.ndb', 'repair.json']);
    expect(read.files.get('main.ndb')!.toString()).toBe(NDB);
    expect(read.md5).toBe(built.md5);
  });

  it('writes the same bytes for the same input', async () => {
    const options = { sequence: 3, certified: false, files: { 'a.ndb': NDB }, produced: DAY };
    const [one, two] = await Promise.all([buildPackage(options), buildPackage(options)]);
    expect(one.md5).toBe(two.md5);
    expect(one.manifest.blessed).toBeNull();
  });

  it('writes an incr set with its base, from a map of files', async () => {
    const built = await buildPackage({
      sequence: 9,
      certified: false,
      kind: 'incr',
      base: 8,
      files: new Map([['extra.ndb', Buffer.from(NDB)]]),
      version: '2026.03.14.027',
      produced: DAY,
    });
    expect(built.name).toBe('00000009.incr.zip');
    const read = await verifyPackage(built.bytes);
    expect(read.manifest).toMatchObject({ kind: 'incr', base: 8, version: '2026.03.14.027' });
  });

  it('checks a package file on disk, including that its name matches the manifest', async () => {
    const dir = tempDir('cq-pkg-');
    const built = await buildPackage({ sequence: 5, certified: false, files: { 'a.ndb': NDB } });
    fs.writeFileSync(path.join(dir, built.name), built.bytes);
    fs.writeFileSync(path.join(dir, 'download.zip'), built.bytes);
    fs.writeFileSync(path.join(dir, '00000006.all.zip'), built.bytes);
    expect((await verifyPackage(path.join(dir, built.name))).manifest.sequence).toBe(5);
    expect((await verifyPackage(path.join(dir, 'download.zip'))).manifest.sequence).toBe(5);
    expect(await refusal(path.join(dir, '00000006.all.zip'))).toMatch(
      /does not match the manifest/,
    );
    expect(await refusal(path.join(dir, 'missing.zip'))).toMatch(/cannot read .*ENOENT/);
  });

  it.each([
    ['a file name outside the allowlist', { files: { 'readme.txt': 'x' } }, /readme\.txt/],
    ['a Windows device name', { files: { 'CON.ndb': NDB } }, /reserved device name/],
    [
      'an invalid repair.json',
      { files: { 'a.ndb': NDB, 'repair.json': '{"A":{"action":"burn"}}' } },
      /repair\.json is not valid/,
    ],
    ['no files', { files: {} }, /at least one/],
    ['an incr set without a base', { files: { 'a.ndb': NDB }, kind: 'incr' as const }, /base/],
    [
      'a base not below the sequence',
      { files: { 'a.ndb': NDB }, kind: 'incr' as const, base: 50 },
      /base must be lower/,
    ],
    ['an invalid version', { files: { 'a.ndb': NDB }, version: '2026.02.30.001' }, /version/],
  ])('refuses to build with %s', async (_why, extra, reason) => {
    await expect(buildPackage({ sequence: 42, certified: false, ...extra })).rejects.toThrow(
      reason,
    );
    await expect(buildPackage({ sequence: 42, certified: false, ...extra })).rejects.toBeInstanceOf(
      PackageBuildError,
    );
  });
});

describe('refusals', () => {
  const ndb = Buffer.from(NDB);
  const good = { 'a.ndb': ndb };
  const small: Partial<PackageLimits> = {
    maxEntries: 4,
    maxEntryBytes: 64 * 1024,
    maxTotalBytes: 100 * 1024,
  };

  // [what, package bytes, limits, reason pattern]
  const rows: [string, () => Buffer, Partial<PackageLimits> | undefined, RegExp][] = [
    [
      'not a zip',
      () => Buffer.from('definitely not a zip archive'),
      undefined,
      /not a readable zip archive/,
    ],
    [
      'zip-slip ../x.ndb',
      () => hostile({ '../x.ndb': ndb }),
      undefined,
      /"\.\.\/x\.ndb" points outside the package \(zip-slip\)/,
    ],
    ['zip-slip in a sub-path', () => hostile({ 'a/../../x.ndb': ndb }), undefined, /zip-slip/],
    ['zip-slip with backslashes', () => hostile({ '..\\x.ndb': ndb }), undefined, /zip-slip/],
    ['an absolute path', () => hostile({ '/etc/x.ndb': ndb }), undefined, /absolute path/],
    ['a drive letter', () => hostile({ 'C:x.ndb': ndb }), undefined, /absolute path/],
    ['a backslash', () => hostile({ 'a\\x.ndb': ndb }), undefined, /backslash/],
    ['a sub-folder', () => hostile({ 'sub/x.ndb': ndb }), undefined, /inside a folder/],
    [
      'a folder entry',
      () =>
        hostile(good, [
          { name: 'a.ndb', data: ndb },
          { name: 'sub/', data: Buffer.alloc(0) },
        ]),
      undefined,
      /"sub\/" is a folder/,
    ],
    ['a NUL in a name', () => hostile({ 'a\0.ndb': ndb }), undefined, /NUL/],
    [
      'a name outside the allowlist',
      () => hostile({ 'run.exe': ndb }),
      undefined,
      /"run\.exe" is not allowed/,
    ],
    [
      'a duplicate entry',
      () =>
        hostile(good, [
          { name: 'a.ndb', data: ndb },
          { name: 'a.ndb', data: ndb },
        ]),
      undefined,
      /"a\.ndb" appears twice/,
    ],
    [
      'too many entries',
      () => hostile(Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`s${i}.ndb`, ndb]))),
      small,
      /more than 4 entries/,
    ],
    [
      'a bomb whose header lies about its size',
      () =>
        hostile(
          good,
          [{ name: 'a.ndb', data: Buffer.alloc(50 * 1024 * 1024, 0x41), declaredSize: 10 }],
          manifestFor({ 'a.ndb': Buffer.alloc(50 * 1024 * 1024, 0x41) }),
        ),
      small,
      // Inflation stops at the declared size (and would at the limit): never 50 MiB in memory.
      /"a\.ndb" inflates to a size other than its header declares/,
    ],
    [
      'a bomb whose header tells the truth',
      () => hostile({ 'a.ndb': Buffer.alloc(1024 * 1024, 0x41) }),
      small,
      /"a\.ndb" inflates to more than 65536 bytes/,
    ],
    [
      'entries over the total limit together',
      () =>
        hostile(
          Object.fromEntries(
            ['a', 'b', 'c'].map((n) => [`${n}.ndb`, Buffer.alloc(40 * 1024, 0x41)]),
          ),
        ),
      small,
      /more than 102400 bytes in total/,
    ],
    [
      'a nested zip',
      () => hostile({ 'a.ndb': rawZip([{ name: 'x.ndb', data: ndb }]) }),
      undefined,
      /"a\.ndb" is a nested zip archive/,
    ],
    ['a nested gzip', () => hostile({ 'a.ndb': gzipSync(ndb) }), undefined, /nested gzip archive/],
    [
      'a nested 7z',
      () => hostile({ 'a.ndb': Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0, 4]) }),
      undefined,
      /nested 7z archive/,
    ],
    [
      'a nested rar',
      () => hostile({ 'a.ndb': Buffer.from('Rar!\x1a\x07\x01\x00', 'latin1') }),
      undefined,
      /nested rar archive/,
    ],
    [
      'an unlisted file',
      () =>
        hostile(good, [
          { name: 'a.ndb', data: ndb },
          { name: 'b.ndb', data: ndb },
        ]),
      undefined,
      /"b\.ndb" is not listed in the manifest/,
    ],
    [
      'a missing file',
      () => hostile({ 'a.ndb': ndb, 'b.ndb': ndb }, [{ name: 'a.ndb', data: ndb }]),
      undefined,
      /"b\.ndb" listed in the manifest is missing/,
    ],
    [
      'a wrong file MD5',
      () => hostile(good, [{ name: 'a.ndb', data: Buffer.from('Other:0:*:41414141\n') }]),
      undefined,
      /"a\.ndb" has MD5 [0-9a-f]{32}, the manifest says [0-9a-f]{32}/,
    ],
    [
      'no manifest',
      () => rawZip([{ name: 'a.ndb', data: ndb }]),
      undefined,
      /manifest\.json is missing/,
    ],
    [
      'a manifest that is not JSON',
      () => hostile(good, undefined, Buffer.from('{sequence: 42')),
      undefined,
      /manifest\.json is not JSON/,
    ],
    [
      'a manifest without files',
      () => hostile(good, undefined, Buffer.from('{"sequence":42}')),
      undefined,
      /manifest\.json is not valid: version/,
    ],
    [
      'a bad version',
      () => hostile(good, undefined, manifestFor(good, { version: '26.03.14.1' })),
      undefined,
      /version: must be YYYY\.MM\.DD\.NNN/,
    ],
    [
      'a bad date',
      () => hostile(good, undefined, manifestFor(good, { produced: '2026-03-14' })),
      undefined,
      /produced: must be an RFC 1123 date/,
    ],
    [
      'certified without a blessing',
      () => hostile(good, undefined, manifestFor(good, { blessed: null })),
      undefined,
      /blessed: is set exactly when/,
    ],
    [
      'an incr set without a base',
      () => hostile(good, undefined, manifestFor(good, { kind: 'incr' })),
      undefined,
      /base: an incr set needs/,
    ],
    [
      'an unknown manifest key',
      () => hostile(good, undefined, manifestFor(good, { run: 'rm -rf /' })),
      undefined,
      /not valid: Unrecognized key: "run"/,
    ],
    [
      'a bad MD5 in the manifest',
      () => hostile(good, undefined, manifestFor(good, { files: { 'a.ndb': 'abc' } })),
      undefined,
      /files\.a\.ndb: must be an MD5/,
    ],
    [
      'an invalid repair.json',
      () =>
        hostile({ 'a.ndb': ndb, 'repair.json': Buffer.from('{"Test.Sig":{"action":"delete"}}') }),
      undefined,
      /repair\.json is not valid/,
    ],
    [
      'an encrypted entry',
      () => hostile(good, [{ name: 'a.ndb', data: ndb, encrypted: true }]),
      undefined,
      /"a\.ndb" is encrypted/,
    ],
    [
      'a package over the size limit',
      () => hostile(good),
      { maxPackageBytes: 100 },
      /package is \d+ bytes, over the limit of 100/,
    ],
  ];

  it.each(rows)('refuses %s', async (_what, make, limits, reason) => {
    expect(await refusal(make(), limits)).toMatch(reason);
  });

  it('refuses a package whose MD5 differs from the expected one', async () => {
    const built = await buildPackage({ sequence: 1, certified: false, files: good });
    expect(await refusal(built.bytes, undefined, '0'.repeat(32))).toMatch(
      new RegExp(`package MD5 ${built.md5} differs from the expected 0{32}`),
    );
  });

  it('accepts the same hand-made zip when nothing is wrong with it', async () => {
    const read = await verifyPackage(hostile(good));
    expect(read.manifest.sequence).toBe(42);
    expect(read.files.get('a.ndb')).toEqual(ndb);
  });
});
