/**
 * Recording how one push to a target ended: on success the target's sequence and the samples
 * it fixes (`distribute → distributed → installed`); on failure the attempt, its retry time, and
 * after the last attempt `notinstalled` on the target's samples. Each outcome is one commit.
 */
import type { Config } from '../../../src-shared/config/schema.js';
import type { QuarantineLog } from '../context.js';
import type { Store } from '../store/index.js';
import type { TargetRow, TargetsRepo } from '../store/targets-repo.js';
import type { EndpointError, EndpointReport } from './endpoint-link.js';
import { DEFCAST_ACTOR, recordDelivered, recordNotInstalled } from './sample-delivery.js';

/** What recording needs. */
export interface ResultDeps {
  readonly store: Store;
  readonly targets: TargetsRepo;
  readonly qlog: QuarantineLog;
  readonly policy: Config['installDefinitions'];
  readonly downloadUrl: (sequence: number) => string;
}

const WAITING = ['distribute', 'distributed'];

/** Record a push the endpoint took; returns the samples that changed. */
export async function recordSuccess(
  deps: ResultDeps,
  target: TargetRow,
  where: string,
  sequence: number,
  report: EndpointReport,
  now: number,
): Promise<number[]> {
  const actions = new Map(report.outcome.map((o) => [Number(o.sampleId), o.action]));
  const changed: number[] = [];
  await deps.store.committer.commit(() => {
    deps.targets.recordInstalled(target.id, report.sequence, report.version, now);
    if (target.platformKey === null) return;
    for (const s of deps.targets.samplesOf(target.platformKey, WAITING)) {
      if (report.sequence < (s.defsNeeded ?? sequence)) continue;
      const steps = recordDelivered(deps.store, s.id, {
        where,
        sequence: report.sequence,
        installedAt: report.installedAt,
        action: actions.get(s.id) ?? null,
        now,
      });
      if (steps.length > 0) changed.push(s.id);
    }
  });
  deps.qlog.info('defcast', `definitions ${report.sequence} installed on ${where}`);
  for (const id of changed) {
    const action = actions.get(id);
    deps.qlog.info(
      'defcast',
      `sample ${id}: ${target.host} installed definitions ${report.sequence}${action ? ` (local copy ${action})` : ''}`,
      id,
    );
  }
  return changed;
}

/** Record a failed push; after the last attempt the target's samples end `notinstalled`. */
export async function recordFailure(
  deps: ResultDeps,
  target: TargetRow,
  where: string,
  sequence: number,
  error: EndpointError,
  now: number,
): Promise<{ changed: number[]; exhausted: boolean }> {
  const attempts = target.attempts + 1;
  const exhausted = attempts >= deps.policy.deliveryMaxAttempts;
  const changed: number[] = [];
  await deps.store.committer.commit(() => {
    deps.targets.recordFailure(
      target.id,
      error.message,
      exhausted ? null : now + deps.policy.deliveryRetryIntervalSeconds * 1000,
    );
    const samples =
      target.platformKey === null ? [] : deps.targets.samplesOf(target.platformKey, WAITING);
    if (exhausted) {
      deps.targets.giveUp(target.id);
      for (const s of samples) {
        const reason = `definitions ${sequence} could not be installed on ${where} after ${attempts} attempt(s): ${error.message}; install them by hand from ${deps.downloadUrl(sequence)}`;
        const done = recordNotInstalled(deps.store, s.id, {
          reason,
          code: error.wire?.code ?? 'lost',
          params: error.wire?.params ?? [where, String(attempts)],
        });
        if (done) changed.push(s.id);
      }
    } else if (error.wire) {
      // The endpoint refused the set: say so on each sample once, while retries go on.
      for (const s of samples) {
        if (deps.store.errors.has(s.id, error.wire.code)) continue;
        deps.store.errors.add({
          sampleId: s.id,
          code: error.wire.code,
          params: error.wire.params,
          source: DEFCAST_ACTOR,
          message: `${where} refused definitions ${sequence}: ${error.message}`,
        });
        changed.push(s.id);
      }
    }
  });
  if (exhausted) {
    deps.qlog.error(
      'defcast',
      `gave up delivering definitions ${sequence} to ${where} after ${attempts} attempt(s): ${error.message}`,
    );
    for (const id of changed) {
      deps.qlog.error(
        'defcast',
        `sample ${id} is notinstalled: ${target.host} never took definitions ${sequence}`,
        id,
      );
    }
  } else {
    deps.qlog.warn(
      'defcast',
      `delivery of definitions ${sequence} to ${where} failed (attempt ${attempts} of ${deps.policy.deliveryMaxAttempts}): ${error.message}`,
    );
  }
  return { changed, exhausted };
}
