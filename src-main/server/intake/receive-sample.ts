/**
 * The body half of intake: stream-decode a forwarded sample into a temporary blob, verify it,
 * detect duplicates, and commit it durably (SPEC §4.2, §5). The caller answers only after the
 * returned promise resolves, so an acknowledged sample is always on disk and in the database.
 */
import type { Readable } from 'node:stream';
import { once } from 'node:events';
import fs from 'node:fs';
import { WireError } from '../../../src-shared/catalog/errors.js';
import {
  createBlobEncoder,
  decodeSample,
  encodeBlob,
  type DecodeResult,
} from '../../codec/content.js';
import type { DecodePool } from '../../codec/decode-pool.js';
import { createLogger } from '../../log/logger.js';
import type { BlobStore, Store, TempBlob } from '../store/index.js';
import type { QuotaGauge } from '../quota-gauge.js';
import type { IntakeCommitter } from './commit-thread.js';
import type { IntakeCommitted, ReceiveResult } from './intake-commit.js';
import { decodeSpecFor, type SampleRequest } from './sample-headers.js';

export type { ReceiveResult } from './intake-commit.js';

const log = createLogger('intake');

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
  /** Threads that decode large bodies off the event loop (without it: on the event loop). */
  readonly decodePool?: DecodePool;
  /** Commits accepted forwards (the intake commit thread). */
  readonly commits: IntakeCommitter;
  /**
   * Told about each accepted forward once its commit is durable (events, scanning, Defcast),
   * before it is answered. Must not fail: the sample is kept whatever it does.
   */
  readonly onCommitted: (committed: IntakeCommitted) => void;
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

/** A body received and verified, its at-rest bytes ready to be put in place or thrown away. */
export interface ReceivedBlob {
  readonly decoded: DecodeResult;
  readonly storedSize: number;
  /**
   * Put it in place under its SHA-256, never half written (durable at the blob store's next
   * directory sync).
   */
  install(): Promise<void>;
  abort(): Promise<void>;
}

/** The wire form deflate + xor-vampish is exactly the at-rest form: such bodies are kept as received. */
function storedAsReceived(req: SampleRequest): boolean {
  return req.plan.compression === 'deflate' && req.plan.scrambling === 'xor-vampish';
}

/** Largest body kept in memory until verified (then written in one go). */
const SMALL_BODY = 64 * 1024;
/** Largest decoded sample stored from memory: as received, and when it must be encoded. */
const SMALL_SAMPLE_AS_RECEIVED = 256 * 1024;
const SMALL_SAMPLE_ENCODED = 64 * 1024;

function isSmall(req: SampleRequest): boolean {
  const maxSample = storedAsReceived(req) ? SMALL_SAMPLE_AS_RECEIVED : SMALL_SAMPLE_ENCODED;
  return (
    req.contentLength !== undefined &&
    req.contentLength <= SMALL_BODY &&
    req.sampleSize <= maxSample
  );
}

/**
 * A small body: verified in memory, then written by an I/O thread in one request
 * (`BlobStore.storeWhole`); nothing touches the disk for a refused one.
 */
async function receiveInMemory(
  input: AsyncIterable<Uint8Array>,
  req: SampleRequest,
  blobs: BlobStore,
  maxSampleSize: number,
): Promise<ReceivedBlob> {
  const asReceived = storedAsReceived(req);
  const pieces: Buffer[] = [];
  const gather = (chunk: Buffer): void => {
    pieces.push(chunk);
  };
  const decoded = await decodeSample(
    input,
    decodeSpecFor(req, maxSampleSize),
    asReceived ? { onUnencoded: gather } : { onDecoded: gather },
  );
  // Small by definition: deflating it here costs less than a trip to the thread pool.
  const stored = asReceived ? pieces : [encodeBlob(Buffer.concat(pieces))];
  return {
    decoded,
    storedSize: stored.reduce((n, c) => n + c.length, 0),
    install: async () => {
      await blobs.storeWhole(stored, decoded.sha256);
    },
    abort: () => Promise.resolve(),
  };
}

/** A large body stored as received: written and verified on a decode thread. */
async function receiveOnThread(
  input: AsyncIterable<Uint8Array>,
  req: SampleRequest,
  blobs: BlobStore,
  maxSampleSize: number,
  pool: DecodePool,
): Promise<ReceivedBlob> {
  const tempPath = blobs.tempPath();
  // The thread removes the temp file of a refused body; after a thread failure it may not
  // have been able to (recovery at start would, but there is no need to wait for that).
  const received = await pool
    .receive(input, decodeSpecFor(req, maxSampleSize), tempPath)
    .catch(async (error: unknown) => {
      await fs.promises.rm(tempPath, { force: true }).catch(() => undefined);
      throw error;
    });
  const temp = blobs.adoptTemp(tempPath);
  return installable(blobs, temp, received.result, received.storedSize);
}

/** A finished temp blob as a ReceivedBlob. */
function installable(
  blobs: BlobStore,
  temp: TempBlob,
  decoded: DecodeResult,
  storedSize: number,
): ReceivedBlob {
  return {
    decoded,
    storedSize,
    // A rename into place: never half written.
    install: async () => {
      await blobs.install(temp, decoded.sha256);
    },
    abort: () => temp.abort(),
  };
}

/**
 * Stream a body into a temp blob of `blobs` in the at-rest form while decoding and verifying
 * it (large bodies on the event loop; the gateway's submissions). A refused body leaves
 * nothing behind.
 */
export async function receiveIntoTempBlob(
  input: AsyncIterable<Uint8Array>,
  req: SampleRequest,
  blobs: BlobStore,
  maxSampleSize: number,
): Promise<ReceivedBlob> {
  const temp = await blobs.createTemp();
  const encoder = storedAsReceived(req) ? undefined : createBlobEncoder();
  const encoded = encoder
    ? (async () => {
        for await (const chunk of encoder) await temp.write(chunk as Buffer);
      })()
    : Promise.resolve();
  // A failure shows once the body is in; until then nobody waits on it.
  encoded.catch(() => undefined);
  try {
    const decoded = await decodeSample(
      input,
      decodeSpecFor(req, maxSampleSize),
      encoder
        ? {
            onDecoded: async (chunk) => {
              if (!encoder.write(chunk)) await once(encoder, 'drain');
            },
          }
        : { onUnencoded: (chunk) => temp.write(chunk) },
    );
    encoder?.end();
    await encoded;
    const { storedSize } = await temp.finish();
    return installable(blobs, temp, decoded, storedSize);
  } catch (error) {
    encoder?.destroy();
    await temp.abort().catch(() => undefined);
    throw error;
  }
}

/** Receive a body the cheapest way its size and form allow. */
function receiveBody(
  body: Readable,
  req: SampleRequest,
  deps: ReceiveDeps,
  maxSampleSize: number,
): Promise<ReceivedBlob> {
  const blobs = deps.store.blobs;
  // Stopping early (a refused body) must not destroy the socket: the answer still has to go out.
  const input = body.iterator({ destroyOnReturn: false });
  if (isSmall(req)) return receiveInMemory(input, req, blobs, maxSampleSize);
  const pool = deps.decodePool;
  if (pool?.available && storedAsReceived(req) && req.plan.encoding === null) {
    return receiveOnThread(input, req, blobs, maxSampleSize, pool);
  }
  return receiveIntoTempBlob(input, req, blobs, maxSampleSize);
}

/** Receive, verify and durably store one sample body. */
export async function receiveSample(
  body: Readable,
  req: SampleRequest,
  deps: ReceiveDeps,
): Promise<ReceiveResult> {
  const { store, quota } = deps;
  const limits = deps.limits();
  const reservation = quota.reserve(req.sampleSize);
  let received: ReceivedBlob | undefined;
  try {
    received = await receiveBody(body, req, deps, limits.maxSampleSize);
    const { decoded, storedSize } = received;
    // Content already stored adds nothing to the quota. Asking the database whether it is
    // stored costs a read of its own, so it is asked only when the bytes would not fit (which,
    // after precheckSample passed, happens only when forwards in flight took the room).
    const verdict = quota.check(storedSize, reservation);
    if (!verdict.allowed && !store.blobsRepo.get(decoded.sha256)) {
      throw new WireError('declined', ['quota', storedSize, verdict.remainingBytes], 507);
    }
    const unpin = store.blobs.pin(decoded.sha256);
    try {
      await received.install();
      const committed = await deps.commits.commit({
        sha256: decoded.sha256,
        size: decoded.size,
        storedSize,
        checksum: req.sampleChecksum,
        platformKey: req.platformKey,
        attributes: req.attributes,
        skewMs: req.skewMs,
        receivedAt: Date.now(),
      });
      if (committed.added) quota.add(storedSize);
      try {
        deps.onCommitted(committed);
      } catch (error) {
        log.error('announcing an accepted sample failed', {
          id: committed.result.id,
          error: String(error),
        });
      }
      return committed.result;
    } finally {
      unpin();
    }
  } catch (error) {
    await received?.abort().catch(() => undefined);
    throw error;
  } finally {
    reservation.release();
  }
}
