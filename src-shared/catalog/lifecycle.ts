/**
 * The sample lifecycle of SPEC §3.2: which status changes each actor may make, and the
 * eligibility rules of the guide for manual actions. Both server and console use it, so an
 * action the server would refuse is disabled in the UI with the same reason.
 */
import { SAMPLE_STATUSES, type SampleStatus } from './tokens.js';

/** Administrator actions that change a sample's status. */
export type AdminAction = 'release' | 'hold' | 'restart' | 'queueForAnalysis' | 'queueForDelivery';

/** Statuses each admin action may start from, and where it leads. */
const ADMIN_MOVES: Readonly<
  Record<AdminAction, { from: readonly SampleStatus[]; to: SampleStatus }>
> = {
  // Withhold a sample from automatic submission while it is still on this server.
  hold: { from: ['quarantined', 'released'], to: 'held' },
  // Let a withheld sample go to the gateway.
  release: { from: ['held'], to: 'released' },
  // Start over: the sample re-enters at quarantined (via restart).
  restart: {
    from: SAMPLE_STATUSES.filter((s) => s !== 'restart'),
    to: 'restart',
  },
  queueForAnalysis: { from: ['held', 'quarantined', 'error', 'attention'], to: 'released' },
  queueForDelivery: { from: ['available', 'notinstalled'], to: 'distribute' },
};

/** The attributes an eligibility rule looks at. */
export type AttributeLookup = (name: string) => string | undefined;

/** Result of asking whether an action is allowed. */
export type Eligibility =
  { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

const ALLOWED: Eligibility = { allowed: true };

function dateSet(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0';
}

/** Where an admin action leads from `status`, or why it is not allowed. */
export function adminMove(
  action: AdminAction,
  status: SampleStatus,
): { allowed: true; to: SampleStatus } | { allowed: false; reason: string } {
  const move = ADMIN_MOVES[action];
  if (!move.from.includes(status)) {
    return {
      allowed: false,
      reason: `not possible while the sample is ${status} (allowed from: ${move.from.join(', ')})`,
    };
  }
  return { allowed: true, to: move.to };
}

/**
 * Manual submission (guide ch. 4): priority 0, never submitted, never finished. The sample
 * must also be in a status the action starts from.
 */
export function canQueueForAnalysis(status: SampleStatus, attr: AttributeLookup): Eligibility {
  const move = adminMove('queueForAnalysis', status);
  if (!move.allowed) return move;
  if (Number(attr('X-Sample-Priority') ?? '0') !== 0) {
    return {
      allowed: false,
      reason: 'already queued for automatic submission (X-Sample-Priority is not 0)',
    };
  }
  if (dateSet(attr('X-Date-Submitted')))
    return { allowed: false, reason: 'already submitted (X-Date-Submitted is set)' };
  if (dateSet(attr('X-Date-Finished')))
    return { allowed: false, reason: 'analysis already finished (X-Date-Finished is set)' };
  return ALLOWED;
}

/**
 * Manual definitions delivery (guide ch. 4): signatures priority 0, a sequence > 0 is needed,
 * and the sample has not been disinfected yet.
 */
export function canQueueForDelivery(status: SampleStatus, attr: AttributeLookup): Eligibility {
  const move = adminMove('queueForDelivery', status);
  if (!move.allowed) return move;
  if (Number(attr('X-Signatures-Priority') ?? '0') !== 0) {
    return {
      allowed: false,
      reason: 'already queued for automatic delivery (X-Signatures-Priority is not 0)',
    };
  }
  if (!(Number(attr('X-Signatures-Sequence') ?? '0') > 0)) {
    return { allowed: false, reason: 'no definitions sequence is known for this sample' };
  }
  if (dateSet(attr('X-Date-Installed'))) {
    return {
      allowed: false,
      reason: 'definitions are already installed (X-Date-Installed is set)',
    };
  }
  return ALLOWED;
}

/**
 * Attributes that describe processing after intake; a restart removes them so the sample is
 * treated as newly quarantined.
 */
export const RESTART_CLEARS_PREFIXES = ['X-Analysis-', 'X-Scan-', 'X-Signatures-'] as const;
/** Dates a restart clears (the capture and file dates stay). */
export const RESTART_CLEARS_DATES = [
  'X-Date-Submitted',
  'X-Date-Analyzed',
  'X-Date-Finished',
  'X-Date-Distributed',
  'X-Date-Installed',
  'X-Date-Blessed',
  'X-Date-Produced',
  'X-Date-Published',
] as const;
