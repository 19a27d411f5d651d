/**
 * What the parts of the Quarantine Agent share: the server's store, configuration, logs and
 * events, the gateway link, the agent's records and signals, and the two things it needs from
 * the definitions and scanner side (installing a set, and where a resolved sample goes).
 */
import type { ErrorCode } from '../../../src-shared/catalog/errors.js';
import { getAttributeSpec } from '../../../src-shared/catalog/attributes.js';
import { correctHttpDate } from '../../../src-shared/codec/dates.js';
import type { ConfigService } from '../config-service.js';
import type { EventBus, QuarantineLog } from '../context.js';
import { toSampleSummary } from '../control/sample-views.js';
import type { SampleRow, Store } from '../store/index.js';
import type { AgentRecords } from './agent-records.js';
import type { AgentSignals } from './agent-signals.js';
import type { GatewayLink } from './gateway-link.js';

/** The actor named in history rows the agent writes. */
export const AGENT_ACTOR = 'agent';

/** What installing a downloaded set produced. */
export type InstallOutcome =
  | {
      readonly ok: true;
      readonly sequence: number;
      readonly version: string;
      readonly certified: boolean;
    }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

/** The definitions side as the agent uses it. */
export interface AgentDefinitions {
  /** The server's active sequence (0 = none). */
  activeSequence(): number;
  /**
   * Import, verify and activate a package; activating rescans the samples it may resolve
   * (`needed` → `distribute`/`available`). Never throws for a bad package.
   */
  install(bytes: Buffer, expectedMd5: string | undefined): Promise<InstallOutcome>;
}

/**
 * Move samples whose definitions are already active on to `distribute` or `available`
 * (the scanner's rescan and install-policy rule). Resolves once they were rescanned, with
 * false when the scanner could not take them now (they are handed over again later).
 */
export type ResolveWithActiveSet = (ids: readonly number[]) => Promise<boolean>;

/** Tunables (tests and the bench shorten them). */
export interface AgentTimings {
  /** A silent connection is given up after this long. */
  readonly requestTimeoutMs: number;
  /** A sample deferred for an expert longer than this needs attention. */
  readonly deferredLimitMs: number;
  /** Submissions (and status queries) in flight at once. */
  readonly concurrency: number;
  /** Failed imports of one sequence before its waiting samples are set to error. */
  readonly maxInstallFailures: number;
}

/** Default tunables. */
export const DEFAULT_AGENT_TIMINGS: AgentTimings = {
  requestTimeoutMs: 120_000,
  deferredLimitMs: 7 * 24 * 60 * 60 * 1000,
  concurrency: 8,
  maxInstallFailures: 3,
};

/** Shared by the agent's parts. */
export interface AgentContext {
  readonly store: Store;
  readonly config: ConfigService;
  readonly qlog: QuarantineLog;
  readonly events: EventBus;
  readonly link: GatewayLink;
  readonly records: AgentRecords;
  readonly signals: AgentSignals;
  readonly definitions: AgentDefinitions;
  readonly resolveWithActiveSet: ResolveWithActiveSet;
  readonly timings: AgentTimings;
  readonly now: () => number;
  readonly random: () => number;
}

/** Tell attached consoles a sample changed. */
export function sampleChanged(ctx: AgentContext, id: number): void {
  const row = ctx.store.samples.get(id);
  if (row) ctx.events.emit('sample.changed', { sample: toSampleSummary(row) });
}

/** Attribute groups a gateway answer may set on a sample. */
const ANSWER_PREFIXES = ['X-Analysis-', 'X-Signatures-', 'X-Date-'];
/** Dates whose clock is the gateway's (skew is measured to whole seconds, so less is noise). */
const MIN_SKEW_CORRECTION_MS = 2_000;

/**
 * The attribute changes a gateway answer brings: every X-Analysis-*, X-Signatures-* and
 * X-Date-* value that differs from what is stored, dates corrected for the gateway's clock.
 */
export function answerPatch(
  stored: Readonly<Record<string, string>>,
  answer: Readonly<Record<string, string>>,
  skewMs: number,
): Record<string, string> {
  const patch: Record<string, string> = {};
  for (const [name, raw] of Object.entries(answer)) {
    if (!ANSWER_PREFIXES.some((p) => name.startsWith(p))) continue;
    const isDate = getAttributeSpec(name)?.type === 'date' || name.startsWith('X-Date-');
    const value =
      isDate && Math.abs(skewMs) >= MIN_SKEW_CORRECTION_MS ? correctHttpDate(raw, skewMs) : raw;
    if (stored[name] !== value) patch[name] = value;
  }
  return patch;
}

/** Samples in one status, oldest first (every page of the store's list). */
export function samplesWithStatus(ctx: AgentContext, status: string): SampleRow[] {
  const out: SampleRow[] = [];
  const limit = 10_000;
  for (let offset = 0; ; offset += limit) {
    const page = ctx.store.samples.list({
      offset,
      limit,
      sort: 'receivedOn',
      order: 'asc',
      filter: { status: [status] },
    });
    out.push(...page.rows);
    if (page.rows.length < limit) return out;
  }
}

/** Statuses in which the agent works on a sample (and keeps notes about it). */
const AGENT_STATUSES: ReadonlySet<string> = new Set(['released', 'submitted', 'needed']);

/**
 * Drop the agent's notes on samples that were deleted or moved on by others (the scanner
 * resolving a needed sample, an administrator holding a released one).
 */
export async function pruneRecords(ctx: AgentContext): Promise<void> {
  const keep = (id: number): boolean => AGENT_STATUSES.has(ctx.store.samples.get(id)?.status ?? '');
  if (ctx.records.ids().every(keep)) return;
  await ctx.store.committer.commit(() => ctx.records.prune(keep));
}
