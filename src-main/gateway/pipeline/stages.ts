/**
 * The analysis pipeline as a state machine (SPEC §3.3, §7). Each stage runs when its dwell time
 * is over and names the next state:
 *
 *   accepted → importing → imported (scan with the newest set: detected → infected)
 *   → classifying (data → uninfectable; quickcheck → nodetect) → binary|macro
 *   → …Controlling → …Replicating (research rules) → …Scoring → signatures → locking
 *   → incrBuilding → incrUnitTesting (publish) → unlocking → infected | broken
 *
 * Research rules can also end a sample `unsubmittable`, or send it through defer → deferring →
 * deferred, where it waits for `cq gateway verdict`. Without any rule hit a program is
 * `uninfected` — unless the endpoint flagged it `suspicious`, which automation cannot clear, so
 * it is deferred too.
 */
import { virusIdentifierFor } from '../../../src-shared/definitions/virus-identifier.js';
import { classifyContent } from '../analysis/classify.js';
import type { ResearchRules } from '../analysis/research-rules.js';
import type { AnalysisRow } from '../model.js';
import { signaturesForFinding } from '../sets/generate-signatures.js';
import {
  allocateSet,
  buildSet,
  publishSet,
  SetFailure,
  unitTestSet,
  type SetWorkshop,
} from '../sets/set-builder.js';
import type { AnalysisChange } from '../store/analyses-repo.js';
import type { GatewayStore } from '../store/gateway-store.js';
import type { TimedStage, Timings } from '../timings.js';
import type { NewestSetScanner } from './newest-set-scanner.js';

/** What the stages work with. */
export interface StageDeps {
  readonly store: GatewayStore;
  readonly timings: Timings;
  readonly workshop: SetWorkshop;
  readonly research: ResearchRules;
  readonly newest: NewestSetScanner;
  /** The decoded sample of an analysis. */
  readonly readSample: (analysis: AnalysisRow) => Buffer;
}

/** A change, or one that must be worked out inside the transaction that applies it. */
export type StageResult = AnalysisChange | (() => AnalysisChange);

/** Enter a timed stage. */
export function enter(
  deps: StageDeps,
  state: TimedStage,
  now: number,
  extra: Partial<AnalysisChange> = {},
): AnalysisChange {
  return { ...extra, state, nextAt: now + deps.timings.stageMs[state] };
}

/** Enter a final state. */
export function finish(
  a: AnalysisRow,
  state: string,
  now: number,
  extra: Partial<AnalysisChange> = {},
): AnalysisChange {
  return {
    analyzedAt: a.analyzedAt ?? now,
    ...extra,
    state,
    nextAt: null,
    finishedAt: now,
    building: null,
  };
}

/** Stay in the current stage and look again after the poll interval (waiting for the builder). */
function retryLater(deps: StageDeps, a: AnalysisRow, now: number): AnalysisChange {
  return { state: a.state, nextAt: now + deps.timings.pollMs };
}

async function scanWithNewest(
  deps: StageDeps,
  a: AnalysisRow,
  now: number,
): Promise<AnalysisChange | null> {
  const { verdict, set } = await deps.newest.scan(deps.readSample(a));
  if (verdict.virusName === null) return null;
  return finish(a, 'infected', now, {
    virusName: verdict.virusName,
    virusIdentifier: verdict.virusIdentifier ?? virusIdentifierFor(verdict.virusName),
    sequence: deps.newest.resolvingSequence(verdict.virusName, set.sequence),
    decidedBy: a.decidedBy ?? 'automation',
  });
}

async function replicate(
  deps: StageDeps,
  a: AnalysisRow,
  now: number,
  scoring: TimedStage,
): Promise<AnalysisChange> {
  const finding = await deps.research.match(deps.readSample(a));
  const decided = { analyzedAt: now, decidedBy: 'automation' as const };
  if (finding?.category === 'unsubmittable') {
    return finish(a, 'unsubmittable', now, {
      ...decided,
      finding,
      virusName: finding.rule,
      virusIdentifier: virusIdentifierFor(finding.rule),
    });
  }
  if (finding?.category === 'threat')
    return enter(deps, scoring, now, { ...decided, finding, virusName: finding.rule });
  if (finding?.category === 'defer') {
    return enter(deps, 'defer', now, {
      finding,
      detail: `research rule ${finding.rule} asks for an expert`,
    });
  }
  if (a.hints.reason === 'suspicious') {
    return enter(deps, 'defer', now, {
      detail: 'flagged suspicious by the endpoint; no research rule decides it',
    });
  }
  return finish(a, 'uninfected', now, decided);
}

function lockAndAllocate(deps: StageDeps, a: AnalysisRow, now: number): StageResult {
  return () => {
    const { store } = deps;
    if (!store.sets.lock(a.id, now)) return retryLater(deps, a, now);
    const set = allocateSet(store, a.id, now);
    return enter(deps, 'incrBuilding', now, { building: set.sequence });
  };
}

async function buildingStage(
  deps: StageDeps,
  a: AnalysisRow,
  now: number,
): Promise<AnalysisChange> {
  const set = a.building === null ? undefined : deps.store.sets.get(a.building);
  if (set === undefined || a.signatures === null)
    throw new Error(`analysis ${a.id} has no set to build`);
  if (set.state === 'building') {
    try {
      await buildSet(deps.workshop, set, a.signatures);
    } catch (error) {
      if (!(error instanceof SetFailure)) throw error;
      deps.store.sets.fail(set.sequence, error.state, error.message);
      return enter(deps, 'unlocking', now, { detail: error.message });
    }
  }
  return enter(deps, set.state === 'building' ? 'incrUnitTesting' : 'unlocking', now);
}

async function testingStage(deps: StageDeps, a: AnalysisRow, now: number): Promise<AnalysisChange> {
  const set = a.building === null ? undefined : deps.store.sets.get(a.building);
  if (set === undefined || a.signatures === null)
    throw new Error(`analysis ${a.id} has no set to test`);
  if (set.state !== 'building') return enter(deps, 'unlocking', now);
  try {
    const identifier = await unitTestSet(
      deps.workshop,
      set,
      deps.readSample(a),
      a.signatures.virusName,
    );
    await publishSet(deps.workshop, set, a.signatures, now);
    return enter(deps, 'unlocking', now, { virusIdentifier: identifier });
  } catch (error) {
    if (!(error instanceof SetFailure)) throw error;
    deps.store.sets.fail(set.sequence, error.state, error.message);
    return enter(deps, 'unlocking', now, { detail: error.message });
  }
}

function unlockingStage(deps: StageDeps, a: AnalysisRow, now: number): StageResult {
  return () => {
    deps.store.sets.unlock(a.id);
    const set = a.building === null ? undefined : deps.store.sets.get(a.building);
    if (set?.state === 'published' && a.signatures !== null) {
      return finish(a, 'infected', now, {
        sequence: set.sequence,
        virusName: a.signatures.virusName,
        virusIdentifier: a.virusIdentifier ?? virusIdentifierFor(a.signatures.virusName),
      });
    }
    return finish(a, 'broken', now, {
      detail: set?.detail ?? a.detail ?? 'the definitions set was not built',
    });
  };
}

/** Run the stage `a` is in and say what comes next. */
export async function runStage(deps: StageDeps, a: AnalysisRow, now: number): Promise<StageResult> {
  switch (a.state) {
    case 'accepted':
      return enter(deps, 'importing', now);
    case 'importing':
      deps.readSample(a);
      return enter(deps, 'imported', now);
    case 'imported':
      return (await scanWithNewest(deps, a, now)) ?? enter(deps, 'classifying', now);
    case 'classifying': {
      const classification = classifyContent(deps.readSample(a), a.hints);
      if (classification === 'data') {
        return finish(a, 'uninfectable', now, { classification, decidedBy: 'automation' });
      }
      if (a.service === 'quickcheck') {
        return finish(a, 'nodetect', now, { classification, decidedBy: 'automation' });
      }
      return enter(deps, classification, now, { classification });
    }
    case 'binary':
      return enter(deps, 'binaryControlling', now);
    case 'macro':
      return enter(deps, 'macroControlling', now);
    case 'binaryControlling':
      return enter(deps, 'binaryReplicating', now);
    case 'macroControlling':
      return enter(deps, 'macroReplicating', now);
    case 'binaryReplicating':
      return replicate(deps, a, now, 'binaryScoring');
    case 'macroReplicating':
      return replicate(deps, a, now, 'macroScoring');
    case 'binaryScoring':
    case 'macroScoring':
      if (a.finding === null) throw new Error(`analysis ${a.id} has no finding to score`);
      return enter(deps, 'signatures', now, {
        signatures: signaturesForFinding(a.md5, a.size, a.finding),
      });
    case 'signatures':
      return enter(deps, 'locking', now);
    case 'locking': {
      // Another sample's new set may already catch this one: then nothing needs building.
      const known = await scanWithNewest(deps, a, now);
      if (known !== null) return known;
      return lockAndAllocate(deps, a, now);
    }
    case 'incrBuilding':
      return buildingStage(deps, a, now);
    case 'incrUnitTesting':
      return testingStage(deps, a, now);
    case 'unlocking':
      return unlockingStage(deps, a, now);
    case 'defer':
      return enter(deps, 'deferring', now);
    case 'deferring':
      return { state: 'deferred', nextAt: null };
    default:
      throw new Error(`analysis ${a.id} is in state ${a.state}, which the pipeline does not run`);
  }
}
