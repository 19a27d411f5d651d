/**
 * The persistent job runner: analyses live in SQLite with the time their current stage is due,
 * and this loop works through whatever is due, one stage at a time. Nothing is held only in
 * memory, so a restarted gateway (even after `kill -9`) resumes every analysis where its last
 * committed stage left it. It also re-reads the database every poll interval, which is how
 * verdicts and blessings made by `cq gateway …` in another process are picked up.
 */
import { createLogger } from '../../log/logger.js';
import type { AnalysisRow } from '../model.js';
import { blessSet } from '../sets/set-builder.js';
import { finish, runStage, type StageDeps } from './stages.js';

const log = createLogger('gateway-pipeline');

/** Options of the runner. */
export interface RunnerOptions {
  /** Certify a published set this long after publishing; null = only by command. */
  readonly blessAfterMs: number | null;
}

/** Runs due analysis stages until stopped. */
export class PipelineRunner {
  private stopped = true;
  private loop: Promise<void> | undefined;
  private bell: (() => void) | undefined;

  constructor(
    private readonly deps: StageDeps,
    private readonly options: RunnerOptions,
  ) {}

  /** Start the loop. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  /** New work arrived: look now instead of at the next poll. */
  wake(): void {
    this.bell?.();
  }

  /** Finish the stage in progress and stop. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { store, timings } = this.deps;
    while (!this.stopped) {
      let worked = false;
      try {
        await this.blessDue();
      } catch (error) {
        log.error('blessing a set failed', { error: String(error) });
      }
      try {
        const due = store.analyses.nextDue(Date.now());
        if (due !== undefined) {
          await this.advance(due);
          worked = true;
        }
      } catch (error) {
        log.error('pipeline runner failed; retrying', { error: String(error) });
      }
      if (worked || this.stopped) continue;
      const earliest = store.analyses.earliestDue();
      const wait =
        earliest === null
          ? timings.pollMs
          : Math.max(0, Math.min(timings.pollMs, earliest - Date.now()));
      await this.sleep(wait);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.bell = undefined;
        resolve();
      }, ms);
      this.bell = () => {
        clearTimeout(timer);
        this.bell = undefined;
        resolve();
      };
    });
  }

  private async advance(a: AnalysisRow): Promise<void> {
    const { store } = this.deps;
    const now = Date.now();
    try {
      const result = await runStage(this.deps, a, now);
      const moved = store.transaction(() =>
        store.analyses.transition(a.id, a.state, typeof result === 'function' ? result() : result),
      );
      if (!moved) log.warn('analysis changed while its stage ran', { id: a.id, state: a.state });
    } catch (error) {
      // A stage that cannot run would otherwise be retried forever: the analysis ends in error.
      const detail = error instanceof Error ? error.message : String(error);
      log.error('analysis stage failed', { id: a.id, state: a.state, error: detail });
      store.transaction(() => {
        store.sets.unlock(a.id);
        if (a.building !== null)
          store.sets.fail(a.building, 'abandoned', `analysis failed: ${detail}`);
        store.analyses.transition(a.id, a.state, finish(a, 'error', Date.now(), { detail }));
      });
    }
  }

  private async blessDue(): Promise<void> {
    if (this.options.blessAfterMs === null) return;
    const now = Date.now();
    const set = this.deps.store.sets.dueForBlessing(now - this.options.blessAfterMs);
    if (set === undefined) return;
    await blessSet(this.deps.store, this.deps.workshop.files, set.sequence, now);
    log.info('set blessed after its delay', { sequence: set.sequence });
  }
}
