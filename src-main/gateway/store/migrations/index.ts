/**
 * Numbered schema migrations of the gateway database, append-only like the server's: each runs
 * in its own transaction together with its `user_version` bump, and a newer database is refused.
 */
import type Database from 'better-sqlite3';
import { createLogger } from '../../../log/logger.js';
import { up as gateway } from './0001-gateway.js';

const log = createLogger('gateway-store');

/** One schema step: applying it to a database at `version - 1` yields `version`. */
export interface GatewayMigration {
  readonly version: number;
  readonly name: string;
  readonly up: (db: Database.Database) => void;
}

/** Every migration in order; `version` equals position + 1. */
export const GATEWAY_MIGRATIONS: readonly GatewayMigration[] = [
  { version: 1, name: 'gateway', up: gateway },
];

/** The schema version this code writes. */
export const GATEWAY_SCHEMA_VERSION = GATEWAY_MIGRATIONS.length;

/** A gateway database this program must not touch. */
export class GatewaySchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GatewaySchemaError';
  }
}

function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Apply every pending migration up to `target`; returns the versions before and after. */
export function migrateGateway(
  db: Database.Database,
  target: number = GATEWAY_SCHEMA_VERSION,
): { from: number; to: number } {
  const from = schemaVersion(db);
  if (from > GATEWAY_SCHEMA_VERSION) {
    throw new GatewaySchemaError(
      `gateway database schema version ${from} is newer than this program supports (${GATEWAY_SCHEMA_VERSION})`,
    );
  }
  for (const migration of GATEWAY_MIGRATIONS) {
    if (migration.version > target) break;
    const step = db.transaction(() => {
      // Re-read inside the write lock: a second process (cq gateway verdict) may have migrated.
      if (schemaVersion(db) >= migration.version) return false;
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
      return true;
    });
    if (step.immediate()) log.info('schema migrated', { version: migration.version });
  }
  return { from, to: schemaVersion(db) };
}
