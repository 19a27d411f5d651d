/**
 * WAL checkpoints on their own thread (`checkpointer.ts`), on a real SQLite file: pages reach
 * the database file without the main connection checkpointing, nothing is lost, and closing
 * leaves a database that needs no WAL.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BackgroundCheckpointer,
  DATABASE_FILE,
  openStore,
  type Store,
} from '../../src-main/server/store/index.js';
import { FALLBACK_AUTOCHECKPOINT_PAGES } from '../../src-main/server/store/checkpointer.js';
import { setLogSink, type LogRecord } from '../../src-main/log/logger.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const stores: Store[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) {
    store.close();
    await store.checkpointer?.close();
  }
});

function open(dataDir: string, backgroundCheckpoints: boolean): Store {
  const store = openStore({ dataDir, backgroundCheckpoints });
  stores.push(store);
  return store;
}

/** Write `rows` rows of about one page each, one transaction per 10 rows. */
function writePages(store: Store, rows: number): void {
  store.db.exec('CREATE TABLE IF NOT EXISTS filler (n INTEGER PRIMARY KEY, bytes BLOB)');
  const insert = store.db.prepare('INSERT INTO filler (bytes) VALUES (randomblob(3900))');
  const batch = store.db.transaction((n: number) => {
    for (let i = 0; i < n; i++) insert.run();
  });
  for (let done = 0; done < rows; done += 10) batch(Math.min(10, rows - done));
}

describe('background checkpoints', () => {
  it('copy committed pages into the database file while the main connection only commits', async () => {
    const dir = tempDir();
    const store = open(dir, true);
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(
      FALLBACK_AUTOCHECKPOINT_PAGES,
    );
    const file = path.join(dir, DATABASE_FILE);
    const before = fs.statSync(file).size;
    // Far below the main connection's own threshold: only the thread can have copied them.
    writePages(store, 400);
    // The thread's report reaches the event loop after the file has grown: wait for both.
    await waitFor(
      () => fs.statSync(file).size > before + 300 * 4096 && store.checkpointer!.stats.rounds > 0,
      'pages in the db file, and the report of the checkpoint that copied them',
    );
    const { lastLog, lastCheckpointed } = store.checkpointer!.stats;
    expect(lastCheckpointed).toBeGreaterThan(0);
    expect(lastCheckpointed).toBeLessThanOrEqual(lastLog);
  });

  it('without them the pages stay in the WAL until the main connection checkpoints', () => {
    const dir = tempDir();
    const store = open(dir, false);
    expect(store.checkpointer).toBeUndefined();
    const file = path.join(dir, DATABASE_FILE);
    const before = fs.statSync(file).size;
    writePages(store, 400);
    expect(fs.statSync(file).size).toBe(before);
  });

  it('lose nothing, and the last connection to close leaves no WAL behind', async () => {
    const dir = tempDir();
    const store = open(dir, true);
    writePages(store, 250);
    stores.splice(stores.indexOf(store), 1);
    store.close();
    // Store.close started it; every later close waits for the same ending.
    const first = store.checkpointer!.close();
    expect(store.checkpointer!.close()).toBe(first);
    await first;
    const wal = path.join(dir, `${DATABASE_FILE}-wal`);
    expect(fs.existsSync(wal) ? fs.statSync(wal).size : 0).toBe(0);
    const db = new Database(path.join(dir, DATABASE_FILE), { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) AS n FROM filler').get()).toEqual({ n: 250 });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  });

  it('closing keeps a process with nothing else to do alive until the thread has ended', () => {
    // Awaited at the top level of a script whose event loop is otherwise empty: if the thread
    // did not hold the process, Node would exit (code 13) before the await settles.
    const store = fileURLToPath(
      new URL('../../dist/src-main/server/store/index.js', import.meta.url),
    );
    const script = `
      import { openStore } from ${JSON.stringify(pathToFileURL(store).href)};
      const store = openStore({ dataDir: process.argv[1], backgroundCheckpoints: true });
      store.close();
      await store.checkpointer.close();
      console.log('closed');
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script, tempDir()], {
      encoding: 'utf8',
    });
    expect({ status: child.status, stdout: child.stdout.trim() }).toEqual({
      status: 0,
      stdout: 'closed',
    });
  });

  it('a thread that cannot open the database says so and ends; nothing throws', async () => {
    const records: LogRecord[] = [];
    const previous = setLogSink((r) => records.push(r));
    try {
      const checkpointer = new BackgroundCheckpointer(path.join(tempDir(), 'missing.db'));
      await checkpointer.close();
      expect(checkpointer.stats.rounds).toBe(0);
      expect(records.map((r) => r.message)).toContain(
        'the checkpoint thread cannot open the database',
      );
    } finally {
      setLogSink(previous);
    }
  });
});
