/**
 * Forwarding the local quarantine to the Quarantine Server (SPEC §4.2): pending items go out
 * oldest first with the endpoint's platform attributes; the `X-Sample-Id` answered is recorded.
 * While the server is unreachable (or says it is full), items wait with exponential backoff and
 * full jitter, capped by the configured interval; a refusal that no retry can change (a
 * malformed sample, a file over the size limit) is recorded and not retried.
 */
import { createLogger } from '../log/logger.js';
import { ForwardError, forwardSample, type IntakeTarget } from './forward.js';
import type { LocalItem } from './client-store.js';
import type { LocalQuarantine } from './local-quarantine.js';

const log = createLogger('client-forward');

/** Error codes after which the same forward can succeed later. */
const RETRYABLE_CODES = new Set(['content', 'sample', 'lost', 'internal', 'overrun', 'underrun']);

/** How the forwarder runs. */
export interface ForwarderOptions {
  readonly quarantine: LocalQuarantine;
  readonly target: IntakeTarget;
  /** Platform attributes sent with every item (read at each forward). */
  readonly platform: () => Record<string, string>;
  /** How often the queue is looked at (captures from `cq client capture` appear there). */
  readonly pollMs: number;
  /** First retry delay and its cap. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly timeoutMs: number;
  readonly onForwarded?: (item: LocalItem, serverId: string) => void;
  readonly now?: () => number;
}

/** Whether a failed forward is worth retrying. */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof ForwardError)) return true;
  if (error.httpStatus === null) return true; // never reached the server, or cut off
  if (error.httpStatus >= 500 || error.httpStatus === 429) return true; // busy, full or down
  return error.wire !== null && RETRYABLE_CODES.has(error.wire.code);
}

/** Full-jitter exponential backoff for the `attempts`-th retry. */
export function retryDelay(
  attempts: number,
  baseMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempts, 30));
  return Math.max(baseMs / 4, Math.floor(random() * ceiling));
}

/** Sends pending items to the server. */
export class Forwarder {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** Cuts a forward in flight at shutdown; the item stays pending and goes out next time. */
  private readonly abort = new AbortController();
  private readonly now: () => number;

  constructor(private readonly options: ForwarderOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Start polling the queue. */
  start(): void {
    // Not unref'd: for a nonmanaged agent this timer is what keeps the process working.
    this.timer = setInterval(() => this.kick(), this.options.pollMs);
    this.kick();
  }

  /** Stop; a forward in flight finishes (its answer is recorded). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.abort.abort();
    await this.running;
  }

  /** Look at the queue now. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((error: unknown) => log.error('forwarding pass failed', { error: String(error) }))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async drain(): Promise<void> {
    const { quarantine } = this.options;
    while (!this.stopped) {
      const due = quarantine.store.due(this.now(), 16);
      if (due.length === 0) return;
      for (const item of due) {
        if (this.stopped) return;
        const reachable = await this.forwardOne(item);
        // The server is down: every other item would fail the same way; wait for the next poll.
        if (!reachable) return;
      }
    }
  }

  /** Forward one item; false when the server could not be reached. */
  private async forwardOne(item: LocalItem): Promise<boolean> {
    const { quarantine } = this.options;
    let bytes: Buffer;
    try {
      bytes = await quarantine.read(item);
    } catch (error) {
      // New definitions may have treated it meanwhile; then there is nothing to send.
      if (quarantine.store.get(item.id)?.state !== 'pending') return true;
      quarantine.store.recordRefused(item.id, `cannot read the stored content: ${String(error)}`);
      log.error('quarantined item unreadable', { item: item.id, error: String(error) });
      return true;
    }
    try {
      const result = await forwardSample(
        this.options.target,
        bytes,
        { ...this.options.platform(), ...item.attributes },
        { timeoutMs: this.options.timeoutMs, signal: this.abort.signal },
      );
      quarantine.store.recordForwarded(item.id, result.id, this.now());
      log.info('item forwarded', { item: item.id, sample: result.id, duplicate: result.duplicate });
      this.options.onForwarded?.(item, result.id);
      return true;
    } catch (error) {
      // Stopped mid-forward: not a failure; the item is simply still pending.
      if (this.stopped) return false;
      const message = error instanceof Error ? error.message : String(error);
      if (!isRetryable(error)) {
        quarantine.store.recordRefused(item.id, message);
        log.error('server refused item for good', { item: item.id, error: message });
        return true;
      }
      const delay = retryDelay(item.attempts, this.options.retryBaseMs, this.options.retryMaxMs);
      quarantine.store.recordRetry(item.id, message, this.now() + delay);
      log.warn('forward failed; will retry', { item: item.id, error: message, inMs: delay });
      return !(error instanceof ForwardError && error.httpStatus === null);
    }
  }
}
