/**
 * The submission state of one sample as `samples.submission` shows it: what the gateway said
 * (cookie, state, issue, service, dates), what the agent is doing about it (attempts, last
 * error, next try, how the sent copy was stripped) and whether the gateway can be reached.
 */
import type { SampleSubmission } from '../../../src-shared/api/contract.js';
import { canQueueForAnalysis } from '../../../src-shared/catalog/lifecycle.js';
import { isSampleStatus } from '../../../src-shared/catalog/tokens.js';
import type { AgentContext } from './agent-context.js';
import { parseSequence } from './outcome.js';

/** The submission state of one sample. */
export type SubmissionView = SampleSubmission;

/** When the agent's tasks run next, for the "next attempt" of a sample. */
export interface TaskTimes {
  readonly running: boolean;
  readonly submitNextAt: number | null;
  readonly submitNotBefore: number;
  readonly statusNextAt: number | null;
  readonly neededNextAt: number | null;
}

function dateOf(value: string | undefined): number | null {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** Build the view, or undefined when the sample does not exist. */
export function submissionView(
  ctx: AgentContext,
  id: number,
  times: TaskTimes,
): SubmissionView | undefined {
  const row = ctx.store.samples.get(id);
  if (row === undefined) return undefined;
  const attributes = ctx.store.samples.attributes(id);
  const record = ctx.records.get(id);
  let nextAttemptAt: number | null = null;
  if (times.running) {
    if (row.status === 'released') {
      const candidates = [times.submitNextAt, record.nextAttemptAt, times.submitNotBefore || null];
      nextAttemptAt = Math.max(...candidates.map((c) => c ?? 0)) || null;
    } else if (row.status === 'submitted') nextAttemptAt = times.statusNextAt;
    else if (row.status === 'needed') nextAttemptAt = times.neededNextAt;
  }
  const eligibility = isSampleStatus(row.status)
    ? canQueueForAnalysis(row.status, (name) => attributes[name])
    : { allowed: false as const, reason: `unknown status ${row.status}` };
  return {
    id: String(id),
    status: row.status,
    cookie: attributes['X-Analysis-Cookie'] ?? null,
    state: attributes['X-Analysis-State'] ?? null,
    issue: attributes['X-Analysis-Issue'] ?? null,
    service: attributes['X-Analysis-Service'] ?? null,
    virusName: attributes['X-Analysis-Virus-Name'] ?? null,
    signaturesSequence: parseSequence(attributes['X-Signatures-Sequence']),
    priority: row.priority,
    submittedOn: dateOf(attributes['X-Date-Submitted']),
    analyzedOn: dateOf(attributes['X-Date-Analyzed']),
    finishedOn: dateOf(attributes['X-Date-Finished']),
    attempts: record.attempts,
    lastAttemptAt: record.lastAttemptAt,
    lastError: record.lastError,
    nextAttemptAt,
    strip: record.strip,
    queueForAnalysis: eligibility.allowed
      ? { allowed: true, reason: null }
      : { allowed: false, reason: eligibility.reason },
    agent: {
      running: times.running,
      gatewayUnreachableSince: ctx.signals.since('gatewayUnreachable'),
    },
  };
}
