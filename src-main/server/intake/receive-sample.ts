/**
 * The body half of intake: stream-decode a forwarded sample into a temporary blob, verify it,
 * detect duplicates, and commit it durably (SPEC §4.2, §5). The caller answers only after the
 * returned promise resolves, so an acknowledged sample is always on disk and in the database.
 */
import type { Readable } from 'node:stream';
import { once } from 'node:events';
import { WireError } from '../../../src-shared/catalog/errors.js';
import { createBlobEncoder, decodeSample } from '../../codec/content.js';
import { createLogger } from '../../log/logger.js';
import type { Store } from '../store/index.js';
import type { QuotaGauge } from '../quota-gauge.js';
import type { SampleRequest } from './sample-headers.js';

const log = createLogger('intake');

/** Outcome of one accepted forward. */
export interface ReceiveResult {
  readonly id: number;
  readonly duplicate: boolean;
  readonly changes: number;
}

/** Limits that apply while receiving. */
export interface ReceiveLimits {
  readonly maxSampleSize: number;
  readonly maxSamplesPerPlatform: number;
}

/** Everything receiving a sample needs from the server. */
export interface ReceiveDeps {
  readonly store: Store;
  readonly quota: QuotaGauge;
  readonly limits: () => ReceiveLimits;
  /**
   * Called after the sample row is committed (events, log), inside a later group-commit batch
   * so that its database writes share that batch's commit; the answer waits for it.
   */
  readonly onAccepted: (result: ReceiveResult) => void;
}

/** Check what can be refused before a single body byte is read. */
export function precheckSample(req: SampleRequest, deps: ReceiveDeps): void {
  const limits = deps.limits();
  if (req.sampleSize > limits.maxSampleSize) {
    throw new WireError('declined', ['sample-size', req.sampleSize, limits.maxSampleSize], 413);
  }
  // base64 bodies are 4/3 of their payload; anything beyond that plus slack is not a sample.
  const maxBody = Math.ceil(limits.maxSampleSize * 1.4) + 65_536;
  if (req.contentLength !== undefined && req.contentLength > maxBody) {
    throw new WireError('declined', ['content-length', req.contentLength, maxBody], 413);
  }
  if (req.correlator && limits.maxSamplesPerPlatform > 0) {
    const count = deps.store.samples.countByCorrelator(req.correlator);
    if (count >= limits.maxSamplesPerPlatform) {
      throw new WireError('declined', ['platform-limit', count, limits.maxSamplesPerPlatform], 429);
    }
  }
  const estimate = Math.min(req.contentLength ?? req.sampleSize, req.sampleSize + 65_536);
  const verdict = deps.quota.check(estimate);
  if (!verdict.allowed) {
    throw new WireError('declined', ['quota', estimate, verdict.remainingBytes], 507);
  }
}

/** Receive, verify and durably store one sample body. */
export async function receiveSample(
  body: Readable,
  req: SampleRequest,
  deps: ReceiveDeps,
): Promise<ReceiveResult> {
  const { store, quota } = deps;
  const limits = deps.limits();
  const temp = await store.blobs.createTemp();
  // The wire form deflate + xor-vampish is exactly the at-rest form: keep it as received.
  const storeAsReceived =
    req.plan.compression === 'deflate' && req.plan.scrambling === 'xor-vampish';
  const encoder = storeAsReceived ? undefined : createBlobEncoder();
  let encoderDone: Promise<void> = Promise.resolve();
  if (encoder) {
    encoderDone = (async () => {
      for await (const chunk of encoder) await temp.write(chunk as Buffer);
    })();
  }
  const reservation = quota.reserve(req.sampleSize);
  try {
    // Stopping early (a refused body) must not destroy the socket: the answer still has to go out.
    const decoded = await decodeSample(
      body.iterator({ destroyOnReturn: false }),
      {
        compression: req.plan.compression,
        scrambling: req.plan.scrambling,
        encoding: req.plan.encoding,
        ...(req.contentChecksum ? { contentChecksum: req.contentChecksum } : {}),
        sampleChecksum: req.sampleChecksum,
        sampleSize: req.sampleSize,
        maxSampleSize: limits.maxSampleSize,
        ...(req.contentLength !== undefined ? { contentLength: req.contentLength } : {}),
      },
      storeAsReceived
        ? { onUnencoded: (chunk) => temp.write(chunk) }
        : {
            onDecoded: async (chunk) => {
              if (!encoder!.write(chunk)) await once(encoder!, 'drain');
            },
          },
    );
    if (encoder) {
      encoder.end();
      await encoderDone;
    }
    const { storedSize } = await temp.finish();

    const existing = store.samples.findDuplicate(
      req.sampleChecksum,
      req.platformKey,
      decoded.sha256,
    );
    if (existing !== undefined) {
      await temp.abort();
      const changes = await store.committer.commit(() =>
        store.samples.bumpChanges(existing, 'intake', 'duplicate forward'),
      );
      const result = { id: existing, duplicate: true, changes };
      await announce(result, deps);
      return result;
    }

    const isNewBlob = !store.blobsRepo.get(decoded.sha256);
    if (isNewBlob) {
      const verdict = quota.check(storedSize, reservation);
      if (!verdict.allowed) {
        throw new WireError('declined', ['quota', storedSize, verdict.remainingBytes], 507);
      }
    }
    const unpin = store.blobs.pin(decoded.sha256);
    try {
      await store.blobs.install(temp, decoded.sha256);
      const { id, added } = await store.committer.commit(() => {
        const added = store.blobsRepo.addRef(decoded.sha256, decoded.size, storedSize);
        const id = store.samples.insert({
          blobSha256: decoded.sha256,
          attributes: req.attributes,
          platformKey: req.platformKey,
          receivedAt: Date.now(),
          skewMs: req.skewMs,
          actor: 'intake',
        });
        return { id, added };
      });
      if (added) quota.add(storedSize);
      const result = { id, duplicate: false, changes: 1 };
      await announce(result, deps);
      return result;
    } finally {
      unpin();
    }
  } catch (error) {
    encoder?.destroy();
    await temp.abort().catch(() => undefined);
    throw error;
  } finally {
    reservation.release();
  }
}

/**
 * Run `onAccepted` for a committed sample. Its Quarantine Log row would otherwise be a commit
 * (and, with synchronous = FULL, a WAL fsync on the event loop) of its own per sample; in the
 * committer it rides along with the next batch. The sample is already durable, so a failure
 * here is logged and the forward is still acknowledged.
 */
async function announce(result: ReceiveResult, deps: ReceiveDeps): Promise<void> {
  try {
    await deps.store.committer.commit(() => deps.onAccepted(result));
  } catch (error) {
    log.error('announcing an accepted sample failed', { id: result.id, error: String(error) });
  }
}
