/**
 * Walks of the database that feed the scan queue: the samples left quarantined (at start, after
 * the engine comes back, after the queue overflowed) and those a new set may resolve. Each walk
 * goes by id in pages, only as fast as the queue has room.
 */
import type { SampleStatus } from '../../../src-shared/catalog/tokens.js';
import type { ScanRepo } from '../store/scan-repo.js';
import type { ScanJobKind } from './scan-queue.js';

interface Sweep {
  readonly kind: ScanJobKind;
  readonly statuses: readonly SampleStatus[];
  readonly withoutRepairedVerdict: boolean;
  cursor: number;
}

/** The pending walks, oldest first. */
export class ScanSweeps {
  private sweeps: Sweep[] = [];

  constructor(private readonly repo: ScanRepo) {}

  /**
   * Walk the samples in `statuses` (leaving out those already found repairable when asked).
   * A walk of the same kind starts again from the beginning: samples before its cursor may be
   * new to it.
   */
  start(kind: ScanJobKind, statuses: readonly SampleStatus[], withoutRepaired: boolean): void {
    const same = this.sweeps.find((s) => s.kind === kind);
    if (same) same.cursor = 0;
    else this.sweeps.push({ kind, statuses, withoutRepairedVerdict: withoutRepaired, cursor: 0 });
  }

  /** Up to `room` more jobs from the walks; a finished walk is dropped. */
  next(room: number): { id: number; kind: ScanJobKind }[] {
    const jobs: { id: number; kind: ScanJobKind }[] = [];
    while (jobs.length < room && this.sweeps.length > 0) {
      const sweep = this.sweeps[0]!;
      const page = this.repo.page({
        statuses: sweep.statuses,
        afterId: sweep.cursor,
        limit: Math.min(500, room - jobs.length),
        withoutRepairedVerdict: sweep.withoutRepairedVerdict,
      });
      if (page.length === 0) {
        this.sweeps.shift();
        continue;
      }
      sweep.cursor = page.at(-1)!;
      for (const id of page) jobs.push({ id, kind: sweep.kind });
    }
    return jobs;
  }
}
