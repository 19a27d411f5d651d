/**
 * What Defcast writes on samples (SPEC §3.2): `distribute → distributed → installed` when their
 * endpoint took the fixing set, `notinstalled` when it could not, each step a history row, and
 * the errors administrators read on the Errors tab. Runs inside a group-commit job.
 */
import type { ErrorCode } from '../../../src-shared/catalog/errors.js';
import { formatHttpDate, parseHttpDate } from '../../../src-shared/codec/dates.js';
import type { Store } from '../store/index.js';
import type { EndpointAction } from './defcast-wire.js';

/** Who Defcast's changes are recorded as. */
export const DEFCAST_ACTOR = 'defcast';

/** What is known about a successful delivery to a sample's endpoint. */
export interface Delivered {
  /** `host:port` of the endpoint, for history reasons. */
  readonly where: string;
  readonly sequence: number;
  /** X-Date-Installed as the endpoint reported it; the local time is used when it is not a date. */
  readonly installedAt: string | null;
  /** What the endpoint did to its copy, if it said. */
  readonly action: EndpointAction | null;
  readonly now: number;
}

function describeAction(action: EndpointAction | null): string {
  switch (action) {
    case null:
      return '';
    case 'left':
      return '; its local copy was left in quarantine as configured';
    case 'norepair':
      return '; its local copy could not be repaired and stays in quarantine';
    case 'failed':
      return '; handling its local copy failed';
    default:
      return `; its local copy was ${action}`;
  }
}

/**
 * Record a delivery on a sample in `distribute` or `distributed`; returns the statuses it went
 * through (empty when the sample had moved on meanwhile).
 */
export function recordDelivered(store: Store, sampleId: number, delivered: Delivered): string[] {
  const row = store.samples.get(sampleId);
  if (!row || (row.status !== 'distribute' && row.status !== 'distributed')) return [];
  const steps: string[] = [];
  if (row.status === 'distribute') {
    const attributes = store.samples.attributes(sampleId);
    if (!attributes['X-Date-Distributed']) {
      store.samples.setAttributes(
        sampleId,
        { 'X-Date-Distributed': formatHttpDate(delivered.now) },
        DEFCAST_ACTOR,
        `definitions ${delivered.sequence} delivered to ${delivered.where}`,
      );
    }
    store.samples.transition(
      sampleId,
      'distributed',
      DEFCAST_ACTOR,
      `definitions ${delivered.sequence} delivered to ${delivered.where}`,
    );
    steps.push('distributed');
  }
  const installed =
    delivered.installedAt !== null && parseHttpDate(delivered.installedAt) !== null
      ? delivered.installedAt
      : formatHttpDate(delivered.now);
  store.samples.setAttributes(
    sampleId,
    { 'X-Date-Installed': installed },
    DEFCAST_ACTOR,
    `${delivered.where} reports definitions ${delivered.sequence} installed`,
  );
  store.samples.transition(
    sampleId,
    'installed',
    DEFCAST_ACTOR,
    `${delivered.where} runs definitions ${delivered.sequence}${describeAction(delivered.action)}`,
  );
  steps.push('installed');
  return steps;
}

/** Why a sample's definitions could not be installed. */
export interface NotInstalled {
  readonly reason: string;
  readonly code: ErrorCode;
  readonly params: readonly string[];
}

/** Move a sample to `notinstalled` and keep the reason on its Errors tab. */
export function recordNotInstalled(store: Store, sampleId: number, why: NotInstalled): boolean {
  const row = store.samples.get(sampleId);
  if (!row || (row.status !== 'distribute' && row.status !== 'distributed')) return false;
  store.samples.transition(sampleId, 'notinstalled', DEFCAST_ACTOR, why.reason);
  store.errors.add({
    sampleId,
    code: why.code,
    params: why.params,
    source: DEFCAST_ACTOR,
    message: why.reason,
  });
  return true;
}

/**
 * Post the download location on a nonmanaged endpoint's sample once (guide: the alert is also
 * posted on the item's Errors tab). Returns false when it was posted before.
 */
export function postDownloadNotice(
  store: Store,
  sampleId: number,
  url: string,
  message: string,
): boolean {
  if (
    store.errors
      .forSample(sampleId)
      .some((e) => e.source === DEFCAST_ACTOR && e.params.includes(url))
  ) {
    return false;
  }
  store.errors.add({
    sampleId,
    code: 'declined',
    params: ['nonmanaged', url],
    source: DEFCAST_ACTOR,
    message,
  });
  return true;
}
