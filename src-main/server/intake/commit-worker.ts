/**
 * The thread side of `commit-thread.ts`: a second connection to the server's database that
 * commits accepted forwards (`commitIntake`) in shared transactions, so that their SQL and the
 * commit's WAL fsync run off the event loop. Jobs that arrive while a batch commits form the
 * next one. Each job runs in a savepoint of the batch: one that throws is rolled back alone.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { AuditRepo } from '../store/audit-repo.js';
import { BlobsRepo } from '../store/blobs-repo.js';
import { openDatabase } from '../store/database.js';
import { createBatchRunner } from '../store/group-commit.js';
import { ErrorsRepo } from '../store/errors-repo.js';
import { LogRepo } from '../store/log-repo.js';
import { SamplesRepo } from '../store/samples-repo.js';
import { TargetsRepo } from '../store/targets-repo.js';
import {
  carryError,
  type CommitReply,
  type CommitRequest,
  type CommitThreadData,
  type JobReply,
  type NumberedJob,
} from './commit-protocol.js';
import { commitIntake, type IntakeCommitted, type IntakeRepos } from './intake-commit.js';

/** Times a batch is begun while the other writer keeps the lock (each waits a busy timeout). */
const BUSY_ATTEMPTS = 12;

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_RECOVERY';
}

const port = parentPort;
if (port === null) throw new Error('commit-worker.ts runs only as a worker thread');
const data = workerData as CommitThreadData;

function post(reply: CommitReply): void {
  port!.postMessage(reply);
}

/** The connection and the batch function, or why they could not be had. */
function open(): { db: Database.Database; commitAll: (jobs: NumberedJob[]) => JobReply[] } {
  const db = openDatabase(data.file);
  try {
    db.pragma(`wal_autocheckpoint = ${data.autocheckpointPages}`);
    if (data.busyTimeoutMs !== undefined) db.pragma(`busy_timeout = ${data.busyTimeoutMs}`);
    const audit = new AuditRepo(db);
    const blobs = new BlobsRepo(db);
    const samples = new SamplesRepo(db, { audit, blobs, errors: new ErrorsRepo(db) });
    const { runBatch, runJob } = createBatchRunner(db);
    const repos: IntakeRepos = {
      samples,
      blobs,
      log: new LogRepo(db, data.logRetention),
      targets: new TargetsRepo(db),
      nested: <T>(work: () => T): T => runJob(work) as T,
    };
    // Throws, with nothing committed, when the batch as a whole fails (see BatchRunner).
    const commitAll = (jobs: NumberedJob[]): JobReply[] =>
      runBatch(
        jobs.map(
          ({ job }) =>
            () =>
              commitIntake(repos, job),
        ),
      ).map((outcome, i): JobReply => {
        const seq = jobs[i]!.seq;
        return outcome.ok
          ? { seq, ok: true, value: outcome.value as IntakeCommitted }
          : { seq, ok: false, error: carryError(outcome.error) };
      });
    return { db, commitAll };
  } catch (error) {
    db.close();
    throw error;
  }
}

let opened: ReturnType<typeof open> | undefined;
try {
  opened = open();
  post({ op: 'ready' });
} catch (error) {
  post({ op: 'unavailable', message: carryError(error).message });
  port.close();
}

if (opened) {
  const { db, commitAll } = opened;
  let waiting: NumberedJob[] = [];
  let scheduled = false;
  /** Holds the event loop asked for and has not released. */
  let holds = 0;

  const commitWaiting = (): void => {
    scheduled = false;
    if (holds > 0) return;
    const jobs = waiting;
    waiting = [];
    if (jobs.length === 0) return;
    let replies: JobReply[] | undefined;
    let busyRetries = 0;
    for (let attempt = 1; replies === undefined; attempt++) {
      try {
        replies = commitAll(jobs);
      } catch (error) {
        // The event loop's connection held the write lock for a whole busy timeout (a long
        // administrator's operation): BEGIN failed before any job ran, so the batch is tried
        // again rather than failing forwards that would only be sent again.
        if (isBusy(error) && attempt < BUSY_ATTEMPTS) {
          busyRetries++;
          continue;
        }
        // BEGIN or COMMIT failed: nothing of the batch is in the database.
        const carried = carryError(error);
        replies = jobs.map(({ seq }) => ({ seq, ok: false, error: carried }));
      }
    }
    post({ op: 'committed', replies, busyRetries });
  };

  const schedule = (): void => {
    // Messages that arrived while a batch committed are all delivered before this runs.
    if (scheduled || holds > 0 || waiting.length === 0) return;
    scheduled = true;
    setImmediate(commitWaiting);
  };

  port.on('message', (request: CommitRequest) => {
    switch (request.op) {
      case 'batch':
        for (const job of request.jobs) waiting.push(job);
        schedule();
        return;
      case 'hold':
        // Messages are handled between batches: the write lock is free now.
        holds++;
        post({ op: 'held' });
        return;
      case 'release':
        holds = Math.max(0, holds - 1);
        schedule();
        return;
      case 'close':
        holds = 0;
        commitWaiting();
        db.close();
        port.close();
    }
  });
}
