/**
 * Numbered schema migrations (SPEC §5). Append-only: a released migration is never edited, a
 * change is a new file. Each one runs in its own transaction together with its `user_version`
 * bump, so a crash leaves the database at a whole version.
 */
import type Database from 'better-sqlite3';
import { createLogger } from '../../../log/logger.js';
import { StoreError } from '../store-error.js';
import { up as samples } from './0001-samples.js';
import { up as admin } from './0002-admin.js';
import { up as definitions } from './0003-definitions.js';
import { up as defcast } from './0004-defcast.js';
import { up as listFilters } from './0005-list-filters.js';

const log = createLogger('store');

/** One schema step: applying it to a database at `version - 1` yields `version`. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly up: (db: Database.Database) => void;
}

/** Every migration in order; `version` equals position + 1. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'samples', up: samples },
  { version: 2, name: 'admin', up: admin },
  { version: 3, name: 'definitions', up: definitions },
  { version: 4, name: 'defcast', up: defcast },
  { version: 5, name: 'list-filters', up: listFilters },
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The database's schema version (`PRAGMA user_version`). */
export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Refuse a database written by newer code: its schema may mean things this code cannot know. */
export function assertKnownSchema(db: Database.Database): number {
  const version = schemaVersion(db);
  if (version > SCHEMA_VERSION) {
    throw new StoreError(
      'newer-schema',
      `database schema version ${version} is newer than this program supports (${SCHEMA_VERSION})`,
    );
  }
  return version;
}

/**
 * Apply every pending migration up to `target` (default: the newest). Returns the versions
 * before and after.
 */
export function migrate(
  db: Database.Database,
  target: number = SCHEMA_VERSION,
): { from: number; to: number } {
  const from = assertKnownSchema(db);
  for (const migration of MIGRATIONS) {
    if (migration.version > target) break;
    const step = db.transaction(() => {
      // Re-read inside the write lock: another process may have migrated meanwhile.
      if (schemaVersion(db) >= migration.version) return false;
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
      return true;
    });
    if (step.immediate()) {
      log.info('schema migrated', { version: migration.version, name: migration.name });
    }
  }
  return { from, to: schemaVersion(db) };
}
