/**
 * One pass over the samples that concern Defcast: those waiting for delivery get their
 * endpoint (and, by policy, its definitions server) queued; those of nonmanaged endpoints get
 * the download notice; and the per-sample alert conditions are collected.
 */
import type { Config } from '../../../src-shared/config/schema.js';
import type { QuarantineLog } from '../context.js';
import type { Store } from '../store/index.js';
import type { DeliverySample, TargetRow, TargetsRepo } from '../store/targets-repo.js';
import type { ConditionSet } from './condition-set.js';
import type { DefcastSet } from './defcast-types.js';
import { deliversToServers, serversOf } from './policy.js';
import { postDownloadNotice, recordNotInstalled } from './sample-delivery.js';
import { canPush, sightingFromAttributes } from './target-identity.js';

/** What a sweep reads and where it reports. */
export interface SweepContext {
  readonly store: Store;
  readonly targets: TargetsRepo;
  readonly config: Config;
  readonly active: DefcastSet | null;
  readonly now: number;
  readonly conditions: ConditionSet;
  readonly downloadUrl: (sequence: number) => string;
  /** A delivery to this target is running. */
  readonly busy: (targetId: number) => boolean;
  /** This target refused the last set it was sent. */
  readonly refused: (targetId: number) => boolean;
  /** Samples whose download notice is already posted (filled by the sweep). */
  readonly noticed: Set<number>;
  readonly changed: (ids: readonly number[]) => void;
  readonly qlog: QuarantineLog;
}

const STATUSES = ['distribute', 'distributed', 'available', 'notinstalled'] as const;
const PAGE = 500;

/** Sweep the samples once. */
export async function sweepSamples(ctx: SweepContext): Promise<void> {
  const all = ctx.targets.list();
  const byKey = new Map(all.filter((t) => t.platformKey !== null).map((t) => [t.platformKey!, t]));
  let afterId = 0;
  for (;;) {
    const page = ctx.targets.samplesInStatus(STATUSES, afterId, PAGE);
    if (page.length === 0) break;
    afterId = page[page.length - 1]!.id;
    const writes: (() => void)[] = [];
    const changedIds: number[] = [];
    const notes: { id: number; message: string; level: 'info' | 'warn' }[] = [];
    for (const sample of page) {
      let target = byKey.get(sample.platformKey);
      if (!target) {
        // Forwarded before the registry knew it (or registered by an older server).
        const attributes = ctx.store.samples.attributes(sample.id);
        target = await ctx.store.committer.commit(() =>
          ctx.targets.recordSighting(
            sightingFromAttributes(sample.platformKey, attributes, ctx.now),
          ),
        );
        byKey.set(sample.platformKey, target);
        all.push(target);
      }
      visit(ctx, sample, target, all, { writes, changedIds, notes });
    }
    if (writes.length > 0) {
      await ctx.store.committer.commit(() => {
        for (const write of writes) write();
      });
    }
    for (const note of notes) ctx.qlog[note.level]('defcast', note.message, note.id);
    ctx.changed(changedIds);
    if (page.length < PAGE) break;
  }
}

interface PassOutput {
  readonly writes: (() => void)[];
  readonly changedIds: number[];
  readonly notes: { id: number; message: string; level: 'info' | 'warn' }[];
}

function visit(
  ctx: SweepContext,
  sample: DeliverySample,
  target: TargetRow,
  all: readonly TargetRow[],
  out: PassOutput,
): void {
  const active = ctx.active;
  const required = sample.defsNeeded ?? active?.sequence ?? null;
  const ready = active !== null && required !== null && active.sequence >= required;
  const managed = canPush(target);
  const offer = active ? ctx.downloadUrl(active.sequence) : null;
  const nonmanagedMessage = `definitions ${active?.sequence ?? required} fix sample ${sample.id}, but ${target.host} is a nonmanaged endpoint (no GUID or no Defcast receiver) that cannot receive them by Defcast: install them by hand from ${offer}`;

  if (ready && deliversToServers(ctx.config) && sample.status !== 'notinstalled') {
    for (const server of serversOf(target, all)) {
      if (canPush(server) && (server.sequence ?? 0) < required && !ctx.busy(server.id)) {
        if ((server.pendingSequence ?? 0) < active.sequence) {
          out.writes.push(() => ctx.targets.queue(server.id, active.sequence, ctx.now));
        }
      }
    }
  }

  switch (sample.status) {
    case 'distribute':
    case 'distributed':
      if (!managed) {
        if (!ready || offer === null) return;
        out.writes.push(() => {
          if (
            recordNotInstalled(ctx.store, sample.id, {
              reason: nonmanagedMessage,
              code: 'declined',
              params: ['nonmanaged', offer],
            })
          ) {
            ctx.noticed.add(sample.id);
            out.changedIds.push(sample.id);
            out.notes.push({ id: sample.id, message: nonmanagedMessage, level: 'warn' });
          }
        });
        return;
      }
      if (!ready) return;
      if (!ctx.busy(target.id) && (target.pendingSequence ?? 0) < active.sequence) {
        out.writes.push(() => ctx.targets.queue(target.id, active.sequence, ctx.now));
      }
      if (ctx.refused(target.id)) {
        ctx.conditions.hold(
          'sampleDefinitionsInstallFailed',
          `${target.host} refused definitions ${active.sequence} for sample ${sample.id}: ${target.lastError ?? 'refused'}`,
          sample.id,
        );
      }
      return;
    case 'available':
      if (managed || !ready || offer === null) return;
      ctx.conditions.hold('cannotInstallDefinitions', nonmanagedMessage, sample.id);
      if (!ctx.noticed.has(sample.id)) {
        out.writes.push(() => {
          if (postDownloadNotice(ctx.store, sample.id, offer, nonmanagedMessage)) {
            out.changedIds.push(sample.id);
            out.notes.push({ id: sample.id, message: nonmanagedMessage, level: 'warn' });
          }
          ctx.noticed.add(sample.id);
        });
      }
      return;
    case 'notinstalled':
      if (!managed) {
        if (offer !== null)
          ctx.conditions.hold('cannotInstallDefinitions', nonmanagedMessage, sample.id);
        return;
      }
      ctx.conditions.hold(
        'sampleDefinitionsInstallFailed',
        `definitions for sample ${sample.id} could not be installed on ${target.host}: ${target.lastError ?? 'delivery failed'}`,
        sample.id,
      );
      return;
    default:
      return;
  }
}
