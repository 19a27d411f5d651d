/**
 * `POST /v1/samples` and `GET /v1/samples/{cookie}` (SPEC §4.3). Submissions are validated
 * with intake's header rules and codecs; status reports carry the analysis attributes, with
 * `X-Date-Finished` present exactly when the result is final.
 */
import type http from 'node:http';
import { WireError } from '../../../src-shared/catalog/errors.js';
import { formatHttpDate } from '../../../src-shared/codec/dates.js';
import { encodeHeaderValue } from '../../../src-shared/codec/headers.js';
import { createLogger } from '../../log/logger.js';
import { parseSampleRequest, type SampleRequest } from '../../server/intake/sample-headers.js';
import type { AnalysisRow, Customer, SubmissionRow } from '../model.js';
import { receiveSubmission } from './receive-submission.js';
import { refuseEarly, sendError, sendHeaders } from './responses.js';
import type { RouteContext } from './route-context.js';

const log = createLogger('gateway');

/** A base64 body is 4/3 of its payload; beyond that plus slack it is not a sample. */
function maxBodyFor(maxSampleSize: number): number {
  return Math.ceil(maxSampleSize * 1.4) + 65_536;
}

/** The status attributes of one submission's analysis. */
export function statusHeaders(sub: SubmissionRow, a: AnalysisRow): Record<string, string> {
  const h: Record<string, string> = {
    'X-Analysis-Cookie': sub.cookie,
    'X-Analysis-Issue': sub.issue,
    'X-Analysis-State': a.state,
    'X-Sample-Checksum': a.md5,
    'X-Date-Submitted': formatHttpDate(sub.submittedAt),
  };
  if (a.service !== null) h['X-Analysis-Service'] = a.service;
  if (a.virusName !== null) h['X-Analysis-Virus-Name'] = encodeHeaderValue(a.virusName);
  if (a.virusIdentifier !== null) h['X-Analysis-Virus-Identifier'] = String(a.virusIdentifier);
  if (a.sequence !== null) h['X-Signatures-Sequence'] = String(a.sequence).padStart(8, '0');
  if (a.analyzedAt !== null) h['X-Date-Analyzed'] = formatHttpDate(a.analyzedAt);
  if (a.finishedAt !== null) h['X-Date-Finished'] = formatHttpDate(a.finishedAt);
  return h;
}

function precheck(sample: SampleRequest, ctx: RouteContext): void {
  const { limits } = ctx;
  if (sample.sampleSize > limits.maxSampleSize) {
    throw new WireError('declined', ['sample-size', sample.sampleSize, limits.maxSampleSize], 413);
  }
  const maxBody = maxBodyFor(limits.maxSampleSize);
  if (sample.contentLength !== undefined && sample.contentLength > maxBody) {
    throw new WireError('declined', ['content-length', sample.contentLength, maxBody], 413);
  }
  if (ctx.uploads >= limits.maxConcurrentUploads) {
    throw new WireError('declined', ['busy', 'uploads', limits.maxConcurrentUploads], 503);
  }
  const backlog = ctx.store.analyses.backlog();
  if (backlog >= limits.maxBacklog) {
    throw new WireError('declined', ['busy', 'backlog', limits.maxBacklog], 503);
  }
}

function isAbort(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE';
}

/** `POST /v1/samples`: receive a sample for analysis. */
export async function postSample(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  customer: Customer,
  ctx: RouteContext,
): Promise<void> {
  const retry = { 'Retry-After': String(ctx.limits.retryAfterSeconds) };
  let sample: SampleRequest;
  try {
    // Credentials were checked already; they are a secret, never a sample attribute (and the
    // default customer's are empty, which the catalog's text type would refuse).
    const distinct = { ...req.headersDistinct };
    delete distinct['x-customer-credentials'];
    sample = parseSampleRequest(req.headers, distinct, Date.now());
    precheck(sample, ctx);
  } catch (error) {
    if (!(error instanceof WireError)) throw error;
    refuseEarly(req, res, error, error.httpStatus === 503 ? retry : {});
    return;
  }
  let aborted = false;
  req.once('aborted', () => (aborted = true));
  req.socket.once('close', () => {
    if (!req.complete) aborted = true;
  });
  ctx.uploads++;
  try {
    const received = await receiveSubmission(req, sample, customer, {
      store: ctx.store,
      maxSampleSize: ctx.limits.maxSampleSize,
      firstStageDue: (now) => now + ctx.timings.stageMs.accepted,
    });
    if (!received.duplicate) ctx.wake();
    log.info('sample accepted', {
      cookie: received.submission.cookie,
      analysis: received.analysis.id,
      duplicate: received.duplicate,
      customer: customer.identifier,
    });
    sendHeaders(
      res,
      202,
      statusHeaders(received.submission, received.analysis),
      `${received.duplicate ? 'known' : 'accepted'} ${received.submission.cookie}\n`,
    );
  } catch (error) {
    if (aborted) {
      log.warn('submission connection lost before the whole body arrived', {
        customer: customer.identifier,
      });
      res.destroy();
      return;
    }
    const wire =
      error instanceof WireError
        ? error
        : isAbort(error)
          ? new WireError('lost', [sample.contentLength ?? '', ''])
          : (log.error('submission failed', { error: String(error) }),
            new WireError('internal', [], 500));
    refuseEarly(req, res, wire);
  } finally {
    ctx.uploads--;
  }
}

/** `GET /v1/samples/{cookie}`: the status of one submission. */
export function getStatus(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  customer: Customer,
  cookie: string,
  ctx: RouteContext,
): void {
  req.resume();
  const submission = ctx.store.submissions.byCookie(cookie);
  // Another customer's cookie is answered exactly like one never issued.
  if (submission === undefined || submission.customer !== customer.identifier) {
    sendError(res, new WireError('crumbled', [], 404));
    return;
  }
  const analysis = ctx.store.analyses.get(submission.analysisId);
  if (analysis === undefined) {
    sendError(res, new WireError('internal', [], 500));
    return;
  }
  const headers = statusHeaders(submission, analysis);
  sendHeaders(res, 200, headers, `${analysis.state}\n`);
}
