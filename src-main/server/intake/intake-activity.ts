/**
 * Whether endpoints are forwarding right now. Background work that competes with intake for
 * the event loop and the cores (scanning new samples) holds back while it is busy, so that
 * acknowledgements stay fast during a burst and the backlog is worked off once it has passed.
 */

/** How long after the last forward intake still counts as busy (a burst has gaps). */
export const QUIET_AFTER_MS = 250;

/** Counts forwards in flight and remembers when the last one ended. */
export class IntakeActivity {
  private inFlight = 0;
  private lastEnded = Number.NEGATIVE_INFINITY;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** A forward started; call the returned function once it has been answered. */
  begin(): () => void {
    this.inFlight++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.inFlight--;
      this.lastEnded = this.now();
    };
  }

  /** True while forwards are in flight or the last one ended less than QUIET_AFTER_MS ago. */
  busy(): boolean {
    return this.inFlight > 0 || this.now() - this.lastEnded < QUIET_AFTER_MS;
  }
}
