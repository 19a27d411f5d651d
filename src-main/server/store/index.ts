/**
 * The durable store of a Quarantine Server (SPEC §5): SQLite database plus blob files, opened
 * together, recovered at start, written through the group committer.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { AuditRepo, type AuditVerification } from './audit-repo.js';
import { BlobStore } from './blob-store.js';
import { BlobsRepo } from './blobs-repo.js';
import { BackgroundCheckpointer, FALLBACK_AUTOCHECKPOINT_PAGES } from './checkpointer.js';
import { openDatabase } from './database.js';
import { ErrorsRepo } from './errors-repo.js';
import { GroupCommitter } from './group-commit.js';
import { LogRepo } from './log-repo.js';
import { recover, type RecoveryReport } from './recovery.js';
import { SamplesRepo } from './samples-repo.js';
import { SettingsRepo } from './settings-repo.js';
import { StoreError } from './store-error.js';
import { UsersRepo } from './users-repo.js';

export type { AuditEntry, AuditRow, AuditVerification } from './audit-repo.js';
export { AuditRepo, GENESIS_HASH } from './audit-repo.js';
export { BlobStore, TempBlob } from './blob-store.js';
export type { BlobRow } from './blobs-repo.js';
export { BlobsRepo } from './blobs-repo.js';
export type { CheckpointerStats } from './checkpointer.js';
export { BackgroundCheckpointer } from './checkpointer.js';
export { openDatabase } from './database.js';
export type { ErrorRow, NewError } from './errors-repo.js';
export { ErrorsRepo } from './errors-repo.js';
export type { GroupCommitStats } from './group-commit.js';
export { GroupCommitter } from './group-commit.js';
export type { LogQuery, LogRow, NewLogEntry } from './log-repo.js';
export { LogRepo } from './log-repo.js';
export { MIGRATIONS, SCHEMA_VERSION, migrate } from './migrations/index.js';
export type { QuotaEvaluation, QuotaInput } from './quota.js';
export { diskFreeBytes, evaluateQuota } from './quota.js';
export type { RecoveryReport } from './recovery.js';
export { recover } from './recovery.js';
export { INTAKE_STATUS, baseName } from './sample-columns.js';
export type { SampleFilter, SampleListQuery, SampleSortKey } from './sample-list.js';
export { SAMPLE_SORT_KEYS, MAX_LIST_LIMIT } from './sample-list.js';
export type { NewSample, SampleDetail, SampleListResult, SampleRow } from './samples-repo.js';
export { SamplesRepo } from './samples-repo.js';
export { SettingsRepo } from './settings-repo.js';
export type { StoreErrorCode } from './store-error.js';
export { StoreError } from './store-error.js';
export type { UserRow } from './users-repo.js';
export { UsersRepo } from './users-repo.js';

/** File name of the database inside the data folder. */
export const DATABASE_FILE = 'quarantine.db';

/** Where a store lives. */
export interface StoreOptions {
  readonly dataDir: string;
  /** Defaults to `<dataDir>/quarantine`. */
  readonly quarantineDir?: string;
  /** Rows the Quarantine Log keeps. */
  readonly logRetention?: number;
  /**
   * Checkpoint the WAL on a thread of its own (`checkpointer.ts`) rather than inside commits
   * on the event loop: for a long-running server under load.
   */
  readonly backgroundCheckpoints?: boolean;
}

/** An open store: the database, blob files, repositories and committer. */
export interface Store {
  readonly db: Database.Database;
  readonly blobs: BlobStore;
  readonly samples: SamplesRepo;
  readonly blobsRepo: BlobsRepo;
  readonly errors: ErrorsRepo;
  readonly audit: AuditRepo;
  readonly users: UsersRepo;
  readonly log: LogRepo;
  readonly settings: SettingsRepo;
  readonly committer: GroupCommitter;
  /** The checkpoint thread, when `backgroundCheckpoints` was asked for. */
  readonly checkpointer: BackgroundCheckpointer | undefined;
  /** What start-up recovery found. */
  readonly recovery: RecoveryReport;
  /**
   * Delete the files of blobs that a committed delete freed, unless an intake has reused the
   * content meanwhile. Returns the stored bytes released.
   */
  removeFreedBlobs(sha256s: readonly string[]): Promise<number>;
  /**
   * Close the database. Servers first `await committer.close()` so that queued commits settle;
   * work still queued afterwards is rejected.
   */
  close(): void;
}

/** Open (creating and migrating if needed) the store in `dataDir` and run recovery. */
export function openStore(options: StoreOptions): Store {
  fs.mkdirSync(options.dataDir, { recursive: true });
  const db = openDatabase(path.join(options.dataDir, DATABASE_FILE));
  try {
    const blobs = new BlobStore(options.quarantineDir ?? path.join(options.dataDir, 'quarantine'));
    const audit = new AuditRepo(db);
    const blobsRepo = new BlobsRepo(db);
    const errors = new ErrorsRepo(db);
    const samples = new SamplesRepo(db, { audit, blobs: blobsRepo, errors });
    const log = new LogRepo(db, options.logRetention);
    const committer = new GroupCommitter(db, blobs);
    const recovery = recover(db, blobs, { blobs: blobsRepo, samples, errors, log });
    let checkpointer: BackgroundCheckpointer | undefined;
    if (options.backgroundCheckpoints) {
      db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
      checkpointer = new BackgroundCheckpointer(db.name);
    }
    return {
      db,
      blobs,
      samples,
      blobsRepo,
      errors,
      audit,
      users: new UsersRepo(db),
      log,
      settings: new SettingsRepo(db),
      committer,
      checkpointer,
      recovery,
      async removeFreedBlobs(sha256s) {
        let freed = 0;
        // A new intake of the same content may have re-created the row since the delete.
        const stillNeeded = (sha: string): boolean => blobsRepo.get(sha) !== undefined;
        for (const sha of sha256s) {
          const stat = await fs.promises.stat(blobs.pathFor(sha)).catch(() => undefined);
          if (await blobs.remove(sha, () => stillNeeded(sha))) freed += stat?.size ?? 0;
        }
        return freed;
      },
      close() {
        // The I/O threads stop once queued commits (and their directory fsyncs) have settled.
        void committer.close().finally(() => blobs.close());
        db.close();
        // Its connection closes after this one: the last to close checkpoints what is left.
        // Callers that must know it has ended await `checkpointer.close()` (the same ending).
        void checkpointer?.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Check the audit chain of the store in `dataDir` without changing anything (`cq audit verify`). */
export function verifyAudit(dataDir: string): AuditVerification {
  const file = path.join(dataDir, DATABASE_FILE);
  if (!fs.existsSync(file)) throw new StoreError('not-found', `no database at ${file}`);
  const db = openDatabase(file, { readonly: true });
  try {
    return new AuditRepo(db).verify();
  } finally {
    db.close();
  }
}
