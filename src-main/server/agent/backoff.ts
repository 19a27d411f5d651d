/**
 * Retry timing for the agent's gateway traffic (SPEC §4.3): full-jitter exponential backoff
 * capped by the polling interval, and the gateway's `Retry-After` honoured.
 */
import { parseHttpDate } from '../../../src-shared/codec/dates.js';

/** First retry delay before jitter; later ones double up to the cap. */
export const BACKOFF_BASE_MS = 1_000;

/** Longest `Retry-After` the agent honours (a day): a larger value is taken as this. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * Full-jitter delay for the `failures`-th consecutive failure (1 = first): a uniform draw from
 * `[0, min(cap, base · 2^(failures-1))]`, so clients that failed together do not retry together.
 */
export function fullJitterDelay(
  failures: number,
  capMs: number,
  random: () => number = Math.random,
  baseMs: number = BACKOFF_BASE_MS,
): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const ceiling = Math.min(capMs, baseMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}

/**
 * A `Retry-After` value (delta seconds or an HTTP date) as milliseconds from `now`; null when
 * absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  const at = parseHttpDate(text);
  if (at === null) return null;
  return Math.min(Math.max(at - now, 0), MAX_RETRY_AFTER_MS);
}

/** Consecutive failures of one kind of work and when it may try again. */
export class Backoff {
  private failures = 0;
  private until = 0;

  constructor(private readonly random: () => number = Math.random) {}

  /** Failures in a row so far. */
  get count(): number {
    return this.failures;
  }

  /** Time before which the work should not be tried (0 = now). */
  get notBefore(): number {
    return this.until;
  }

  /**
   * Record a failure and return the delay until the next try: the gateway's `Retry-After`
   * when it gave one, else full jitter capped by `capMs` (the work's own interval).
   */
  fail(now: number, capMs: number, retryAfterMs: number | null = null): number {
    this.failures++;
    const delay = retryAfterMs ?? fullJitterDelay(this.failures, capMs, this.random);
    this.until = now + delay;
    return delay;
  }

  /** Forget the failures after a success. */
  succeed(): void {
    this.failures = 0;
    this.until = 0;
  }
}
