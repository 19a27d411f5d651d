/**
 * A piece of agent work that runs again and again: never two runs at once, the next run when
 * the last one says (its interval, or a backoff), sooner when nudged, and a clean stop that
 * waits for the run in progress.
 */

/** What one run decides about the next. */
export type RunResult = { readonly nextInMs: number };

/** Runs `work` repeatedly; a thrown error goes to `onError`, which says when to retry. */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private next: number | null = null;

  constructor(
    readonly name: string,
    private readonly work: () => Promise<RunResult>,
    private readonly onError: (error: unknown) => RunResult,
    private readonly now: () => number = Date.now,
  ) {}

  /** When the next run is due (null while running or stopped). */
  get nextRunAt(): number | null {
    return this.next;
  }

  /** Start with a first run after `delayMs`. */
  start(delayMs = 0): void {
    this.stopped = false;
    this.schedule(delayMs);
  }

  /** Run as soon as possible (after the run in progress, if any). */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** Move the next run earlier when it is due later than `delayMs` from now. */
  runWithin(delayMs: number): void {
    if (this.stopped || this.running) return;
    if (this.next === null || this.next > this.now() + delayMs) this.schedule(delayMs);
  }

  /** Stop scheduling and wait for the run in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.next = null;
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    const delay = Math.max(0, Math.min(delayMs, 2 ** 31 - 1));
    this.next = this.now() + delay;
    this.timer = setTimeout(() => this.fire(), delay);
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.next = null;
    this.running = (async () => {
      let result: RunResult;
      try {
        result = await this.work();
      } catch (error) {
        result = this.onError(error);
      }
      this.running = undefined;
      const again = this.again;
      this.again = false;
      this.schedule(again ? 0 : result.nextInMs);
    })();
  }
}
