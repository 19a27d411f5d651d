/**
 * The database half of accepting a forward (SPEC §4.2, §5): find a duplicate or write the new
 * sample, then record the acceptance (its Quarantine Log line and the endpoint's target row).
 * Plain data in, plain data out, so that it runs on the intake commit thread's connection
 * (`commit-worker.ts`) inside that thread's batch transaction.
 */
import { sightingFromAttributes } from '../defcast/target-identity.js';
import type { BlobsRepo } from '../store/blobs-repo.js';
import type { LogRepo } from '../store/log-repo.js';
import type { SampleRow, SamplesRepo } from '../store/samples-repo.js';
import type { TargetRow, TargetsRepo } from '../store/targets-repo.js';

/** Outcome of one accepted forward. */
export interface ReceiveResult {
  readonly id: number;
  readonly duplicate: boolean;
  readonly changes: number;
}

/** A received, verified and installed body, and what its forward said. */
export interface IntakeJob {
  readonly sha256: string;
  /** Decoded bytes. */
  readonly size: number;
  /** Bytes of the stored (at-rest) blob file. */
  readonly storedSize: number;
  /** `X-Sample-Checksum` as forwarded (MD5 hex). */
  readonly checksum: string;
  readonly platformKey: string;
  /** Canonical `X-` names → decoded values, as forwarded. */
  readonly attributes: Readonly<Record<string, string>>;
  /** Local clock minus the sender's `Date` header, ms. */
  readonly skewMs: number;
  /** Local receive time, epoch ms. */
  readonly receivedAt: number;
}

/** What committing a job did. */
export interface IntakeCommitted {
  readonly result: ReceiveResult;
  /** A new blob row was created: its stored bytes now count against the quota. */
  readonly added: boolean;
  /** The sample's row as this commit left it. */
  readonly row: SampleRow;
  /** The Quarantine Log line written with it, when recording the acceptance worked. */
  readonly logged?: string;
  /** The endpoint's target as this forward left it, likewise. */
  readonly target?: TargetRow;
  /** Why recording the acceptance failed (the sample committed all the same). */
  readonly acceptanceError?: string;
}

/** The repositories of one connection that a commit job writes through. */
export interface IntakeRepos {
  readonly samples: SamplesRepo;
  readonly blobs: BlobsRepo;
  readonly log: LogRepo;
  readonly targets: TargetsRepo;
  /** Run `work` in a savepoint of its own inside the running job (rolled back if it throws). */
  nested<T>(work: () => T): T;
}

/** The Quarantine Log line of an accepted forward. */
export function acceptanceMessage(row: SampleRow, duplicate: boolean): string {
  return duplicate
    ? `duplicate forward of sample ${row.id} from ${row.host ?? '?'}`
    : `quarantined ${row.fileName ?? 'a sample'} from ${row.host ?? '?'} as sample ${row.id}`;
}

/**
 * Commit one job. Must run inside a savepoint of the caller's batch, which is rolled back if
 * this throws. Duplicates are found here, in the commit, so that two identical forwards at once
 * cannot both make a sample; installing a duplicate's blob found the file in place.
 */
export function commitIntake(repos: IntakeRepos, job: IntakeJob): IntakeCommitted {
  const existing = repos.samples.findDuplicate(job.checksum, job.platformKey, job.sha256);
  let result: ReceiveResult;
  let added = false;
  let row: SampleRow | undefined;
  if (existing !== undefined) {
    const changes = repos.samples.bumpChanges(existing, 'intake', 'duplicate forward');
    result = { id: existing, duplicate: true, changes };
    row = repos.samples.get(existing);
    if (row === undefined) throw new Error(`sample ${existing} vanished during its commit`);
  } else {
    added = repos.blobs.addRef(job.sha256, job.size, job.storedSize);
    row = repos.samples.insertRow(
      {
        blobSha256: job.sha256,
        attributes: job.attributes,
        platformKey: job.platformKey,
        receivedAt: job.receivedAt,
        skewMs: job.skewMs,
        actor: 'intake',
      },
      { inSavepoint: true },
    );
    result = { id: row.id, duplicate: false, changes: 1 };
  }
  const sample = row;
  // Its log line and target row commit with the sample; should writing them fail, only they
  // are rolled back, and the sample is kept and acknowledged.
  try {
    return repos.nested(() => {
      const logged = acceptanceMessage(sample, result.duplicate);
      repos.log.append({ level: 'info', source: 'intake', message: logged, sampleId: sample.id });
      const target = repos.targets.recordSighting(
        sightingFromAttributes(sample.platformKey, job.attributes, job.receivedAt),
      );
      return { result, added, row: sample, logged, target };
    });
  } catch (error) {
    return { result, added, row: sample, acceptanceError: String(error) };
  }
}
