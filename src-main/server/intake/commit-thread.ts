/**
 * Intake's database commits on a thread of their own. Committing an accepted forward (its
 * sample row, attributes, audit row, Quarantine Log line and target row, then the commit's
 * WAL fsync) took about half of the event loop's time under full intake, while the event loop
 * must also parse, decode and answer every forward. Here the event loop gathers the jobs that
 * arrive together, fsyncs the blob directories they need (SPEC §5: blob durable before its
 * row), and hands the batch to a thread with a second connection (`commit-worker.ts`), which
 * commits it with `synchronous = FULL`. A forward is acknowledged only after its batch's reply.
 *
 * Should threads not be able to open the database here, jobs are committed on the event loop
 * instead (`EventLoopCommitter`), with the same function.
 */
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { createLogger } from '../../log/logger.js';
import { workerScriptBeside } from '../../threads/worker-script.js';
import {
  SyncedBatches,
  type DirectorySyncer,
  type SyncOutcome,
  type WriteGate,
} from '../store/group-commit.js';
import type { Store } from '../store/index.js';
import { StoreError, storeClosed, type StoreErrorCode } from '../store/store-error.js';
import { TargetsRepo } from '../store/targets-repo.js';
import type {
  CarriedError,
  CommitReply,
  CommitRequest,
  CommitThreadData,
} from './commit-protocol.js';
import {
  commitIntake,
  type IntakeCommitted,
  type IntakeJob,
  type IntakeRepos,
} from './intake-commit.js';

const log = createLogger('intake');

/** Commits accepted forwards. */
export interface IntakeCommitter {
  /**
   * Commit a job whose blob is installed (durable at the next directory fsync). Resolves once
   * the job is durable in the database; rejects, with nothing of it committed, when it could
   * not be (or, should the thread stop mid-batch, when that cannot be known).
   */
  commit(job: IntakeJob): Promise<IntakeCommitted>;
  /** Refuse new jobs and wait until every job handed in has settled. */
  close(): Promise<void>;
}

/** Commits on the event loop, in the store's group committer. */
export class EventLoopCommitter implements IntakeCommitter {
  private readonly repos: IntakeRepos;
  private closed = false;

  constructor(private readonly store: Store) {
    this.repos = {
      samples: store.samples,
      blobs: store.blobsRepo,
      log: store.log,
      targets: new TargetsRepo(store.db),
      nested: (work) => store.committer.nested(work),
    };
  }

  commit(job: IntakeJob): Promise<IntakeCommitted> {
    if (this.closed) return Promise.reject(storeClosed());
    return this.store.committer.commit(() => commitIntake(this.repos, job));
  }

  /** Jobs queued so far settle; the store's committer itself stays open for others. */
  close(): Promise<void> {
    this.closed = true;
    return this.store.committer.drain();
  }
}

/** What the commit thread needs. */
export interface CommitThreadOptions extends Omit<CommitThreadData, 'file'> {
  /** The database file. */
  readonly file: string;
  /** The blob store whose directories a batch needs fsynced before it commits. */
  readonly dirs: DirectorySyncer;
  /** Where jobs go when no thread can open the database. */
  readonly fallback: IntakeCommitter;
  /** The compiled `commit-worker.js` (tests point elsewhere). */
  readonly script?: string;
  /** Told once, with the reason, when intake falls back to committing on the event loop. */
  readonly onFallback?: (reason: string) => void;
}

/** A job waiting for its directory fsyncs or its reply. */
interface Pending {
  readonly seq: number;
  readonly job: IntakeJob;
  readonly resolve: (value: IntakeCommitted) => void;
  readonly reject: (reason: unknown) => void;
}

/** One started thread. */
interface Started {
  readonly worker: Worker;
  /** It opened its connection: jobs sent to it from then on may have been committed. */
  ready: boolean;
  readonly exited: Promise<void>;
  /** Callers of `acquire` waiting for this thread's `held`, in order. */
  readonly holdWaiters: (() => void)[];
}

/** Where intake commits and how it went, for `/health`, tests and the bench. */
export interface CommitThreadStats {
  /** `thread` normally; `event-loop` once no thread could open the database. */
  readonly mode: 'thread' | 'event-loop';
  readonly batches: number;
  readonly jobs: number;
  readonly failedJobs: number;
  readonly largestBatch: number;
  /** Jobs committed on the event loop because no thread could open the database. */
  readonly onEventLoop: number;
  /** Threads started (more than one after a thread stopped). */
  readonly threadsStarted: number;
  /** Batches begun again because the event loop's connection kept the write lock. */
  readonly busyRetries: number;
}

/**
 * Intake's commit thread. It is also the event loop's `WriteGate` (`GroupCommitter.useGate`):
 * holding it pauses the thread between batches, so that the event loop's own batches find the
 * write lock free instead of sleeping in SQLite's busy handler.
 */
export class IntakeCommitThread
  extends SyncedBatches<Pending>
  implements IntakeCommitter, WriteGate
{
  private current: Started | undefined;
  /** No thread can open the database here: everything goes to the fallback. */
  private broken = false;
  private readonly sent = new Map<number, Pending>();
  private readonly outstanding = new Set<Promise<unknown>>();
  /** Holds given out and not released yet. */
  private holding = 0;
  private nextSeq = 1;
  private onEventLoop = 0;
  private threadsStarted = 0;
  private busyRetries = 0;
  private readonly script: string;

  constructor(private readonly options: CommitThreadOptions) {
    super(options.dirs);
    this.script = options.script ?? workerScriptBeside(import.meta.url, 'commit-worker');
    if (fs.existsSync(this.script)) this.current = this.start();
    else this.fallBack(`its script ${this.script} is missing`);
  }

  commit(job: IntakeJob): Promise<IntakeCommitted> {
    if (this.closed) return Promise.reject(storeClosed());
    const done = new Promise<IntakeCommitted>((resolve, reject) => {
      this.enqueue({ seq: this.nextSeq++, job, resolve, reject });
    });
    this.outstanding.add(done);
    const forget = (): void => {
      this.outstanding.delete(done);
    };
    done.then(forget, forget);
    return done;
  }

  get threadStats(): CommitThreadStats {
    return {
      mode: this.broken ? 'event-loop' : 'thread',
      ...this.stats,
      onEventLoop: this.onEventLoop,
      threadsStarted: this.threadsStarted,
      busyRetries: this.busyRetries,
    };
  }

  /**
   * Pause the thread between batches until the returned release is called (every caller must
   * call it). Resolves at once when no thread runs.
   */
  acquire(): Promise<() => void> {
    const started = this.current;
    if (!started) return Promise.resolve(() => undefined);
    return new Promise<() => void>((resolve) => {
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        this.holding--;
        if (this.current !== started) return;
        started.worker.postMessage({ op: 'release' } satisfies CommitRequest);
        if (this.holding === 0 && this.sent.size === 0) started.worker.unref();
      };
      started.holdWaiters.push(() => resolve(release));
      this.holding++;
      started.worker.ref();
      started.worker.postMessage({ op: 'hold' } satisfies CommitRequest);
    });
  }

  /** Resolves when every job handed in so far has settled. */
  async drain(): Promise<void> {
    while (this.outstanding.size > 0) {
      await this.flushed();
      await Promise.allSettled([...this.outstanding]);
    }
  }

  /** Refuse new jobs, let the ones handed in settle, then end the thread. */
  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
    const started = this.current;
    this.current = undefined;
    if (!started) return;
    // Held until it has ended, so that a stopping server releases its data folder only after
    // this connection has closed.
    started.worker.ref();
    started.worker.postMessage({ op: 'close' } satisfies CommitRequest);
    await started.exited;
  }

  protected dispatch(jobs: Pending[], synced: SyncOutcome): void {
    this.countBatch(jobs.length);
    if (!synced.ok) {
      // A blob of the batch may not be durable: none of it may be committed.
      log.error('group commit failed', { jobs: jobs.length, error: String(synced.error) });
      for (const job of jobs) this.fail(job, synced.error);
      return;
    }
    if (this.broken) {
      for (const job of jobs) this.commitOnEventLoop(job);
      return;
    }
    try {
      const started = (this.current ??= this.start());
      const request: CommitRequest = {
        op: 'batch',
        jobs: jobs.map(({ seq, job }) => ({ seq, job })),
      };
      started.worker.postMessage(request);
      for (const job of jobs) this.sent.set(job.seq, job);
      started.worker.ref();
    } catch (error) {
      // No thread could be started, or a job could not be sent: none of them reached it.
      log.error('handing a batch to the intake commit thread failed', { error: String(error) });
      for (const job of jobs) this.fail(job, error);
    }
  }

  private start(): Started {
    this.threadsStarted++;
    const data: CommitThreadData = {
      file: this.options.file,
      autocheckpointPages: this.options.autocheckpointPages,
      ...(this.options.logRetention !== undefined
        ? { logRetention: this.options.logRetention }
        : {}),
      ...(this.options.busyTimeoutMs !== undefined
        ? { busyTimeoutMs: this.options.busyTimeoutMs }
        : {}),
    };
    const worker = new Worker(this.script, { workerData: data });
    const holdWaiters: (() => void)[] = [];
    let failure: Error | undefined;
    const exited = new Promise<void>((resolve) =>
      worker.once('exit', (code) => {
        // A thread that has ended holds no lock: whoever waits for it to pause goes on.
        for (const wake of holdWaiters.splice(0)) wake();
        // Acted on only now: 'exit' comes after every message the thread sent ('error' may
        // overtake a 'ready' or 'committed' still on its way).
        this.stopped(started, failure ?? new Error(`exit code ${code}`));
        resolve();
      }),
    );
    const started: Started = { worker, ready: false, exited, holdWaiters };
    worker.on('message', (reply: CommitReply) => this.receive(started, reply));
    worker.once('error', (error) => {
      failure = error;
    });
    // An idle thread must not keep a finished process alive.
    worker.unref();
    return started;
  }

  private receive(started: Started, reply: CommitReply): void {
    if (reply.op === 'ready') {
      started.ready = true;
      return;
    }
    if (reply.op === 'held') {
      started.holdWaiters.shift()?.();
      return;
    }
    if (reply.op === 'unavailable') {
      // Nothing sent to it was committed: those jobs, and all later ones, go to the event loop.
      if (this.current === started) this.current = undefined;
      this.fallBack(`it cannot open the database (${reply.message})`);
      return;
    }
    this.busyRetries += reply.busyRetries;
    for (const outcome of reply.replies) {
      const job = this.sent.get(outcome.seq);
      if (!job) continue;
      this.sent.delete(outcome.seq);
      if (outcome.ok) job.resolve(outcome.value);
      else this.fail(job, revive(outcome.error));
    }
    if (this.sent.size === 0 && this.holding === 0) started.worker.unref();
  }

  /** The thread ended or failed without being asked to. */
  private stopped(started: Started, error: Error): void {
    if (this.current !== started) return;
    this.current = undefined;
    if (!started.ready) {
      // It never opened its connection: nothing sent to it was committed.
      this.fallBack(`it could not start (${error.message})`);
      return;
    }
    // Jobs it had may or may not have committed; they fail (500) and their senders retry,
    // which duplicate detection answers. The next batch starts a new thread.
    log.error('the intake commit thread stopped', { error: String(error) });
    const lost = [...this.sent.values()];
    this.sent.clear();
    for (const job of lost) {
      this.fail(job, new Error(`the intake commit thread stopped (${error.message})`));
    }
  }

  /**
   * From now on commit on the event loop, starting with the jobs a thread was sent and never
   * committed.
   */
  private fallBack(reason: string): void {
    this.broken = true;
    const message = `intake commits on the event loop from now on: the commit thread failed, ${reason}`;
    log.error(message);
    try {
      this.options.onFallback?.(message);
    } catch (error) {
      log.error('reporting the fallback failed', { error: String(error) });
    }
    const jobs = [...this.sent.values()];
    this.sent.clear();
    for (const job of jobs) this.commitOnEventLoop(job);
  }

  private commitOnEventLoop(job: Pending): void {
    this.onEventLoop++;
    this.options.fallback
      .commit(job.job)
      .then(job.resolve, (error: unknown) => this.fail(job, error));
  }

  private fail(job: Pending, error: unknown): void {
    this.counters.failedJobs++;
    job.reject(error);
  }
}

/** The error a thread reported, as the event loop's callers know it. */
function revive(carried: CarriedError): Error {
  if (carried.name === 'StoreError' && carried.code !== undefined) {
    return new StoreError(carried.code as StoreErrorCode, carried.message);
  }
  const error = new Error(carried.message);
  error.name = carried.name;
  if (carried.code !== undefined) Object.assign(error, { code: carried.code });
  return error;
}
