/**
 * The definitions side of the scanner's conditions (SPEC §8): "Unable to access definition
 * directory" while the store cannot use its folder (checked again until it can), and "Sample:
 * unable to install definitions" for samples waiting on a set the server failed to install.
 */
import type { QuarantineLog } from '../context.js';
import type { SamplesRepo } from '../store/index.js';
import type { ScanRepo } from '../store/scan-repo.js';
import type { ScannerConditions } from './scan-conditions.js';

/** How often an inaccessible definitions folder is checked again. */
const ACCESS_RECHECK_MS = 60_000;

/** What the watch needs. */
export interface DefinitionsWatchDeps {
  readonly conditions: ScannerConditions;
  readonly qlog: QuarantineLog;
  readonly samples: SamplesRepo;
  readonly repo: ScanRepo;
  /** Resolves to the error while the folder is unusable, null once it is usable. */
  readonly checkAccess?: () => Promise<Error | null>;
}

/** Raises and ends the definitions conditions. */
export class DefinitionsWatch {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly deps: DefinitionsWatchDeps) {}

  /** The store could not read or write its folder. */
  inaccessible(message: string): void {
    const { conditions, qlog } = this.deps;
    const raised = conditions.definitionDirectoryInaccessible;
    conditions.set('definitionDirectoryInaccessible', true, message);
    if (raised || this.stopped) return;
    qlog.error('definitions', message);
    this.schedule();
  }

  /** Check the folder now; the condition ends when it is usable. Resolves to whether it is. */
  async recheck(): Promise<boolean> {
    const { checkAccess, conditions, qlog } = this.deps;
    if (!checkAccess) return true;
    const problem = await checkAccess().catch((error: unknown) => error as Error);
    if (problem) return false;
    if (conditions.definitionDirectoryInaccessible) {
      clearTimeout(this.timer);
      conditions.set(
        'definitionDirectoryInaccessible',
        false,
        'the definitions folder is accessible again',
      );
      qlog.info('definitions', 'the definitions folder is accessible again');
    }
    return true;
  }

  /** Samples waiting for `sequence` or a lower one cannot be resolved by it. */
  installFailed(sequence: number, reason: string): void {
    for (const id of this.neededUpTo(sequence)) {
      this.deps.conditions.set(
        'sampleDefinitionsInstallFailed',
        true,
        `definitions ${sequence} could not be installed on the server: ${reason}`,
        id,
      );
    }
  }

  /** A set was installed: samples waiting for it (or a lower one) are no longer stuck. */
  installed(sequence: number): void {
    const { conditions, samples } = this.deps;
    for (const change of conditions.active()) {
      if (change.event !== 'sampleDefinitionsInstallFailed' || change.sampleId === null) continue;
      const row = samples.get(change.sampleId);
      if (!row || (row.defsNeeded ?? 0) <= sequence)
        conditions.set(change.event, false, `definitions ${sequence} installed`, change.sampleId);
    }
  }

  /** Stop checking. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.recheck().then((ok) => {
        if (!ok && !this.stopped) this.schedule();
      });
    }, ACCESS_RECHECK_MS).unref();
  }

  private *neededUpTo(sequence: number): Generator<number> {
    let cursor = 0;
    for (;;) {
      const page = this.deps.repo.page({
        statuses: ['needed'],
        afterId: cursor,
        limit: 500,
        neededAtMost: sequence,
      });
      if (page.length === 0) return;
      yield* page;
      cursor = page.at(-1)!;
    }
  }
}
