import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, StoreError } from '../../src-main/server/store/database.js';
import {
  migrate,
  MIGRATIONS,
  SCHEMA_VERSION,
} from '../../src-main/server/store/migrations/index.js';

const dirs: string[] = [];
function dbFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cq-'));
  dirs.push(dir);
  return path.join(dir, 'quarantine.db');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function rawDb(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('foreign_keys = ON');
  return db;
}

function tables(db: Database.Database): string[] {
  return db
    .prepare<[], { name: string }>(
      "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name",
    )
    .all()
    .map((r) => r.name);
}

const SHA = 'ab'.repeat(32);

interface MigrationCase {
  readonly version: number;
  readonly newTables: readonly string[];
  /** Write data with the schema at `version - 1`. */
  readonly seed: (db: Database.Database) => void;
  /** Check the seeded data survived and the new tables work. */
  readonly check: (db: Database.Database) => void;
}

const CASES: readonly MigrationCase[] = [
  {
    version: 1,
    newTables: ['attributes', 'audit', 'blobs', 'errors', 'samples'],
    seed: () => undefined,
    check: (db) => {
      db.prepare('INSERT INTO blobs (sha256, size, stored_size, refs) VALUES (?, 5, 4, 1)').run(
        SHA,
      );
      const id = db
        .prepare(
          `INSERT INTO samples (blob_sha256, checksum, size, status, platform_key, received_at,
                                status_since) VALUES (?, 'AA', 5, 'quarantined', 'p', 1, 1)`,
        )
        .run(SHA).lastInsertRowid;
      db.prepare("INSERT INTO attributes VALUES (?, 'X-Sample-Size', '5')").run(id);
      // Foreign keys hold: a sample needs its blob row.
      expect(() =>
        db
          .prepare(
            `INSERT INTO samples (blob_sha256, checksum, size, status, platform_key, received_at,
                                  status_since) VALUES ('missing', 'AA', 5, 'q', 'p', 1, 1)`,
          )
          .run(),
      ).toThrow(/FOREIGN KEY/);
      db.prepare('DELETE FROM samples WHERE id = ?').run(id);
      expect(db.prepare('SELECT count(*) AS n FROM attributes').get()).toEqual({ n: 0 });
    },
  },
  {
    version: 2,
    newTables: ['log', 'settings', 'users'],
    seed: (db) => {
      db.prepare('INSERT INTO blobs (sha256, size, stored_size, refs) VALUES (?, 5, 4, 1)').run(
        SHA,
      );
      db.prepare(
        `INSERT INTO samples (blob_sha256, checksum, size, status, platform_key, received_at,
                              status_since) VALUES (?, 'AA', 5, 'held', 'p', 7, 7)`,
      ).run(SHA);
    },
    check: (db) => {
      expect(db.prepare('SELECT status, received_at FROM samples').all()).toEqual([
        { status: 'held', received_at: 7 },
      ]);
      const add = db.prepare(
        'INSERT INTO users (name, domain, password_hash, created_at) VALUES (?, ?, ?, 1)',
      );
      add.run('Admin', 'CORP', 'h');
      // Names are unique regardless of case.
      expect(() => add.run('admin', 'corp', 'h2')).toThrow(/UNIQUE/);
      db.prepare("INSERT INTO settings VALUES ('general', '{}', 1)").run();
      db.prepare("INSERT INTO log (at, level, source, message) VALUES (1, 'info', 's', 'm')").run();
    },
  },
  {
    version: 3,
    newTables: ['alerts', 'definitions', 'targets'],
    seed: (db) => {
      db.prepare(
        'INSERT INTO users (name, domain, password_hash, created_at) VALUES (?, ?, ?, 1)',
      ).run('ops', '', 'hash');
      db.prepare("INSERT INTO settings VALUES ('general', '{\"maxSizeMB\":5}', 1)").run();
    },
    check: (db) => {
      expect(db.prepare('SELECT name, password_hash FROM users').all()).toEqual([
        { name: 'ops', password_hash: 'hash' },
      ]);
      expect(db.prepare('SELECT value FROM settings').get()).toEqual({ value: '{"maxSizeMB":5}' });
      db.prepare(
        `INSERT INTO definitions (sequence, version, certified, kind, checksum, state)
         VALUES (678, '2024.01.02.003', 1, 'all', 'C', 'active')`,
      ).run();
      expect(() =>
        db
          .prepare(
            `INSERT INTO definitions (sequence, version, kind, checksum, state)
             VALUES (679, 'v', 'bogus', 'C', 'x')`,
          )
          .run(),
      ).toThrow(/CHECK/);
      const target = db.prepare('INSERT INTO targets (host, guid) VALUES (?, ?)');
      target.run('pc1', 'G1');
      expect(() => target.run('pc2', 'G1')).toThrow(/UNIQUE/);
      expect(db.prepare('SELECT selected FROM targets').get()).toEqual({ selected: 0 });
      db.prepare(
        "INSERT INTO alerts (event, raised_at, message) VALUES ('diskQuotaLow', 1, 'low')",
      ).run();
    },
  },
  {
    version: 4,
    newTables: [],
    seed: (db) => {
      db.prepare(
        `INSERT INTO targets (host, addresses, guid, managed, sequence, selected)
         VALUES ('pc1', '["10.0.0.1"]', 'G1', 1, 7, 1)`,
      ).run();
    },
    check: (db) => {
      expect(
        db.prepare('SELECT host, sequence, selected, attempts, platform_key FROM targets').get(),
      ).toEqual({ host: 'pc1', sequence: 7, selected: 1, attempts: 0, platform_key: null });
      db.prepare("UPDATE targets SET platform_key = 'guid:G1', defcast_port = 8849").run();
      expect(() =>
        db.prepare("INSERT INTO targets (host, platform_key) VALUES ('pc2', 'guid:G1')").run(),
      ).toThrow(/UNIQUE/);
    },
  },
  {
    version: 5,
    newTables: [],
    seed: (db) => {
      db.prepare('INSERT INTO blobs (sha256, size, stored_size, refs) VALUES (?, 5, 4, 1)').run(
        'c'.repeat(64),
      );
      db.prepare(
        `INSERT INTO samples (blob_sha256, checksum, size, status, platform_key, received_at, status_since)
         VALUES (?, ?, 5, 'held', 'host:a', 10, 10)`,
      ).run('c'.repeat(64), 'D'.repeat(32));
    },
    check: (db) => {
      const plan = db
        .prepare(
          "EXPLAIN QUERY PLAN SELECT id FROM samples WHERE status IN ('held', 'released') ORDER BY received_at DESC LIMIT 100",
        )
        .all() as { detail: string }[];
      expect(plan.map((p) => p.detail).join(' ')).toContain('samples_status_received');
      expect(db.prepare('SELECT status FROM samples').get()).toEqual({ status: 'held' });
    },
  },
];

describe('migrations', () => {
  it('are numbered 1..N without gaps', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(
      Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
    );
    expect(CASES.map((c) => c.version)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it.each(CASES)('version $version keeps data written at version - 1', (c) => {
    const file = dbFile();
    const db = rawDb(file);
    try {
      expect(migrate(db, c.version - 1).to).toBe(c.version - 1);
      const before = tables(db);
      for (const t of c.newTables) expect(before).not.toContain(t);
      c.seed(db);
      expect(migrate(db, c.version)).toEqual({ from: c.version - 1, to: c.version });
      expect(db.pragma('user_version', { simple: true })).toBe(c.version);
      expect(tables(db)).toEqual(expect.arrayContaining([...before, ...c.newTables]));
      c.check(db);
    } finally {
      db.close();
    }
  });

  it('running again is a no-op and openDatabase brings an old file up to date', () => {
    const file = dbFile();
    const db = rawDb(file);
    migrate(db, 1);
    db.close();
    const opened = openDatabase(file);
    try {
      expect(opened.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(migrate(opened)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    } finally {
      opened.close();
    }
  });

  it('refuses a database from a newer version and leaves it untouched', () => {
    const file = dbFile();
    const db = rawDb(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    let error: unknown;
    try {
      openDatabase(file).close();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('newer-schema');
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
    expect(tables(check)).toEqual([]);
    check.close();
  });

  it('sets the durability pragmas', () => {
    const db = openDatabase(dbFile());
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });

  it('opens read-only without migrating', () => {
    const file = dbFile();
    const db = rawDb(file);
    migrate(db, 1);
    db.close();
    const ro = openDatabase(file, { readonly: true });
    try {
      expect(ro.pragma('user_version', { simple: true })).toBe(1);
      expect(() =>
        ro
          .prepare("INSERT INTO blobs (sha256, size, stored_size, refs) VALUES ('x', 1, 1, 1)")
          .run(),
      ).toThrow(/readonly/);
    } finally {
      ro.close();
    }
  });
});
