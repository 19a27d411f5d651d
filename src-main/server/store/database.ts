/** Opening the SQLite database with the durability settings of SPEC §5. */
import Database from 'better-sqlite3';
import { assertKnownSchema, migrate } from './migrations/index.js';

export { StoreError } from './store-error.js';

/**
 * A transaction that takes the write lock as it begins (`BEGIN IMMEDIATE`). Intake commits on a
 * connection of its own (`intake/commit-thread.ts`), so the server's database has two writers: a
 * deferred transaction that read before its first write would then fail at once with
 * SQLITE_BUSY_SNAPSHOT when the other connection had committed meanwhile, where an immediate one
 * waits for the lock (`busy_timeout`). Called inside another transaction it is a savepoint, like
 * every better-sqlite3 transaction. The server's store opens its transactions only through this.
 */
// `any[]`, not `unknown[]`: parameters are contravariant, and callers pass typed functions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function writeTransaction<F extends (...args: any[]) => unknown>(
  db: Database.Database,
  fn: F,
): F {
  // eslint-disable-next-line no-restricted-syntax -- the one place that opens them
  const transaction = db.transaction(fn) as unknown as {
    immediate(...args: unknown[]): unknown;
  };
  return ((...args: unknown[]) => transaction.immediate(...args)) as F;
}

/** How long a writer waits for another connection's lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/** Options for `openDatabase`. */
export interface OpenDatabaseOptions {
  /** Open an existing database without writing to it (no migrations), e.g. to verify it. */
  readonly readonly?: boolean;
}

/**
 * Open (creating if needed) and migrate the store database. A database whose schema is newer
 * than this code is refused with `StoreError('newer-schema')`.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Database.Database {
  const db = new Database(file, {
    readonly: options.readonly ?? false,
    fileMustExist: options.readonly ?? false,
  });
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
    if (options.readonly) {
      assertKnownSchema(db);
      return db;
    }
    db.pragma('journal_mode = WAL');
    // better-sqlite3 defaults to NORMAL, which in WAL mode may lose the last acknowledged
    // commits on power loss; intake answers 201 only after a commit, so it must be FULL.
    db.pragma('synchronous = FULL');
    // Savepoint journals (every group-commit job is a savepoint) and sorts stay in memory
    // instead of temp files.
    db.pragma('temp_store = MEMORY');
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
