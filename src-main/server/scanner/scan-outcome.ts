/**
 * What a scan changes on a sample (SPEC §3.2, §6): the `X-Scan-*` attributes, and where its
 * status goes. Pure rules, so the table of SPEC §3.2 can be tested row by row.
 */
import type { SampleStatus } from '../../../src-shared/catalog/tokens.js';
import type { Config } from '../../../src-shared/config/schema.js';
import type { ActiveSet, ScanVerdict } from './engine.js';

/** Statuses a new definitions set may resolve (their samples are rescanned on activation). */
export const RESCAN_STATUSES: readonly SampleStatus[] = [
  'quarantined',
  'held',
  'released',
  'submitted',
  'needed',
  'error',
  'attention',
];

/** The sequence as attributes carry it (at least 8 digits). */
export function formatSequence(sequence: number): string {
  return String(sequence).padStart(8, '0');
}

/** The `X-Scan-*` attributes of a verdict reached with `set` (null removes an attribute). */
export function scanAttributes(
  verdict: ScanVerdict,
  set: ActiveSet,
): Record<string, string | null> {
  const detected = verdict.virusName !== null;
  return {
    'X-Scan-Result': verdict.result,
    'X-Scan-Signatures-Name': set.name,
    'X-Scan-Signatures-Sequence': formatSequence(set.sequence),
    'X-Scan-Signatures-Version': set.version,
    'X-Scan-Virus-Name': detected ? verdict.virusName : null,
    'X-Scan-Virus-Identifier':
      detected && verdict.virusIdentifier !== null ? String(verdict.virusIdentifier) : null,
  };
}

function listed(targets: readonly string[], attributes: Readonly<Record<string, string>>): boolean {
  const names = [attributes['X-Platform-Host'], attributes['X-Platform-GUID']]
    .filter((v): v is string => v !== undefined && v !== '')
    .map((v) => v.toLowerCase());
  return targets.some((t) => names.includes(t.toLowerCase()));
}

/**
 * Whether the Install Definitions policy delivers `set` to the endpoint that sent the sample
 * without an administrator: only a managed endpoint (one with X-Platform-GUID) can receive
 * definitions, and it does when the policy installs on the clients where a threat was found
 * (a certified set is at least as trusted as the non-certified ones that option names), or
 * when it is one of the selected targets for this kind of set.
 */
export function deliversAutomatically(
  attributes: Readonly<Record<string, string>>,
  set: ActiveSet,
  config: Config,
): boolean {
  if (!attributes['X-Platform-GUID']) return false;
  const policy = config.installDefinitions;
  if (policy.nonCertified.toSelectedClients) return true;
  const selected = set.certified ? policy.certified : policy.nonCertified;
  return selected.toSelectedTargets && listed(selected.targets, attributes);
}

/** Where a scan takes a sample, and why; `to` null = the status stays. */
export interface StatusDecision {
  readonly to: SampleStatus | null;
  readonly reason: string;
  /** The scan left a detected threat unrepaired ("Sample: was not repaired"). */
  readonly notRepaired: boolean;
}

/** Apply SPEC §3.2 to a completed scan of a sample in `status`. */
export function decideStatus(
  status: SampleStatus,
  attributes: Readonly<Record<string, string>>,
  verdict: ScanVerdict,
  set: ActiveSet,
  config: Config,
): StatusDecision {
  const repairable = verdict.result === 'repaired';
  const notRepaired = verdict.virusName !== null && !repairable;
  const found = verdict.virusName ? `${verdict.virusName} ` : '';
  const target = (): SampleStatus =>
    deliversAutomatically(attributes, set, config) ? 'distribute' : 'available';
  if (repairable && RESCAN_STATUSES.includes(status)) {
    if (status === 'needed') {
      const needed = Number(attributes['X-Signatures-Sequence'] ?? '0');
      if (set.sequence < needed) {
        return {
          to: null,
          reason: `definitions ${set.sequence} repair it, but ${needed} are awaited`,
          notRepaired: false,
        };
      }
    }
    return {
      to: target(),
      reason: `definitions ${set.sequence} detect ${found}and can repair it`,
      notRepaired: false,
    };
  }
  if (status === 'quarantined') {
    const why = verdict.virusName
      ? `definitions ${set.sequence} detect ${found}but cannot repair it`
      : `definitions ${set.sequence} detect nothing`;
    return config.samplePolicy.automaticSubmission
      ? { to: 'released', reason: `${why}; automatic submission is on`, notRepaired }
      : { to: 'held', reason: `${why}; automatic submission is off`, notRepaired };
  }
  return {
    to: null,
    reason: verdict.virusName
      ? `definitions ${set.sequence} detect ${found}but cannot repair it`
      : `definitions ${set.sequence} detect nothing`,
    // Definitions the gateway said would resolve it arrived, and they do not.
    notRepaired:
      notRepaired ||
      (status === 'needed' && set.sequence >= Number(attributes['X-Signatures-Sequence'] ?? '0')),
  };
}

/**
 * Attributes a move to `available`/`distribute` adds: the sequence that resolves the sample
 * (manual delivery needs one) when no higher one is recorded yet.
 */
export function resolvingAttributes(
  attributes: Readonly<Record<string, string>>,
  set: ActiveSet,
): Record<string, string> {
  const recorded = Number(attributes['X-Signatures-Sequence'] ?? '0');
  if (recorded >= set.sequence) return {};
  return {
    'X-Signatures-Sequence': formatSequence(set.sequence),
    'X-Signatures-Version': set.version,
  };
}

/**
 * Whether a scan started for `kind` may act on a sample now in `status`: a new sample's scan
 * only while it is still quarantined, an activation rescan only in the statuses a set may
 * resolve, an administrator's rescan always.
 */
export function scanApplies(kind: 'new' | 'rescan' | 'manual', status: string): boolean {
  if (kind === 'manual') return true;
  if (kind === 'new') return status === 'quarantined';
  return (RESCAN_STATUSES as readonly string[]).includes(status);
}
