/**
 * A fixed number of worker threads of one kind: started on first use, replaced after one dies,
 * and each piece of work handed to the one with the least outstanding.
 */

/** What a thread in a set offers. */
export interface PooledThread {
  /** Work handed to it and not answered yet. */
  readonly load: number;
  terminate(): Promise<number>;
}

export class ThreadSet<T extends PooledThread> {
  private readonly threads: T[] = [];

  /**
   * `start` makes a thread; it must call `forget` with it once it has died, so that the next
   * `pick` starts a replacement.
   */
  constructor(
    readonly size: number,
    private readonly start: (forget: (dead: T) => void) => T,
  ) {}

  /** The least busy thread, after starting any missing ones. */
  pick(): T {
    while (this.threads.length < this.size) {
      this.threads.push(
        this.start((dead) => {
          const index = this.threads.indexOf(dead);
          if (index >= 0) this.threads.splice(index, 1);
        }),
      );
    }
    let best = this.threads[0]!;
    for (const thread of this.threads) if (thread.load < best.load) best = thread;
    return best;
  }

  /** Stop every thread. */
  async close(): Promise<void> {
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((t) => t.terminate()));
  }
}
