/**
 * Start-up recovery (SPEC §5): whatever a crash left half-done is cleaned up, and a sample whose
 * content has gone missing is flagged rather than silently dropped.
 */
import type Database from 'better-sqlite3';
import { writeTransaction } from './database.js';
import { createLogger } from '../../log/logger.js';
import type { BlobStore } from './blob-store.js';
import type { BlobsRepo } from './blobs-repo.js';
import type { ErrorsRepo } from './errors-repo.js';
import type { LogRepo } from './log-repo.js';
import type { SamplesRepo } from './samples-repo.js';

const log = createLogger('store');

/** What `recover` did. */
export interface RecoveryReport {
  /** Files left in the temp folder by interrupted intakes. */
  readonly tempsRemoved: number;
  /** Blob files without a row (written, but their sample never committed, or deleted). */
  readonly orphanBlobsRemoved: number;
  /** Rows that no sample referenced any more, removed with their files. */
  readonly unreferencedRemoved: number;
  /** Blob rows whose reference count disagreed with the samples using them. */
  readonly refsRepaired: number;
  /** Samples newly flagged `lost` because their blob file is missing. */
  readonly lostSamples: number;
}

/** The repositories recovery reads and writes. */
export interface RecoveryRepos {
  readonly blobs: BlobsRepo;
  readonly samples: SamplesRepo;
  readonly errors: ErrorsRepo;
  readonly log: LogRepo;
}

/** Clean up after a crash; run at start, before intake accepts anything. */
export function recover(
  db: Database.Database,
  blobStore: BlobStore,
  repos: RecoveryRepos,
): RecoveryReport {
  const tempsRemoved = blobStore.removeTemps();

  const { refsRepaired, unreferenced } = writeTransaction(db, () => {
    // Counts are kept in step by every write; repairing them here is cheap insurance.
    const repaired = repos.blobs.reconcileRefs();
    const shas = repos.blobs.unreferenced().map((b) => b.sha256);
    for (const sha of shas) repos.blobs.remove(sha);
    return { refsRepaired: repaired, unreferenced: shas };
  })();
  for (const sha of unreferenced) blobStore.removeSync(sha);

  const rows = new Set(repos.blobs.all().map((b) => b.sha256));
  const files = new Set(blobStore.listBlobFiles());
  let orphanBlobsRemoved = 0;
  for (const sha of files) {
    if (!rows.has(sha) && blobStore.removeSync(sha)) orphanBlobsRemoved++;
  }

  const flagLost = writeTransaction(db, () => {
    let flagged = 0;
    for (const sha of rows) {
      if (files.has(sha)) continue;
      for (const sampleId of repos.samples.idsWithBlob(sha)) {
        // Flag once: a missing file stays missing, and restarting must not pile up errors.
        if (repos.errors.has(sampleId, 'lost')) continue;
        const message = `stored content ${sha} is missing from the quarantine folder`;
        repos.errors.add({ sampleId, code: 'lost', params: [sha], source: 'recovery', message });
        repos.log.append({ level: 'error', source: 'recovery', message, sampleId });
        log.error('sample content lost', { sampleId, sha256: sha });
        flagged++;
      }
    }
    return flagged;
  });
  const lostSamples = flagLost();

  const report = {
    tempsRemoved,
    orphanBlobsRemoved,
    unreferencedRemoved: unreferenced.length,
    refsRepaired,
    lostSamples,
  };
  if (tempsRemoved + orphanBlobsRemoved + unreferenced.length + refsRepaired + lostSamples > 0) {
    log.warn('recovered after an unclean stop', { ...report });
  }
  return report;
}
