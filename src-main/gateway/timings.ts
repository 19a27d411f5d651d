/**
 * How long the back office dwells in each pipeline stage (SPEC §7). `normal` paces the loop
 * like a small analysis centre (about two minutes for a new threat); `fast` runs the whole loop
 * in about a second for tests and demos; a JSON file starts from either and overrides stages:
 * `{ "base": "fast", "stages": { "binaryReplicating": 2.5 }, "pollSeconds": 0.2 }` (seconds).
 */
import fs from 'node:fs';
import { z } from 'zod';
import { toConfigIssues } from '../../src-shared/config/issues.js';

/** Stages that take time; every other state is either final or waits for someone. */
export const TIMED_STAGES = [
  'accepted',
  'importing',
  'imported',
  'classifying',
  'binary',
  'binaryControlling',
  'binaryReplicating',
  'binaryScoring',
  'macro',
  'macroControlling',
  'macroReplicating',
  'macroScoring',
  'signatures',
  'locking',
  'incrBuilding',
  'incrUnitTesting',
  'unlocking',
  'defer',
  'deferring',
] as const;

/** One timed stage (an Analysis State token). */
export type TimedStage = (typeof TIMED_STAGES)[number];

/** Dwell time per stage plus how often the runner looks for outside changes, in ms. */
export interface Timings {
  readonly stageMs: Readonly<Record<TimedStage, number>>;
  /** Re-reading the database for verdicts and blessings made by other processes. */
  readonly pollMs: number;
}

const NORMAL_SECONDS: Readonly<Record<TimedStage, number>> = {
  accepted: 2,
  importing: 5,
  imported: 3,
  classifying: 5,
  binary: 3,
  binaryControlling: 5,
  binaryReplicating: 30,
  binaryScoring: 10,
  macro: 3,
  macroControlling: 5,
  macroReplicating: 30,
  macroScoring: 10,
  signatures: 3,
  locking: 2,
  incrBuilding: 15,
  incrUnitTesting: 15,
  unlocking: 2,
  defer: 3,
  deferring: 5,
};

function fromSeconds(seconds: Readonly<Record<TimedStage, number>>, pollMs: number): Timings {
  const stageMs = {} as Record<TimedStage, number>;
  for (const stage of TIMED_STAGES) stageMs[stage] = Math.round(seconds[stage] * 1000);
  return { stageMs, pollMs };
}

/** Presets by name. */
export const TIMING_PRESETS = {
  normal: fromSeconds(NORMAL_SECONDS, 1000),
  // About 60 ms per stage: a new threat takes 13 stages, so well under two seconds end to end.
  fast: fromSeconds(
    Object.fromEntries(TIMED_STAGES.map((s) => [s, 0.06])) as Record<TimedStage, number>,
    100,
  ),
} as const satisfies Record<string, Timings>;

const seconds = z
  .number({ error: 'must be a number of seconds' })
  .min(0, { error: 'must be at least 0' })
  .max(86_400, { error: 'must be at most 86400' });

/** A timings file. */
export const TimingsFileSchema = z.strictObject({
  base: z.enum(['fast', 'normal'], { error: "must be 'fast' or 'normal'" }).optional(),
  stages: z
    .partialRecord(z.enum(TIMED_STAGES, { error: 'is not a timed stage' }), seconds)
    .optional(),
  pollSeconds: seconds.min(0.01, { error: 'must be at least 0.01' }).optional(),
});

/** A timings choice that cannot be used. */
export class TimingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimingsError';
  }
}

/** Timings from file content (`source` names it in errors). */
export function parseTimings(json: string, source: string): Timings {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (error) {
    throw new TimingsError(`${source}: not JSON (${(error as Error).message})`);
  }
  const result = TimingsFileSchema.safeParse(data);
  if (!result.success) {
    const issues = toConfigIssues(result.error)
      .map((i) => `${i.path === '' ? '(file)' : i.path}: ${i.message}`)
      .join('; ');
    throw new TimingsError(`${source}: ${issues}`);
  }
  const base = TIMING_PRESETS[result.data.base ?? 'normal'];
  const stageMs = { ...base.stageMs };
  for (const [stage, value] of Object.entries(result.data.stages ?? {})) {
    stageMs[stage as TimedStage] = Math.round(value * 1000);
  }
  const pollSeconds = result.data.pollSeconds;
  return {
    stageMs,
    pollMs: pollSeconds === undefined ? base.pollMs : Math.round(pollSeconds * 1000),
  };
}

/** `fast`, `normal` or the path of a timings JSON file. */
export function resolveTimings(choice: string): Timings {
  if (choice === 'fast' || choice === 'normal') return TIMING_PRESETS[choice];
  let json: string;
  try {
    json = fs.readFileSync(choice, 'utf8');
  } catch (error) {
    throw new TimingsError(
      `--timings must be fast, normal or a JSON file; cannot read ${choice}: ${(error as Error).message}`,
    );
  }
  return parseTimings(json, choice);
}
