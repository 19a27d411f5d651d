/**
 * Installing definitions sets on a server (SPEC §4.4) with real files and a real SQLite
 * database: the starter set, import, activation, rollback, pruning, incremental sets, refusals
 * that change nothing, and crashes between unpacking and the pointer flip.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { TextReader, Uint8ArrayReader, Uint8ArrayWriter, ZipWriter } from '@zip.js/zip.js';
import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { WireError } from '../../src-shared/catalog/errors.js';
import {
  DefinitionsAccessError,
  DefinitionsStoreError,
  openDefinitionsStore,
  type DefinitionsStore,
  type DefinitionsStoreOptions,
} from '../../src-main/server/definitions/definitions-store.js';
import { buildPackage } from '../../src-main/server/definitions/package.js';
import { createBuiltinEngine } from '../../src-main/server/scanner/builtin/builtin-engine.js';
import type { ActiveSet } from '../../src-main/server/scanner/engine.js';
import { scanBytes } from '../../src-main/server/scanner/repair.js';
import { openDatabase } from '../../src-main/server/store/database.js';
import { tempDir } from '../helpers/temp.js';

const hex = (text: string): string => Buffer.from(text, 'latin1').toString('hex');
const DAY = Date.UTC(2026, 4, 1);

/** A package of sequence `n` detecting the text `MARK<n>`. */
function setOf(n: number, extra: { certified?: boolean; files?: Record<string, string> } = {}) {
  return buildPackage({
    sequence: n,
    certified: extra.certified ?? false,
    files: extra.files ?? { [`set${n}.ndb`]: `Mark.${n}:0:*:${hex(`MARK${n}`)}\n` },
    produced: DAY + n * 60_000,
    version: `2026.05.01.${String(n).padStart(3, '0')}`,
  });
}

interface Opened {
  readonly dataDir: string;
  readonly db: Database.Database;
  readonly store: DefinitionsStore;
  readonly activations: number[];
  readonly accessErrors: DefinitionsAccessError[];
}

async function open(
  dataDir = tempDir('cq-defs-'),
  options: Partial<DefinitionsStoreOptions> = {},
): Promise<Opened> {
  const db = openDatabase(path.join(dataDir, 'quarantine.db'));
  const accessErrors: DefinitionsAccessError[] = [];
  const store = await openDefinitionsStore({
    dataDir,
    db,
    starterPackage: null,
    onAccessError: (e) => accessErrors.push(e),
    ...options,
  });
  const activations: number[] = [];
  store.onActivated((set) => activations.push(set.sequence));
  return { dataDir, db, store, activations, accessErrors };
}

const folders = (o: Opened): string[] => fs.readdirSync(path.join(o.dataDir, 'definitions')).sort();
const states = (o: Opened): string[] => o.store.list().map((s) => `${s.sequence}:${s.state}`);

/** The readable reason of an `unpackage` refusal. */
async function reasonOf(pending: Promise<unknown>): Promise<string> {
  const error = await pending.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WireError);
  expect((error as WireError).code).toBe('unpackage');
  return String((error as WireError).params[0]);
}

async function detects(set: ActiveSet, text: string): Promise<string | null> {
  const engine = createBuiltinEngine();
  await engine.load(set);
  return (await scanBytes(engine, Buffer.from(text))).virusName;
}

describe('a fresh data folder', () => {
  it('gets the shipped starter set as sequence 1, certified and active', async () => {
    const o = await open(undefined, { starterPackage: undefined });
    const active = o.store.active();
    expect(active).toMatchObject({ sequence: 1, certified: true, name: '00000001.all.zip' });
    expect(active!.dir).toBe(path.join(o.dataDir, 'definitions', '1'));
    expect(fs.readdirSync(active!.dir).sort()).toEqual([
      '00000001.all.zip',
      'cq-test.hdb',
      'cq-test.hsb',
      'cq-test.ndb',
      'eicar.ndb',
      'manifest.json',
      'repair.json',
    ]);
    expect(o.store.list()).toEqual([
      expect.objectContaining({
        sequence: 1,
        certified: true,
        state: 'active',
        kind: 'all',
        displayVersion: '260101a',
      }),
    ]);
    expect(o.store.packagePath(1)).toBe(path.join(active!.dir, '00000001.all.zip'));
    o.db.close();
  });

  it('is not given the starter set again once it has any set', async () => {
    const o = await open();
    await o.store.importPackage((await setOf(5)).bytes);
    o.db.close();
    const again = await open(o.dataDir, { starterPackage: undefined });
    expect(states(again)).toEqual(['5:active']);
    again.db.close();
  });
});

describe('import, activate, rollback', () => {
  it('activates a newer set, keeps the previous one, and records both kinds', async () => {
    const o = await open();
    const one = await setOf(1, { certified: true });
    expect(await o.store.importPackage(one.bytes, { expectedMd5: one.md5 })).toEqual({
      sequence: 1,
      version: '2026.05.01.001',
      installed: true,
      active: true,
      name: '00000001.all.zip',
    });
    const two = await setOf(2);
    expect((await o.store.importPackage(two.bytes)).active).toBe(true);
    expect(states(o)).toEqual(['2:active', '1:previous']);
    expect(o.activations).toEqual([1, 2]);
    const listed = o.store.list();
    expect(listed.map((s) => s.certified)).toEqual([false, true]);
    expect(listed[0]).toMatchObject({ checksum: two.md5, produced: DAY + 120_000, blessed: null });
    expect(listed[1]!.blessed).toBe(DAY + 60_000);
    expect(listed[0]!.installedAt).toBeGreaterThan(0);
    expect(await detects(o.store.active()!, '..MARK2..')).toBe('Mark.2');
    o.db.close();
  });

  it('installs an older sequence without activating it, unless asked', async () => {
    const o = await open();
    await o.store.importPackage((await setOf(4)).bytes);
    expect((await o.store.importPackage((await setOf(3)).bytes)).active).toBe(false);
    expect(o.store.active()!.sequence).toBe(4);
    expect((await o.store.importPackage((await setOf(2)).bytes, { activate: true })).active).toBe(
      true,
    );
    expect(states(o)).toEqual(['4:previous', '3:installed', '2:active']);
    o.db.close();
  });

  it('treats the same package twice as already installed, and refuses another with that sequence', async () => {
    const o = await open();
    const first = await setOf(3);
    await o.store.importPackage(first.bytes);
    expect(await o.store.importPackage(first.bytes)).toMatchObject({
      installed: false,
      active: true,
    });
    const other = await setOf(3, { files: { 'other.ndb': `Other:0:*:${hex('OTHER')}\n` } });
    expect(await reasonOf(o.store.importPackage(other.bytes))).toMatch(
      /^sequence 3 is already installed from a different package/,
    );
    expect(o.activations).toEqual([3]);
    o.db.close();
  });

  it('activates and rolls back, and refuses what it cannot do', async () => {
    const o = await open();
    for (const n of [1, 2, 3]) await o.store.importPackage((await setOf(n)).bytes);
    expect(states(o)).toEqual(['3:active', '2:previous', '1:installed']);
    expect((await o.store.rollback()).sequence).toBe(2);
    expect(states(o)).toEqual(['3:installed', '2:active', '1:previous']);
    expect((await o.store.rollback()).sequence).toBe(1);
    expect(states(o)).toEqual(['3:installed', '2:installed', '1:active']);
    await expect(o.store.rollback()).rejects.toMatchObject({ code: 'no-previous' });
    expect((await o.store.activate(3)).sequence).toBe(3);
    expect(states(o)).toEqual(['3:active', '2:installed', '1:previous']);
    await expect(o.store.activate(9)).rejects.toBeInstanceOf(DefinitionsStoreError);
    expect(o.activations).toEqual([1, 2, 3, 2, 1, 3]);
    expect(await detects(o.store.active()!, 'MARK3')).toBe('Mark.3');
    o.db.close();
  });

  it('prunes all but the newest sets (default 3), never the active or previous one', async () => {
    const o = await open();
    for (const n of [1, 2, 3, 4]) await o.store.importPackage((await setOf(n)).bytes);
    expect(states(o)).toEqual(['4:active', '3:previous', '2:installed', '1:pruned']);
    expect(folders(o)).toEqual(['2', '3', '4']);
    await o.store.activate(2);
    await o.store.importPackage((await setOf(5)).bytes, { activate: false });
    expect(states(o)).toEqual(['5:installed', '4:previous', '3:installed', '2:active', '1:pruned']);
    await o.store.importPackage((await setOf(6)).bytes, { activate: false });
    expect(states(o)).toEqual([
      '6:installed',
      '5:installed',
      '4:previous',
      '3:pruned',
      '2:active',
      '1:pruned',
    ]);
    expect(folders(o)).toEqual(['2', '4', '5', '6']);
    expect(o.store.packagePath(1)).toBeNull();
    // A pruned set can be installed again.
    expect((await o.store.importPackage((await setOf(1)).bytes)).installed).toBe(true);
    o.db.close();
  });

  it('keeps as many sets as configured', async () => {
    const o = await open(undefined, { keep: 1 });
    for (const n of [1, 2, 3]) await o.store.importPackage((await setOf(n)).bytes);
    expect(states(o)).toEqual(['3:active', '2:previous', '1:pruned']);
    o.db.close();
  });
});

describe('incremental sets', () => {
  it('installs the base merged with the increment, so one folder holds the whole set', async () => {
    const o = await open();
    await o.store.importPackage(
      (
        await buildPackage({
          sequence: 10,
          certified: true,
          files: {
            'keep.ndb': `Keep:0:*:${hex('KEEPME')}\n`,
            'swap.ndb': `Old:0:*:${hex('OLDSIG')}\n`,
            'repair.json': JSON.stringify({
              Keep: { action: 'excise' },
              Old: { action: 'truncate' },
            }),
          },
        })
      ).bytes,
    );
    const incr = await buildPackage({
      sequence: 11,
      certified: false,
      kind: 'incr',
      base: 10,
      files: {
        'swap.ndb': `New:0:*:${hex('NEWSIG')}\n`,
        'added.ndb': `Added:0:*:${hex('ADDED')}\n`,
        'repair.json': JSON.stringify({ New: { action: 'truncate' } }),
      },
    });
    expect(await o.store.importPackage(incr.bytes)).toMatchObject({
      installed: true,
      active: true,
      name: '00000011.incr.zip',
    });
    const set = o.store.active()!;
    expect(fs.readdirSync(set.dir).sort()).toEqual([
      '00000011.incr.zip',
      'added.ndb',
      'keep.ndb',
      'manifest.json',
      'repair.json',
      'swap.ndb',
    ]);
    expect(JSON.parse(fs.readFileSync(path.join(set.dir, 'repair.json'), 'utf8'))).toEqual({
      Keep: { action: 'excise' },
      Old: { action: 'truncate' },
      New: { action: 'truncate' },
    });
    expect(await detects(set, 'KEEPME')).toBe('Keep');
    expect(await detects(set, 'NEWSIG')).toBe('New');
    expect(await detects(set, 'ADDED')).toBe('Added');
    expect(await detects(set, 'OLDSIG')).toBeNull();
    o.db.close();
  });

  it('refuses an increment whose base is not installed', async () => {
    const o = await open();
    const incr = await buildPackage({
      sequence: 11,
      certified: false,
      kind: 'incr',
      base: 10,
      files: { 'a.ndb': 'A:0:*:41414141\n' },
    });
    expect(await reasonOf(o.store.importPackage(incr.bytes))).toBe(
      'base set 10 of this incr set is not installed',
    );
    expect(o.store.list()).toEqual([]);
    o.db.close();
  });
});

describe('refused imports change nothing', () => {
  /** A zip with a manifest for `listed` (sequence 7) and the entries `present`. */
  async function zipOf(
    listed: Record<string, Uint8Array | string>,
    present: Record<string, Uint8Array | string> = listed,
  ) {
    const date = 'Fri, 01 May 2026 00:00:00 GMT';
    const manifest = {
      sequence: 7,
      version: '2026.05.01.007',
      certified: false,
      kind: 'all',
      produced: date,
      published: date,
      blessed: null,
      files: Object.fromEntries(
        Object.entries(listed).map(([name, text]) => [
          name,
          createHash('md5').update(text).digest('hex'),
        ]),
      ),
    };
    const writer = new ZipWriter(new Uint8ArrayWriter(), { useWebWorkers: false });
    await writer.add('manifest.json', new TextReader(JSON.stringify(manifest)));
    for (const [name, content] of Object.entries(present)) {
      await writer.add(
        name,
        typeof content === 'string' ? new TextReader(content) : new Uint8ArrayReader(content),
      );
    }
    return Buffer.from(await writer.close());
  }
  const ndb = 'Mark.7:0:*:4d41524b37\n';

  it.each([
    [
      'a corrupt package',
      () => Promise.resolve(Buffer.from('PK\x03\x04 not really a zip')),
      /not a readable zip/,
    ],
    ['zip-slip', () => zipOf({ '../set7.ndb': ndb }), /zip-slip/],
    ['an absolute path', () => zipOf({ '/tmp/set7.ndb': ndb }), /absolute path/],
    [
      'an unlisted file',
      () => zipOf({ 'set7.ndb': ndb }, { 'set7.ndb': ndb, 'more.ndb': ndb }),
      /"more\.ndb" is not listed/,
    ],
    [
      'a missing file',
      () => zipOf({ 'set7.ndb': ndb, 'more.ndb': ndb }, { 'set7.ndb': ndb }),
      /"more\.ndb" listed in the manifest is missing/,
    ],
    [
      'a wrong file MD5',
      () => zipOf({ 'set7.ndb': ndb }, { 'set7.ndb': ndb.replace('7', '8') }),
      /has MD5/,
    ],
    ['a nested archive', () => zipOf({ 'set7.ndb': gzipSync(ndb) }), /nested gzip archive/],
    [
      'an entry over the size limit',
      () => zipOf({ 'set7.ndb': 'x'.repeat(200_000) }),
      /inflates to more than 100000 bytes/,
    ],
  ])('%s', async (_why, make, reason) => {
    const o = await open(undefined, { limits: { maxEntryBytes: 100_000 } });
    await o.store.importPackage((await setOf(2)).bytes);
    const before = { list: o.store.list(), folders: folders(o), active: o.store.active() };
    expect(await reasonOf(o.store.importPackage(await make()))).toMatch(reason);
    expect({ list: o.store.list(), folders: folders(o), active: o.store.active() }).toEqual(before);
    expect(o.activations).toEqual([2]);
    o.db.close();
  });

  it('a package MD5 other than expected', async () => {
    const o = await open();
    const built = await setOf(2);
    expect(
      await reasonOf(o.store.importPackage(built.bytes, { expectedMd5: '0'.repeat(32) })),
    ).toMatch(/^package MD5 [0-9a-f]{32} differs from the expected 0{32}$/);
    expect(o.store.list()).toEqual([]);
    expect(folders(o)).toEqual([]);
    o.db.close();
  });
});

describe('crashes between unpacking and the pointer flip', () => {
  it('a failure to record the set leaves the active set and the folder as they were', async () => {
    const o = await open();
    await o.store.importPackage((await setOf(1)).bytes);
    // The commit that would record set 2 and flip the pointer fails, as a crash would stop it.
    o.db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON definitions
               BEGIN SELECT RAISE(ABORT, 'simulated crash'); END`);
    await expect(o.store.importPackage((await setOf(2)).bytes)).rejects.toThrow(/simulated crash/);
    expect(states(o)).toEqual(['1:active']);
    expect(folders(o)).toEqual(['1']);
    expect(o.activations).toEqual([1]);
    o.db.exec('DROP TRIGGER refuse');
    expect((await o.store.importPackage((await setOf(2)).bytes)).active).toBe(true);
    o.db.close();
  });

  it('start-up removes what a crash left: a half-written temp folder and an unrecorded set', async () => {
    const o = await open();
    await o.store.importPackage((await setOf(1)).bytes);
    const dir = path.join(o.dataDir, 'definitions');
    // A crash while writing set 2, and one after renaming set 3 but before its commit.
    fs.mkdirSync(path.join(dir, '.tmp-2-0badf00d'));
    fs.writeFileSync(path.join(dir, '.tmp-2-0badf00d', 'set2.ndb'), 'Mark.2:0:*:4d41');
    fs.cpSync(path.join(dir, '1'), path.join(dir, '3'), { recursive: true });
    o.db.close();
    const reopened = await open(o.dataDir);
    expect(folders(reopened)).toEqual(['1']);
    expect(states(reopened)).toEqual(['1:active']);
    expect(reopened.store.active()!.sequence).toBe(1);
    expect((await reopened.store.importPackage((await setOf(3)).bytes)).installed).toBe(true);
    expect(folders(reopened)).toEqual(['1', '3']);
    reopened.db.close();
  });
});

describe('an inaccessible definitions folder', () => {
  it('a lost active folder is reported as "Unable to access definition directory"', async () => {
    const o = await open();
    await o.store.importPackage((await setOf(1)).bytes);
    await o.store.importPackage((await setOf(2)).bytes);
    fs.rmSync(path.join(o.dataDir, 'definitions', '2'), { recursive: true });
    fs.rmSync(path.join(o.dataDir, 'definitions', '1'), { recursive: true });
    o.db.close();
    const reopened = await open(o.dataDir);
    expect(reopened.accessErrors).toHaveLength(1);
    expect(reopened.accessErrors[0]).toMatchObject({
      event: 'definitionDirectoryInaccessible',
      code: 'ENOENT',
    });
    expect(reopened.accessErrors[0]!.message).toMatch(/^Unable to access definition directory/);
    // The lost previous set is marked as such; the pointer is not moved behind the admin's back.
    expect(states(reopened)).toEqual(['2:active', '1:missing']);
    expect(await reopened.store.checkAccess()).toBeInstanceOf(DefinitionsAccessError);
    await expect(reopened.store.activate(1)).rejects.toMatchObject({ code: 'not-installed' });
    reopened.db.close();
  });

  it('a definitions path that is not a folder fails the open with a typed error', async () => {
    const dataDir = tempDir('cq-defs-');
    fs.writeFileSync(path.join(dataDir, 'definitions'), 'not a folder');
    const db = openDatabase(path.join(dataDir, 'quarantine.db'));
    const seen: DefinitionsAccessError[] = [];
    await expect(
      openDefinitionsStore({
        dataDir,
        db,
        starterPackage: null,
        onAccessError: (e) => seen.push(e),
      }),
    ).rejects.toBeInstanceOf(DefinitionsAccessError);
    expect(seen.map((e) => e.event)).toEqual(['definitionDirectoryInaccessible']);
    db.close();
  });

  it('checkAccess is quiet while everything is reachable', async () => {
    const o = await open();
    await o.store.importPackage((await setOf(1)).bytes);
    expect(await o.store.checkAccess()).toBeNull();
    expect(o.accessErrors).toEqual([]);
    o.db.close();
  });
});
