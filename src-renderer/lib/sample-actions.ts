/**
 * The actions the console offers on quarantined items, built from the control API contract:
 * an action appears only when the server API has its method, so actions added to the contract
 * later (repair, rescan, queue for analysis or delivery) show up without UI changes here beyond
 * their entry. Eligibility comes from the shared lifecycle rules, so an action the server would
 * refuse is disabled with the same reason.
 */
import type { SampleSummary } from '../../src-shared/api/contract.js';
import { isMethodName } from '../../src-shared/api/contract.js';
import {
  adminMove,
  canQueueForAnalysis,
  canQueueForDelivery,
  type AdminAction,
  type AttributeLookup,
  type Eligibility,
} from '../../src-shared/catalog/lifecycle.js';
import { isSampleStatus } from '../../src-shared/catalog/tokens.js';

/** How an action collects what it needs before it runs. */
export type ActionFlow =
  /** `{ ids }`, no questions asked. */
  | 'bulk'
  /** `{ ids }` after a confirmation. */
  | 'confirm'
  /** `{ ids, destination, overwrite? }` from the destination dialog (which also confirms). */
  | 'destination';

/** One item action. */
export interface SampleAction {
  readonly method: string;
  readonly label: string;
  readonly flow: ActionFlow;
  /** Keyboard shortcut shown in menus. */
  readonly shortcut?: string;
  /** Whether one item allows the action, from the shared rules. */
  readonly check?: (row: SampleSummary, attr: AttributeLookup) => Eligibility;
}

const ALLOWED: Eligibility = { allowed: true };

function move(action: AdminAction) {
  return (row: SampleSummary): Eligibility => {
    if (!isSampleStatus(row.status))
      return { allowed: false, reason: `unknown status ${row.status}` };
    const result = adminMove(action, row.status);
    return result.allowed ? ALLOWED : result;
  };
}

function withStatus(rule: typeof canQueueForAnalysis) {
  return (row: SampleSummary, attr: AttributeLookup): Eligibility =>
    isSampleStatus(row.status)
      ? rule(row.status, attr)
      : { allowed: false, reason: `unknown status ${row.status}` };
}

/** Every action the console knows, in menu order. */
export const SAMPLE_ACTIONS: readonly SampleAction[] = [
  {
    method: 'samples.queueForAnalysis',
    label: 'Queue item for automatic analysis',
    flow: 'bulk',
    check: withStatus(canQueueForAnalysis),
  },
  {
    method: 'samples.queueForDelivery',
    label: 'Queue item for definition delivery',
    flow: 'bulk',
    check: withStatus(canQueueForDelivery),
  },
  {
    method: 'samples.release',
    label: 'Release for analysis',
    flow: 'bulk',
    check: move('release'),
  },
  { method: 'samples.hold', label: 'Hold', flow: 'bulk', check: move('hold') },
  { method: 'samples.restart', label: 'Restart processing', flow: 'bulk', check: move('restart') },
  { method: 'samples.rescan', label: 'Rescan', flow: 'bulk' },
  { method: 'samples.repair', label: 'Repair…', flow: 'destination' },
  { method: 'samples.restore', label: 'Restore…', flow: 'destination' },
  { method: 'samples.delete', label: 'Delete', flow: 'confirm', shortcut: 'Del' },
];

/** The actions this console's contract offers. */
export function offeredActions(): SampleAction[] {
  return SAMPLE_ACTIONS.filter((action) => isMethodName(action.method));
}

/** The action for a method, if the contract offers it. */
export function offeredAction(method: string): SampleAction | undefined {
  return offeredActions().find((action) => action.method === method);
}

/**
 * What a list row says about the attributes the rules read. Absent facts stay undefined: the
 * server checks again with the full attribute set and refuses with its reason.
 */
export function summaryLookup(row: SampleSummary): AttributeLookup {
  return (name) => {
    switch (name) {
      case 'X-Sample-Priority':
        return String(row.priority);
      case 'X-Date-Submitted':
        return row.submittedOn === null ? undefined : new Date(row.submittedOn).toUTCString();
      case 'X-Signatures-Sequence':
        return row.definitionsNeeded === null ? undefined : String(row.definitionsNeeded);
      default:
        return undefined;
    }
  };
}

/**
 * Whether an action is enabled for a selection: allowed when at least one selected item allows
 * it (the others are refused individually with their reasons); otherwise the first reason.
 */
export function selectionEligibility(
  action: SampleAction,
  rows: readonly SampleSummary[],
  selectedCount: number,
  lookup: (row: SampleSummary) => AttributeLookup = summaryLookup,
): Eligibility {
  if (selectedCount === 0) return { allowed: false, reason: 'select one or more items first' };
  if (!action.check) return ALLOWED;
  // Rows not loaded yet (a large selection) are left to the server to judge.
  if (rows.length < selectedCount) return ALLOWED;
  let first: Eligibility | undefined;
  for (const row of rows) {
    const result = action.check(row, lookup(row));
    if (result.allowed) return ALLOWED;
    first ??= result;
  }
  return first ?? ALLOWED;
}
