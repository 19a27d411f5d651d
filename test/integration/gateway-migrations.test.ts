/** Gateway schema migrations (one case per migration) and the durability settings of SPEC §5. */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  GATEWAY_MIGRATIONS,
  GATEWAY_SCHEMA_VERSION,
  GatewaySchemaError,
  migrateGateway,
} from '../../src-main/gateway/store/migrations/index.js';
import {
  openGatewayDatabase,
  openGatewayStore,
} from '../../src-main/gateway/store/gateway-store.js';
import { tempDir } from '../helpers/temp.js';

function tables(db: Database.Database): string[] {
  return db
    .prepare<[], { name: string }>(
      "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name",
    )
    .all()
    .map((r) => r.name);
}

interface MigrationCase {
  readonly version: number;
  readonly newTables: readonly string[];
  readonly seed: (db: Database.Database) => void;
  readonly check: (db: Database.Database) => void;
}

const CASES: readonly MigrationCase[] = [
  {
    version: 1,
    newTables: ['analyses', 'builder_lock', 'set_signatures', 'sets', 'submissions'],
    seed: () => undefined,
    check: (db) => {
      const analysis = db
        .prepare(
          `INSERT INTO analyses (md5, sha256, size, state, next_at, created_at)
           VALUES ('A', 'b', 1, 'accepted', 0, 0)`,
        )
        .run().lastInsertRowid;
      db.prepare(
        `INSERT INTO submissions (cookie, issue, customer, analysis_id, submitted_at, attributes)
         VALUES ('C', '00000001', 'x', ?, 0, '{}')`,
      ).run(analysis);
      // A submission must point at an analysis.
      expect(() =>
        db
          .prepare(
            `INSERT INTO submissions (cookie, issue, customer, analysis_id, submitted_at, attributes)
             VALUES ('D', '00000002', 'x', 999, 0, '{}')`,
          )
          .run(),
      ).toThrow(/FOREIGN KEY/);
      // The builder lock has exactly one slot.
      db.prepare('INSERT INTO builder_lock (id, analysis_id, locked_at) VALUES (1, 1, 0)').run();
      expect(() =>
        db.prepare('INSERT INTO builder_lock (id, analysis_id, locked_at) VALUES (2, 1, 0)').run(),
      ).toThrow(/CHECK/);
      expect(() =>
        db
          .prepare(
            `INSERT INTO sets (sequence, version, kind, state, produced_at) VALUES (2, 'v', 'all', 'shipped', 0)`,
          )
          .run(),
      ).toThrow(/CHECK/);
    },
  },
];

describe('gateway migrations', () => {
  it('there is one case per migration', () => {
    expect(CASES.map((c) => c.version)).toEqual(GATEWAY_MIGRATIONS.map((m) => m.version));
  });

  it.each(CASES)('migration $version keeps older data and adds its tables', (c) => {
    const db = new Database(path.join(tempDir('cq-gw-migrate-'), 'gateway.db'));
    db.pragma('foreign_keys = ON');
    migrateGateway(db, c.version - 1);
    const before = tables(db);
    c.seed(db);
    expect(migrateGateway(db, c.version)).toEqual({ from: c.version - 1, to: c.version });
    expect(tables(db).filter((t) => !before.includes(t))).toEqual(c.newTables);
    c.check(db);
    db.close();
  });

  it('a database from a newer gateway is refused, untouched', () => {
    const file = path.join(tempDir('cq-gw-newer-'), 'gateway.db');
    const db = new Database(file);
    db.pragma(`user_version = ${GATEWAY_SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openGatewayDatabase(file)).toThrow(GatewaySchemaError);
    const again = new Database(file);
    expect(again.pragma('user_version', { simple: true })).toBe(GATEWAY_SCHEMA_VERSION + 1);
    expect(tables(again)).toEqual([]);
    again.close();
  });

  it('opens in WAL mode with synchronous FULL', () => {
    const dir = tempDir('cq-gw-open-');
    const store = openGatewayStore(dir);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    // 2 = FULL.
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
    store.close();
    expect(fs.existsSync(path.join(dir, 'gateway.db'))).toBe(true);
    expect(() => openGatewayStore(tempDir('cq-gw-none-'), { mustExist: true })).toThrow(
      /no gateway database/,
    );
  });
});
