/**
 * Group commit (SPEC §5): intakes that finish at about the same time share one directory fsync
 * and one SQLite commit. Nothing is acknowledged before its batch has committed.
 */
import type Database from 'better-sqlite3';
import { writeTransaction } from './database.js';
import { createLogger } from '../../log/logger.js';
import { storeClosed } from './store-error.js';

const log = createLogger('store');

/** What the committer needs from the blob store. */
export interface DirectorySyncer {
  syncDirs(): Promise<void>;
}

/**
 * Keeps the database's other writer (intake's commit thread) out while a batch commits here, so
 * that the event loop never sleeps in SQLite's busy handler waiting for that writer's lock.
 * `acquire` resolves once the other writer is between its own batches and will start none
 * until the returned release is called.
 */
export interface WriteGate {
  acquire(): Promise<() => void>;
}

/** Throughput counters, for the bench and health output. */
export interface GroupCommitStats {
  readonly batches: number;
  readonly jobs: number;
  readonly failedJobs: number;
  readonly largestBatch: number;
}

interface Job {
  readonly work: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
}

/** How one job of a batch ended. */
export type JobOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Runs batches of jobs on one connection (`createBatchRunner`). */
export interface BatchRunner {
  /**
   * Run `works` in one immediate transaction, each in a savepoint of its own: one that throws
   * is rolled back alone and the rest still commit. Throws, with nothing committed, when BEGIN
   * or COMMIT fails, or when a job's failure made SQLite roll back the whole transaction (disk
   * full, I/O error): later jobs would otherwise run outside any transaction.
   */
  readonly runBatch: (works: readonly (() => unknown)[]) => JobOutcome[];
  /** Run `work` in a savepoint of its own (inside a job: rolled back alone if it throws). */
  readonly runJob: (work: () => unknown) => unknown;
}

/** The batch rule shared by the event loop's committer and intake's commit thread. */
export function createBatchRunner(db: Database.Database): BatchRunner {
  // A nested better-sqlite3 transaction is a savepoint.
  const runJob = writeTransaction(db, (work: () => unknown) => work());
  const runBatch = writeTransaction(db, (works: readonly (() => unknown)[]) =>
    works.map((work): JobOutcome => {
      try {
        return { ok: true, value: runJob(work) };
      } catch (error) {
        if (!db.inTransaction) throw error;
        return { ok: false, error };
      }
    }),
  );
  return { runBatch, runJob };
}

/** How a batch's directory fsyncs ended. */
export type SyncOutcome = { ok: true } | { ok: false; error: unknown };

/** Jobs taken together, and their directory fsyncs (already under way). */
interface Batch<J> {
  readonly jobs: J[];
  readonly synced: Promise<SyncOutcome>;
}

/**
 * Gathers jobs that arrive at about the same time into batches, fsyncs the blob directories
 * they need once per batch, and hands each batch on (`dispatch`) once its fsyncs have settled,
 * one batch at a time and in order. The directory fsyncs of the next batch overlap the commit
 * of the current one.
 */
export abstract class SyncedBatches<J> {
  private queue: J[] = [];
  private flushing: Promise<void> | undefined;
  protected closed = false;
  protected counters = { batches: 0, jobs: 0, failedJobs: 0, largestBatch: 0 };
  private gate: WriteGate | undefined;

  constructor(private readonly dirs: DirectorySyncer) {}

  /** Commit (or fail) a batch whose directory fsyncs ended as `synced`. */
  protected abstract dispatch(jobs: J[], synced: SyncOutcome): void;

  /** Queue a job for the next batch (callers check `closed` first). */
  protected enqueue(job: J): void {
    this.queue.push(job);
    this.flushing ??= this.flushLoop();
  }

  /** Hold `gate` while each batch is dispatched (undefined: no longer). */
  useGate(gate: WriteGate | undefined): void {
    this.gate = gate;
  }

  /** Batches and jobs so far. */
  get stats(): GroupCommitStats {
    return { ...this.counters };
  }

  /** Resolves when every job queued so far has been dispatched. */
  protected async flushed(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
  }

  /** Count a batch as it is dispatched. */
  protected countBatch(size: number): void {
    this.counters.batches++;
    this.counters.jobs += size;
    this.counters.largestBatch = Math.max(this.counters.largestBatch, size);
  }

  private async flushLoop(): Promise<void> {
    try {
      // Yield once so that callers who commit in the same tick share the first batch.
      await new Promise<void>((resolve) => setImmediate(resolve));
      let current = this.startBatch();
      while (current !== undefined) {
        const synced = await current.synced;
        // The next batch's directory fsyncs start before this batch commits, so that they run
        // in the thread pool while the commit (a WAL fsync) holds the event loop. They start
        // only now, after this batch's own fsyncs settled: a directory whose fsync failed is
        // dirty again and is taken up by them.
        const next = this.startBatch();
        const release = this.gate ? await this.gate.acquire() : undefined;
        try {
          this.dispatch(current.jobs, synced);
        } finally {
          release?.();
        }
        // Jobs queued while waiting for the gate found this loop running and started none of
        // their own: the loop ends only once the queue is empty after its last wait.
        current = next ?? this.startBatch();
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /** Take the queued jobs as a batch and start the directory fsyncs they need. */
  private startBatch(): Batch<J> | undefined {
    if (this.queue.length === 0) return undefined;
    const jobs = this.queue;
    this.queue = [];
    // Every job was queued after its blob was installed, and installing marks the directory
    // after the rename: it is in this sync, or in an earlier one that has already completed.
    const synced = this.dirs.syncDirs().then(
      (): SyncOutcome => ({ ok: true }),
      (error: unknown): SyncOutcome => ({ ok: false, error }),
    );
    return { jobs, synced };
  }
}

/**
 * Runs synchronous database work in shared transactions on the event loop, one batch at a
 * time.
 */
export class GroupCommitter extends SyncedBatches<Job> {
  private readonly runner: BatchRunner;

  constructor(db: Database.Database, dirs: DirectorySyncer) {
    super(dirs);
    this.runner = createBatchRunner(db);
  }

  /**
   * Run `work` (synchronous database writes) in the next batch. Resolves with its result once
   * the batch has committed durably; rejects with its error alone if it threw. Blob files it
   * refers to must already be installed, so that this batch's directory fsync covers them.
   */
  commit<T>(work: () => T): Promise<T> {
    if (this.closed) return Promise.reject(storeClosed());
    return new Promise<T>((resolve, reject) => {
      this.enqueue({ work, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  /**
   * Run `work` inside the job that is running now, in a savepoint of its own: when it throws,
   * only its writes are rolled back and the error is passed on for the job to handle.
   */
  nested<T>(work: () => T): T {
    return this.runner.runJob(work) as T;
  }

  /** Resolves when every job queued so far has settled. */
  drain(): Promise<void> {
    return this.flushed();
  }

  /** Refuse new work and wait for queued work to settle. */
  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
  }

  protected dispatch(batch: Job[], synced: SyncOutcome): void {
    this.countBatch(batch.length);
    let outcomes: JobOutcome[];
    try {
      if (!synced.ok) throw synced.error;
      outcomes = this.runner.runBatch(batch.map((job) => job.work));
    } catch (error) {
      // The directory fsync or the commit itself failed: nothing in the batch is durable.
      log.error('group commit failed', { jobs: batch.length, error: String(error) });
      this.counters.failedJobs += batch.length;
      for (const job of batch) job.reject(error);
      return;
    }
    batch.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) job.resolve(outcome.value);
      else {
        this.counters.failedJobs++;
        job.reject(outcome.error);
      }
    });
  }
}
