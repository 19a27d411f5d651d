/**
 * The gateway's durable state under its data folder (SPEC §5 rules, gateway tables): SQLite in
 * WAL with synchronous FULL, and sample blobs stored deflated and scrambled through the
 * server's blob store. `cq gateway verdict` and `bless` open the same database while the
 * gateway runs; WAL and the busy timeout let both write.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { BlobStore } from '../../server/store/blob-store.js';
import { createLogger } from '../../log/logger.js';
import { AnalysesRepo } from './analyses-repo.js';
import { migrateGateway } from './migrations/index.js';
import { SetsRepo } from './sets-repo.js';
import { SubmissionsRepo } from './submissions-repo.js';

const log = createLogger('gateway-store');

/** File name of the gateway database inside its data folder. */
export const GATEWAY_DATABASE_FILE = 'gateway.db';

/** How long a writer waits for the other process's lock before failing. */
const BUSY_TIMEOUT_MS = 10_000;

/** An open gateway store. */
export interface GatewayStore {
  readonly dataDir: string;
  readonly db: Database.Database;
  readonly analyses: AnalysesRepo;
  readonly submissions: SubmissionsRepo;
  readonly sets: SetsRepo;
  /** Sample content, by SHA-256, never in runnable form. */
  readonly blobs: BlobStore;
  /**
   * Make installed blobs' directory entries durable. Calls are serialised: a call that finds
   * nothing left to sync must not return while another call is still syncing its directory.
   */
  syncBlobDirs(): Promise<void>;
  /** Run synchronous writes in one immediate transaction. */
  transaction<T>(work: () => T): T;
  close(): void;
}

/** Open (creating and migrating if needed) the gateway database of a data folder. */
export function openGatewayDatabase(file: string): Database.Database {
  const db = new Database(file);
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
    db.pragma('journal_mode = WAL');
    // NORMAL may drop the last commits on power loss; a 202 promises the sample is kept.
    db.pragma('synchronous = FULL');
    migrateGateway(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Open the store of a data folder (created when missing unless `mustExist`). */
export function openGatewayStore(
  dataDir: string,
  options: { mustExist?: boolean } = {},
): GatewayStore {
  const file = path.join(dataDir, GATEWAY_DATABASE_FILE);
  if (options.mustExist && !fs.existsSync(file)) {
    throw new Error(`no gateway database in ${dataDir}`);
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const db = openGatewayDatabase(file);
  const blobs = new BlobStore(path.join(dataDir, 'samples'));
  let syncing: Promise<void> = Promise.resolve();
  return {
    dataDir,
    db,
    analyses: new AnalysesRepo(db),
    submissions: new SubmissionsRepo(db),
    sets: new SetsRepo(db),
    blobs,
    syncBlobDirs: () => {
      const next = syncing.then(() => blobs.syncDirs());
      syncing = next.catch(() => undefined);
      return next;
    },
    transaction: (work) => db.transaction(work).immediate(),
    close: () => {
      db.close();
      // The I/O threads stop too (nothing writes any more), so no embedding process keeps them.
      void syncing.finally(() => blobs.close());
    },
  };
}

/**
 * Start-up clean-up after a crash: half-written blobs go, and so do blob files whose analysis
 * row never committed (their submission was never acknowledged).
 */
export function recoverGatewayStore(store: GatewayStore): { temps: number; orphans: number } {
  const temps = store.blobs.removeTemps();
  const referenced = store.analyses.referencedBlobs();
  let orphans = 0;
  for (const sha256 of store.blobs.listBlobFiles()) {
    if (!referenced.has(sha256) && store.blobs.removeSync(sha256)) orphans++;
  }
  if (temps + orphans > 0) log.info('recovered after an unclean stop', { temps, orphans });
  return { temps, orphans };
}
