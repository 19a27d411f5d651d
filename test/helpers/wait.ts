/** Waiting for a condition instead of for a time. */
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Poll `condition` until it holds (returns its truthy value). Gives up after `timeoutMs` with
 * `what` in the message: a safety net for a broken build, never a performance assertion.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  what = 'condition',
  timeoutMs = 45_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
