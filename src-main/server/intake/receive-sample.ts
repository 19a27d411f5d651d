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
  type DecodeHooks,
  type DecodeResult,
} from '../../codec/content.js';
import type { DecodePool } from '../../codec/decode-pool.js';
import { createLogger } from '../../log/logger.js';
import type { BlobStore, Store, TempBlob } from '../store/index.js';
import type { QuotaGauge } from '../quota-gauge.js';
import { decodeSpecFor, type SampleRequest } from './sample-headers.js';

const log = createLogger('intake');

/** Outcome of one accepted forward. */
export interface ReceiveResult {
  readonly id: number;
  readonly duplicate: boolean;
  readonly changes: number;
}

/** Work that runs once a commit is durable. */
export type AfterCommit = () => void;

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
  /**
   * Called in the commit job of an accepted forward (with the attributes it came with), right
   * after its row is written: database
   * writes made here (log, target registry) commit together with the sample, in a savepoint of
   * their own, so that a failure here is logged and costs the sample nothing. Returns what to
   * do once the commit is durable (events, the scan queue), which must not fail.
   */
  readonly onAccepted: (
    result: ReceiveResult,
    attributes: Readonly<Record<string, string>>,
  ) => AfterCommit | void;
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

/**
 * Where the at-rest bytes of a body go while it is read: streamed into a temp file, or (small
 * bodies) gathered in memory and written by an I/O thread in one request once verified.
 */
interface BlobSink {
  readonly hooks: DecodeHooks;
  /** All bytes are in: flush what is buffered. Resolves with the stored size. */
  finish(): Promise<number>;
  /**
   * Put the verified bytes in place under their hash (durable at the next directory sync).
   * `known`: the content already has a row, so its file must never be seen half written.
   */
  install(sha256: string, known: boolean): Promise<void>;
  /** Throw away what was written. */
  abort(): Promise<void>;
}

/** Largest body kept in memory until verified (then written in one go). */
const SMALL_BODY = 64 * 1024;
/** Largest decoded sample stored from memory: as received, and when it must be encoded. */
const SMALL_SAMPLE_AS_RECEIVED = 256 * 1024;
const SMALL_SAMPLE_ENCODED = 64 * 1024;

function isSmall(req: SampleRequest, storeAsReceived: boolean): boolean {
  const maxSample = storeAsReceived ? SMALL_SAMPLE_AS_RECEIVED : SMALL_SAMPLE_ENCODED;
  return (
    req.contentLength !== undefined &&
    req.contentLength <= SMALL_BODY &&
    req.sampleSize <= maxSample
  );
}

/** Gather a small body's at-rest bytes in memory. */
function memorySink(blobs: BlobStore, storeAsReceived: boolean): BlobSink {
  const pieces: Buffer[] = [];
  let stored: Buffer[] = [];
  const gather = (chunk: Buffer): void => {
    pieces.push(chunk);
  };
  return {
    hooks: storeAsReceived ? { onUnencoded: gather } : { onDecoded: gather },
    finish: () => {
      // Small by definition: deflating it here costs less than a trip to the thread pool.
      stored = storeAsReceived ? pieces : [encodeBlob(Buffer.concat(pieces))];
      return Promise.resolve(stored.reduce((n, c) => n + c.length, 0));
    },
    install: async (sha256, known) => {
      await blobs.storeWhole(stored, sha256, { throughTemp: known });
    },
    abort: () => Promise.resolve(),
  };
}

/** A temp file a decode thread has written and fsynced. */
function adoptedSink(blobs: BlobStore, temp: TempBlob, storedSize: number): BlobSink {
  return {
    hooks: {},
    finish: () => Promise.resolve(storedSize),
    install: async (sha256) => {
      await blobs.install(temp, sha256);
    },
    abort: () => temp.abort(),
  };
}

/** Stream a body's at-rest bytes into a temp file as they are decoded. */
async function streamedSink(blobs: BlobStore, storeAsReceived: boolean): Promise<BlobSink> {
  const temp = await blobs.createTemp();
  if (storeAsReceived) {
    return {
      hooks: { onUnencoded: (chunk) => temp.write(chunk) },
      finish: async () => (await temp.finish()).storedSize,
      install: async (sha256) => {
        await blobs.install(temp, sha256);
      },
      abort: () => temp.abort(),
    };
  }
  const encoder = createBlobEncoder();
  const encoded = (async () => {
    for await (const chunk of encoder) await temp.write(chunk as Buffer);
  })();
  // A failure shows at finish; until then nobody waits on it.
  encoded.catch(() => undefined);
  return {
    hooks: {
      onDecoded: async (chunk) => {
        if (!encoder.write(chunk)) await once(encoder, 'drain');
      },
    },
    finish: async () => {
      encoder.end();
      await encoded;
      return (await temp.finish()).storedSize;
    },
    install: async (sha256) => {
      await blobs.install(temp, sha256);
    },
    abort: async () => {
      encoder.destroy();
      await temp.abort();
    },
  };
}

/** A body received into a finished temp blob, verified, ready to install or throw away. */
export interface ReceivedBlob {
  readonly decoded: DecodeResult;
  readonly storedSize: number;
  /** Put it in place under its SHA-256 (durable at the blob store's next directory sync). */
  install(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * Stream a body into a temp blob of `blobs` in the at-rest form while decoding and verifying
 * it, as intake does for large bodies (the gateway's submissions take this path). A refused
 * body leaves nothing behind.
 */
export async function receiveIntoTempBlob(
  body: Readable,
  req: SampleRequest,
  blobs: BlobStore,
  maxSampleSize: number,
): Promise<ReceivedBlob> {
  const storeAsReceived =
    req.plan.compression === 'deflate' && req.plan.scrambling === 'xor-vampish';
  const sink = await streamedSink(blobs, storeAsReceived);
  try {
    const decoded = await decodeSample(
      body.iterator({ destroyOnReturn: false }),
      decodeSpecFor(req, maxSampleSize),
      sink.hooks,
    );
    const storedSize = await sink.finish();
    return {
      decoded,
      storedSize,
      install: () => sink.install(decoded.sha256, false),
      abort: () => sink.abort(),
    };
  } catch (error) {
    await sink.abort().catch(() => undefined);
    throw error;
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
  // The wire form deflate + xor-vampish is exactly the at-rest form: keep it as received.
  const storeAsReceived =
    req.plan.compression === 'deflate' && req.plan.scrambling === 'xor-vampish';
  const small = isSmall(req, storeAsReceived);
  // A large body whose wire form is its at-rest form is received on a decode thread.
  const pool =
    !small && storeAsReceived && req.plan.encoding === null && deps.decodePool?.available
      ? deps.decodePool
      : undefined;
  let sink: BlobSink | undefined;
  const reservation = quota.reserve(req.sampleSize);
  try {
    const spec = decodeSpecFor(req, limits.maxSampleSize);
    // Stopping early (a refused body) must not destroy the socket: the answer still has to go out.
    const input = body.iterator({ destroyOnReturn: false });
    let decoded: DecodeResult;
    if (pool) {
      const tempPath = store.blobs.tempPath();
      // The thread removes the temp file of a refused body; after a thread failure it may not
      // have been able to (recovery at start would, but there is no need to wait for that).
      const received = await deps
        .decodePool!.receive(input, spec, tempPath)
        .catch(async (error: unknown) => {
          await fs.promises.rm(tempPath, { force: true }).catch(() => undefined);
          throw error;
        });
      decoded = received.result;
      sink = adoptedSink(store.blobs, store.blobs.adoptTemp(tempPath), received.storedSize);
    } else {
      sink = small
        ? memorySink(store.blobs, storeAsReceived)
        : await streamedSink(store.blobs, storeAsReceived);
      decoded = await decodeSample(input, spec, sink.hooks);
    }
    const storedSize = await sink.finish();

    const findDuplicate = (): number | undefined =>
      store.samples.findDuplicate(req.sampleChecksum, req.platformKey, decoded.sha256);
    const duplicateOf = (existing: number): CommitOutcome => {
      const changes = store.samples.bumpChanges(existing, 'intake', 'duplicate forward');
      const result: ReceiveResult = { id: existing, duplicate: true, changes };
      return { result, added: false, after: announce(result, req, deps) };
    };
    const isNewBlob = !store.blobsRepo.get(decoded.sha256);
    if (isNewBlob) {
      const verdict = quota.check(storedSize, reservation);
      if (!verdict.allowed) {
        throw new WireError('declined', ['quota', storedSize, verdict.remainingBytes], 507);
      }
    }
    const unpin = store.blobs.pin(decoded.sha256);
    try {
      await sink.install(decoded.sha256, !isNewBlob);
      const { result, added, after } = await store.committer.commit((): CommitOutcome => {
        // Duplicates are found here, in the commit, so that two identical forwards at once
        // cannot both make a sample. Installing a duplicate's blob found the file in place.
        const existing = findDuplicate();
        if (existing !== undefined) return duplicateOf(existing);
        const added = store.blobsRepo.addRef(decoded.sha256, decoded.size, storedSize);
        const id = store.samples.insert({
          blobSha256: decoded.sha256,
          attributes: req.attributes,
          platformKey: req.platformKey,
          receivedAt: Date.now(),
          skewMs: req.skewMs,
          actor: 'intake',
        });
        const result: ReceiveResult = { id, duplicate: false, changes: 1 };
        return { result, added, after: announce(result, req, deps) };
      });
      if (added) quota.add(storedSize);
      runAfterCommit(result, after);
      return result;
    } finally {
      unpin();
    }
  } catch (error) {
    await sink?.abort().catch(() => undefined);
    throw error;
  } finally {
    reservation.release();
  }
}

/** What the commit job of an accepted forward hands back. */
interface CommitOutcome {
  readonly result: ReceiveResult;
  /** A new blob row was created (its bytes now count against the quota). */
  readonly added: boolean;
  readonly after: AfterCommit | undefined;
}

/**
 * Run `onAccepted` inside the commit job of an accepted forward, in a savepoint: its rows
 * (the Quarantine Log line, the target registry) commit with the sample in the same batch. A
 * failure there rolls back only its own writes; the sample still commits and is acknowledged.
 */
function announce(
  result: ReceiveResult,
  req: SampleRequest,
  deps: ReceiveDeps,
): AfterCommit | undefined {
  try {
    return deps.store.committer.nested(() => deps.onAccepted(result, req.attributes)) ?? undefined;
  } catch (error) {
    log.error('announcing an accepted sample failed', { id: result.id, error: String(error) });
    return undefined;
  }
}

/** Run what `onAccepted` left for after the commit; the sample is durable whatever it does. */
function runAfterCommit(result: ReceiveResult, after: AfterCommit | undefined): void {
  try {
    after?.();
  } catch (error) {
    log.error('announcing an accepted sample failed', { id: result.id, error: String(error) });
  }
}
