/**
 * The scan backlog: a bounded in-memory queue of sample ids served by a fixed pool of workers,
 * so intake hands a sample over and never waits for its scan. When the queue is full nothing
 * is lost: the samples are still in the database in their waiting status, and the owner's
 * `refill` walks the database for them as soon as there is room again.
 */

/** Why a sample is scanned: decides which statuses the result may move it from. */
export type ScanJobKind = 'new' | 'rescan' | 'manual';

/** What the worker made of a job. */
export type ScanJobResult =
  | { readonly kind: 'scanned'; readonly detail: string }
  | { readonly kind: 'skipped'; readonly detail: string }
  | { readonly kind: 'not-scanned'; readonly detail: string }
  /** The engine cannot scan now: keep the job and pause the queue. */
  | { readonly kind: 'retry'; readonly detail: string };

interface Job {
  readonly id: number;
  kind: ScanJobKind;
  readonly waiters: ((result: ScanJobResult) => void)[];
}

const RANK: Readonly<Record<ScanJobKind, number>> = { new: 0, rescan: 1, manual: 2 };

/** Settings of a queue. */
export interface ScanQueueOptions {
  readonly workers: number;
  /** Most jobs held in memory. */
  readonly limit: number;
  readonly run: (id: number, kind: ScanJobKind) => Promise<ScanJobResult>;
  /** Called when there is room; returns more jobs from the database (or none). */
  readonly refill: (room: number) => { id: number; kind: ScanJobKind }[];
  /**
   * Work that background jobs (all but manual ones) give way to while it is busy: none start
   * then, until it has been busy for `maxYieldMs` on end, after which one at a time does so
   * that a sustained load cannot starve scanning.
   */
  readonly yieldTo?: { busy(): boolean };
  /** Longest time background jobs hold back completely (default 10 s). */
  readonly maxYieldMs?: number;
  readonly now?: () => number;
}

/** How often a queue that gives way looks again. */
const YIELD_RECHECK_MS = 100;

/** A bounded queue with a worker pool. */
export class ScanQueue {
  private readonly pending = new Map<number, Job>();
  private readonly inFlight = new Map<number, Job>();
  private paused = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  /** Since when background jobs have been giving way (undefined: they are not). */
  private yieldingSince: number | undefined;
  private recheck: NodeJS.Timeout | undefined;
  /** Administrators' jobs among `pending`. */
  private manualPending = 0;

  constructor(private readonly options: ScanQueueOptions) {}

  /** True while background jobs give way to busy intake. */
  get isYielding(): boolean {
    return this.yieldingSince !== undefined;
  }

  /** Jobs waiting plus jobs being scanned. */
  get size(): number {
    return this.pending.size + this.inFlight.size;
  }

  /** True while paused (the engine cannot scan). */
  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * Queue a sample; false when the queue is full (the owner's refill finds it later). A sample
   * already waiting keeps one place, with the broader of the two kinds. `waiter` hears the
   * outcome of the scan.
   */
  push(id: number, kind: ScanJobKind, waiter?: (result: ScanJobResult) => void): boolean {
    if (this.closed) return false;
    const existing = this.pending.get(id);
    if (existing) {
      if (RANK[kind] > RANK[existing.kind]) {
        if (kind === 'manual') this.manualPending++;
        existing.kind = kind;
      }
      if (waiter) existing.waiters.push(waiter);
      return true;
    }
    if (this.pending.size >= this.options.limit && kind !== 'manual') return false;
    this.pending.set(id, { id, kind, waiters: waiter ? [waiter] : [] });
    if (kind === 'manual') this.manualPending++;
    this.pump();
    return true;
  }

  /** Stop starting jobs (those running finish). */
  pause(): void {
    this.paused = true;
  }

  /** Start jobs again. */
  resume(): void {
    this.paused = false;
    this.pump();
  }

  /** Ask for a refill now (e.g. after a sweep was started). */
  kick(): void {
    this.pump();
  }

  /** Resolves once nothing is queued or running and refill has nothing more (or paused). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Resolves once no job is running (pause first so that none starts). */
  async whenNoneRunning(): Promise<void> {
    while (this.inFlight.size > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  /** Stop: pending jobs are dropped (their samples keep waiting in the database). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.recheck) clearTimeout(this.recheck);
    for (const job of this.pending.values())
      for (const waiter of job.waiters)
        waiter({ kind: 'skipped', detail: 'the server is stopping' });
    this.pending.clear();
    this.manualPending = 0;
    while (this.inFlight.size > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  private isIdle(): boolean {
    return this.inFlight.size === 0 && (this.pending.size === 0 || this.paused);
  }

  private pump(): void {
    if (this.closed) {
      if (this.inFlight.size === 0) this.settleIdle();
      return;
    }
    if (!this.paused && this.pending.size < this.options.limit / 2) {
      for (const job of this.options.refill(this.options.limit - this.pending.size)) {
        if (!this.pending.has(job.id) && !this.inFlight.has(job.id))
          this.pending.set(job.id, { id: job.id, kind: job.kind, waiters: [] });
      }
    }
    const room = this.backgroundRoom();
    while (!this.paused && this.inFlight.size < this.options.workers) {
      const next = this.nextJob(this.runningBackground() < room);
      if (!next) break;
      this.pending.delete(next.id);
      if (next.kind === 'manual') this.manualPending--;
      this.inFlight.set(next.id, next);
      void this.options
        .run(next.id, next.kind)
        .catch((error: unknown): ScanJobResult => ({
          kind: 'not-scanned',
          detail: error instanceof Error ? error.message : String(error),
        }))
        .then((result) => this.finished(next, result));
    }
    if (!this.paused && room < this.options.workers && this.hasWaitingBackground()) {
      this.recheckLater();
    }
    if (this.isIdle()) this.settleIdle();
  }

  private nextJob(background: boolean): Job | undefined {
    // Giving way with no administrator's job waiting: nothing to look for (the backlog can be
    // thousands long, and this runs for every sample intake hands over).
    if (!background && this.manualPending === 0) return undefined;
    // A job for a sample that is being scanned waits until that scan ends.
    for (const job of this.pending.values()) {
      if (this.inFlight.has(job.id)) continue;
      if (background || job.kind === 'manual') return job;
    }
    return undefined;
  }

  private hasWaitingBackground(): boolean {
    return this.pending.size > this.manualPending;
  }

  private runningBackground(): number {
    let n = 0;
    for (const job of this.inFlight.values()) if (job.kind !== 'manual') n++;
    return n;
  }

  /**
   * How many background jobs may run now: all workers while `yieldTo` is quiet, none while it
   * is busy, one once it has been busy for longer than `maxYieldMs`. While holding back, the
   * queue looks again every YIELD_RECHECK_MS.
   */
  private backgroundRoom(): number {
    const { yieldTo, workers } = this.options;
    if (!yieldTo?.busy() || this.closed) {
      this.yieldingSince = undefined;
      return workers;
    }
    const now = (this.options.now ?? (() => performance.now()))();
    this.yieldingSince ??= now;
    return now - this.yieldingSince >= (this.options.maxYieldMs ?? 10_000) ? 1 : 0;
  }

  /** Background jobs are waiting for busy intake: look again shortly. */
  private recheckLater(): void {
    if (this.recheck || this.closed) return;
    this.recheck = setTimeout(() => {
      this.recheck = undefined;
      this.pump();
    }, YIELD_RECHECK_MS);
    this.recheck.unref();
  }

  private finished(job: Job, result: ScanJobResult): void {
    this.inFlight.delete(job.id);
    if (result.kind === 'retry' && !this.closed && job.kind !== 'manual') {
      // Back to the front of the line; the owner pauses until the engine is back.
      const waiting = this.pending.get(job.id);
      if (waiting) waiting.waiters.push(...job.waiters);
      else {
        const rest = [...this.pending.values()];
        this.pending.clear();
        this.pending.set(job.id, job);
        for (const other of rest) this.pending.set(other.id, other);
      }
    } else {
      // An administrator waiting for a scan hears "not now" instead of waiting for the engine.
      const told: ScanJobResult =
        result.kind === 'retry' ? { kind: 'not-scanned', detail: result.detail } : result;
      for (const waiter of job.waiters) waiter(told);
    }
    this.pump();
  }

  private settleIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
