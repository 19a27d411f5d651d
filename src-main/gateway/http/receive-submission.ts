/**
 * The body half of `POST /v1/samples`: stream-decode and verify the sample exactly as intake
 * does (SPEC §4.1), keep it deflated and scrambled in the gateway's blob store, and record the
 * submission — joining the analysis that already answers the same content, or starting one.
 * The caller answers 202 only after this resolves, so an accepted sample is durable.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { formatHttpDate } from '../../../src-shared/codec/dates.js';
import { receiveIntoTempBlob } from '../../server/intake/receive-sample.js';
import type { SampleRequest } from '../../server/intake/sample-headers.js';
import type { AnalysisRow, Customer, SampleHints, SubmissionRow } from '../model.js';
import type { GatewayStore } from '../store/gateway-store.js';

/** Attributes never kept with a submission: secrets, and what this gateway sets itself. */
const DROPPED_ATTRIBUTES = ['X-Customer-Credentials', 'X-Date-Forwarded'];

/** What receiving produced. */
export interface ReceivedSubmission {
  readonly submission: SubmissionRow;
  readonly analysis: AnalysisRow;
  /** True when an existing analysis answers it and no new analysis was started. */
  readonly duplicate: boolean;
}

/** What receiving needs from the gateway. */
export interface ReceiveContext {
  readonly store: GatewayStore;
  readonly maxSampleSize: number;
  /** When the first stage of a new analysis falls due. */
  readonly firstStageDue: (now: number) => number;
}

/** A fresh analysis cookie: opaque and unguessable, so one customer cannot read another's. */
export function newCookie(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

const HINT_ATTRIBUTES = {
  type: 'X-Sample-Type',
  reason: 'X-Sample-Reason',
  extension: 'X-Sample-Extension',
  fileName: 'X-Sample-File',
} as const satisfies Record<keyof SampleHints, string>;

function hintsOf(attributes: Readonly<Record<string, string>>): SampleHints {
  const hints: { -readonly [K in keyof SampleHints]?: string } = {};
  for (const [key, name] of Object.entries(HINT_ATTRIBUTES)) {
    const value = attributes[name];
    if (value !== undefined) hints[key as keyof SampleHints] = value;
  }
  return hints;
}

/** Receive, verify and durably record one submission. */
export async function receiveSubmission(
  body: Readable,
  req: SampleRequest,
  customer: Customer,
  ctx: ReceiveContext,
): Promise<ReceivedSubmission> {
  const { store } = ctx;
  const received = await receiveIntoTempBlob(
    body.iterator({ destroyOnReturn: false }),
    req,
    store.blobs,
    ctx.maxSampleSize,
  );
  const { decoded } = received;
  try {
    await received.install();
    await store.syncBlobDirs();
    const now = Date.now();
    const attributes: Record<string, string> = { ...req.attributes };
    for (const name of DROPPED_ATTRIBUTES) delete attributes[name];
    attributes['X-Date-Submitted'] = formatHttpDate(now);
    const quickcheck = attributes['X-Sample-Service'] === 'quickcheck';
    return store.transaction(() => {
      const known = store.analyses.findDuplicate(decoded.md5, decoded.sha256, quickcheck);
      const analysisId =
        known?.id ??
        store.analyses.insert({
          md5: decoded.md5,
          sha256: decoded.sha256,
          size: decoded.size,
          service: quickcheck ? 'quickcheck' : null,
          priority: customer.serviceClass === 'platinum' ? 1 : 0,
          state: 'accepted',
          nextAt: ctx.firstStageDue(now),
          hints: hintsOf(attributes),
          createdAt: now,
        });
      const submission = store.submissions.insert({
        cookie: newCookie(),
        customer: customer.identifier,
        analysisId,
        submittedAt: now,
        skewMs: req.skewMs,
        attributes,
      });
      return {
        submission,
        analysis: known ?? store.analyses.get(analysisId)!,
        duplicate: known !== undefined,
      };
    });
  } catch (error) {
    await received.abort().catch(() => undefined);
    throw error;
  }
}
