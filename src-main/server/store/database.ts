/** Opening the SQLite database with the durability settings of SPEC §5. */
import Database from 'better-sqlite3';
import { assertKnownSchema, migrate } from './migrations/index.js';

export { StoreError } from './store-error.js';

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
