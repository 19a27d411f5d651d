/**
 * Sample content on the wire (SPEC §4.1): the sender's transforms (deflate, xor-vampish,
 * base64) and the receiver's streaming, bounded, verified reversal of them.
 */
import { createHash, hash, type Hash } from 'node:crypto';
import {
  constants as zlibConstants,
  createInflateRaw,
  deflateRawSync,
  inflateRawSync,
} from 'node:zlib';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WireError } from '../../src-shared/catalog/errors.js';
import { xorVampishInPlace, type ContentPlan } from '../../src-shared/codec/transforms.js';
import { StrictBase64Decoder } from './node-base64.js';
import { INFLATE_CHUNK_SIZE, deflateError, isZlibError, md5Hex } from './blob.js';

export {
  createBlobDecoder,
  createBlobEncoder,
  decodeBlob,
  encodeBlob,
  md5Hex,
  sha256Hex,
} from './blob.js';

/** Which transforms `encodeSample` applies. */
export interface EncodeOptions {
  /** Raw deflate (default on). */
  readonly compress?: boolean;
  /** xor-vampish (default on). */
  readonly scramble?: boolean;
  /** base64 text (default off). */
  readonly base64?: boolean;
}

/** A transformed sample body and the attributes that describe it. */
export interface EncodedSample {
  readonly body: Buffer;
  /** X-Checksum-Method, X-Content-*, X-Sample-Checksum and X-Sample-Size. */
  readonly headers: Record<string, string>;
}

/**
 * Apply the sender's transforms to captured `bytes` (deflate, then xor-vampish, then base64)
 * and name them in headers. The X-Checksum-Method and X-Content-* headers are left out for an
 * empty body, which has no content to describe.
 */
export function encodeSample(bytes: Buffer, opts: EncodeOptions = {}): EncodedSample {
  const compress = opts.compress ?? true;
  const scramble = opts.scramble ?? true;
  const base64 = opts.base64 ?? false;
  let body: Buffer = bytes;
  if (compress) body = deflateRawSync(bytes);
  if (scramble) {
    if (body === bytes) body = Buffer.from(bytes);
    xorVampishInPlace(body, 0);
  }
  if (base64) body = Buffer.from(body.toString('base64'), 'latin1');

  const headers: Record<string, string> = {};
  if (body.length > 0) {
    headers['X-Checksum-Method'] = 'md5';
    if (compress) headers['X-Content-Compression'] = 'deflate';
    if (scramble) headers['X-Content-Scrambling'] = 'xor-vampish';
    if (base64) headers['X-Content-Encoding'] = 'base64';
    headers['X-Content-Checksum'] = md5Hex(body);
  }
  headers['X-Sample-Checksum'] = md5Hex(bytes);
  headers['X-Sample-Size'] = String(bytes.length);
  return { body, headers };
}

/** What the receiver knows before reading a body. */
export interface DecodeSpec {
  readonly compression: ContentPlan['compression'];
  readonly scrambling: ContentPlan['scrambling'];
  readonly encoding: ContentPlan['encoding'];
  /** X-Content-Checksum: MD5 of the body as sent (any case). */
  readonly contentChecksum?: string;
  /** X-Sample-Checksum: MD5 of the decoded sample (any case). */
  readonly sampleChecksum: string;
  /** X-Sample-Size: length of the decoded sample. */
  readonly sampleSize: number;
  /** The receiver's limit on a decoded sample. */
  readonly maxSampleSize: number;
  /** Content-Length of the body, when the transport declared one. */
  readonly contentLength?: number;
}

/** Where decoded data goes; each promise is awaited before more is read (back-pressure). */
export interface DecodeHooks {
  /** Decoded sample bytes, in order. */
  onDecoded?(chunk: Buffer): void | Promise<void>;
  /** The body after base64 decoding, before unscrambling and inflating. */
  onUnencoded?(chunk: Buffer): void | Promise<void>;
  /**
   * The input's chunks belong to the decoder, which may unscramble them in place instead of
   * copying (only without `onUnencoded` and base64, whose chunks are someone else's).
   */
  readonly ownsInput?: boolean;
  /**
   * Deflated bodies with a declared length up to `maxBody`, of samples up to `maxSample`, are
   * read whole and inflated in one call: far cheaper than streaming zlib, at the price of
   * holding body and sample in memory (default: 64 KiB bodies of samples up to 256 KiB).
   */
  readonly whole?: { readonly maxBody: number; readonly maxSample: number };
}

/** Facts about a decoded and verified sample. */
export interface DecodeResult {
  /** Decoded length in bytes. */
  readonly size: number;
  /** MD5 of the decoded sample, upper-case hex. */
  readonly md5: string;
  /** SHA-256 of the decoded sample, lower-case hex. */
  readonly sha256: string;
  /** Length of the body as received. */
  readonly bodyBytes: number;
}

/** Pulls body chunks, counting and hashing them, and checks the body once it has ended. */
class BodyReader {
  bytes = 0;
  ended = false;
  private readonly md5 = createHash('md5');
  private readonly iterator: AsyncIterator<Uint8Array>;

  constructor(
    input: AsyncIterable<Uint8Array>,
    private readonly spec: DecodeSpec,
  ) {
    // A stream must survive a refusal (an HTTP request still needs its answer), so stopping
    // early only detaches from it instead of destroying it.
    this.iterator =
      input instanceof Readable
        ? input.iterator({ destroyOnReturn: false })
        : input[Symbol.asyncIterator]();
  }

  async next(): Promise<Buffer | null> {
    let step: IteratorResult<Uint8Array>;
    try {
      step = await this.iterator.next();
    } catch (error) {
      if (error instanceof WireError) throw error;
      // The transport failed (connection reset, aborted request): the body did not arrive.
      this.ended = true;
      throw this.lost();
    }
    if (step.done) {
      this.ended = true;
      return null;
    }
    const value = step.value;
    const chunk = Buffer.isBuffer(value)
      ? value
      : Buffer.from(value.buffer, value.byteOffset, value.length);
    this.bytes += chunk.length;
    const declared = this.spec.contentLength;
    if (declared !== undefined && this.bytes > declared) {
      throw new WireError('overrun', [declared, this.bytes]);
    }
    this.md5.update(chunk);
    return chunk;
  }

  /** Checks that need the whole body: its length, then its checksum. */
  finish(): void {
    const declared = this.spec.contentLength;
    if (declared !== undefined && this.bytes < declared) throw this.lost();
    const expected = this.spec.contentChecksum?.toUpperCase();
    if (expected !== undefined) {
      const actual = this.md5.digest('hex').toUpperCase();
      if (actual !== expected) throw new WireError('content', [expected, actual]);
    }
  }

  /** Read the rest of the body (bounded by its declared length) and check it. */
  async drainAndFinish(): Promise<void> {
    while ((await this.next()) !== null) {
      // Only counted and hashed.
    }
    this.finish();
  }

  /** Stop reading early; a stream input is detached from, never destroyed. */
  async close(): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      await this.iterator.return?.();
    }
  }

  private lost(): WireError {
    const declared = this.spec.contentLength;
    return new WireError('lost', declared === undefined ? [this.bytes] : [declared, this.bytes]);
  }
}

/** Counts, bounds and hashes decoded output, and hands it on. */
class DecodedSink {
  size = 0;
  /** Hashes of output written in pieces; made on the first piece. */
  private streamed: { readonly md5: Hash; readonly sha256: Hash } | undefined;
  /** Digests of output written whole (`writeWhole`), taken in one call each. */
  private whole: { readonly md5: string; readonly sha256: string } | undefined;

  constructor(
    private readonly spec: DecodeSpec,
    private readonly onDecoded: ((chunk: Buffer) => void | Promise<void>) | undefined,
  ) {}

  async write(chunk: Buffer): Promise<void> {
    if (this.whole) throw new Error('decoded output written after the whole of it');
    this.count(chunk);
    this.streamed ??= { md5: createHash('md5'), sha256: createHash('sha256') };
    this.streamed.md5.update(chunk);
    this.streamed.sha256.update(chunk);
    if (this.onDecoded) await this.onDecoded(chunk);
  }

  /**
   * The whole decoded output in one buffer: hashed with one-shot calls, which for a small
   * sample cost about half of making, feeding and finishing a hash object.
   */
  async writeWhole(chunk: Buffer): Promise<void> {
    if (this.whole || this.streamed) throw new Error('decoded output written whole after more');
    this.count(chunk);
    this.whole = { md5: hash('md5', chunk, 'hex'), sha256: hash('sha256', chunk, 'hex') };
    if (this.onDecoded) await this.onDecoded(chunk);
  }

  finish(bodyBytes: number): DecodeResult {
    const { sampleSize } = this.spec;
    if (this.size < sampleSize) throw new WireError('underrun', [sampleSize, this.size]);
    const digests = this.whole ?? {
      md5: this.streamed ? this.streamed.md5.digest('hex') : hash('md5', EMPTY, 'hex'),
      sha256: this.streamed ? this.streamed.sha256.digest('hex') : hash('sha256', EMPTY, 'hex'),
    };
    const md5 = digests.md5.toUpperCase();
    const expected = this.spec.sampleChecksum.toUpperCase();
    if (md5 !== expected) throw new WireError('sample', [expected, md5]);
    return { size: this.size, md5, sha256: digests.sha256, bodyBytes };
  }

  /** Checked before anything is passed on, so a bomb never gets further than one slice. */
  private count(chunk: Buffer): void {
    const size = this.size + chunk.length;
    if (size > this.spec.sampleSize) throw new WireError('overrun', [this.spec.sampleSize, size]);
    this.size = size;
  }
}

const EMPTY = Buffer.alloc(0);

function asWireError(error: unknown): WireError {
  if (error instanceof WireError) return error;
  if (isZlibError(error)) return deflateError(error);
  // Anything else (a failing hook, a disk error) is the receiver's own trouble.
  const wrapped = new WireError('internal', [], 500);
  Object.defineProperty(wrapped, 'cause', { value: error, enumerable: false });
  return wrapped;
}

/** Largest declared body that `decodeSmallDeflate` takes whole. */
const SMALL_BODY = 64 * 1024;
/** Largest declared sample it inflates on the calling thread (well under a millisecond). */
const SMALL_SAMPLE = 256 * 1024;

function isSmallDeflate(
  spec: DecodeSpec,
  whole = { maxBody: SMALL_BODY, maxSample: SMALL_SAMPLE },
): boolean {
  return (
    spec.compression === 'deflate' &&
    spec.contentLength !== undefined &&
    spec.contentLength <= whole.maxBody &&
    spec.sampleSize <= whole.maxSample
  );
}

/**
 * `decodeSample` for a small deflated body with a declared length: read it whole, check it,
 * then inflate it in one synchronous call. Streaming zlib hands every chunk and the final flush
 * to libuv's thread pool, where a small sample's microseconds of inflating wait behind the
 * intake fsyncs queued there. Both the body and the output stay bounded (SMALL_BODY or the
 * caller's `whole` limit, and X-Sample-Size + 1 bytes of output), and every check and error is
 * the streaming one.
 */
async function decodeSmallDeflate(
  body: BodyReader,
  sink: DecodedSink,
  spec: DecodeSpec,
  base64: StrictBase64Decoder | null,
  onUnencoded: ((chunk: Buffer) => void | Promise<void>) | undefined,
  inPlace: boolean,
): Promise<DecodeResult> {
  const pieces: Buffer[] = [];
  for (;;) {
    const raw = await body.next();
    if (raw === null) break;
    const unencoded = base64 ? base64.push(raw) : raw;
    if (unencoded.length === 0) continue;
    if (onUnencoded) await onUnencoded(unencoded);
    pieces.push(unencoded);
  }
  // A short or damaged body explains a broken encoding better than the encoding does.
  body.finish();
  base64?.end();
  // A body that arrived in one piece of the decoder's own is unscrambled where it is; otherwise
  // a copy, since the pieces belong to the caller or were just handed to onUnencoded.
  const plain = inPlace && pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
  if (spec.scrambling !== null) xorVampishInPlace(plain, 0);
  let decoded: Buffer;
  try {
    // One output buffer with room for the declared size and one byte more: a sample of the
    // declared size comes back without zlib gathering pieces, and a longer one stops at once.
    decoded = inflateRawSync(plain, {
      chunkSize: Math.max(zlibConstants.Z_MIN_CHUNK, spec.sampleSize + 1),
      maxOutputLength: Math.max(1, spec.sampleSize),
    });
  } catch (error) {
    // zlib stops with a RangeError once the output passes maxOutputLength.
    if (error instanceof RangeError && !isZlibError(error)) {
      throw new WireError('overrun', [spec.sampleSize, spec.sampleSize + 1]);
    }
    throw error;
  }
  await sink.writeWhole(decoded);
  return sink.finish(body.bytes);
}

/**
 * Undo the sender's transforms while streaming, never holding the whole sample: body MD5
 * (`content`), base64, xor-vampish, bounded raw inflate (`overrun` as soon as the output passes
 * X-Sample-Size), then length (`underrun`) and MD5 (`sample`) of the result. A body cut short
 * of Content-Length is `lost`, a longer one `overrun`, an undecodable one `unpackage`. Every
 * failure is a WireError; a sample larger than `maxSampleSize` is refused before reading (413).
 */
export async function decodeSample(
  input: AsyncIterable<Uint8Array>,
  spec: DecodeSpec,
  hooks: DecodeHooks = {},
): Promise<DecodeResult> {
  if (spec.sampleSize > spec.maxSampleSize) {
    throw new WireError('overrun', [spec.maxSampleSize, spec.sampleSize], 413);
  }
  const body = new BodyReader(input, spec);
  const sink = new DecodedSink(spec, hooks.onDecoded?.bind(hooks));
  const base64 = spec.encoding === 'base64' ? new StrictBase64Decoder() : null;
  const onUnencoded = hooks.onUnencoded?.bind(hooks);
  const inPlace = hooks.ownsInput === true && onUnencoded === undefined && base64 === null;
  if (isSmallDeflate(spec, hooks.whole)) {
    try {
      return await decodeSmallDeflate(body, sink, spec, base64, onUnencoded, inPlace);
    } catch (error) {
      throw asWireError(error);
    } finally {
      await body.close();
    }
  }
  let xorOffset = 0;

  async function* unpacked(): AsyncGenerator<Buffer> {
    for (;;) {
      const raw = await body.next();
      if (raw === null) break;
      const unencoded = base64 ? base64.push(raw) : raw;
      if (unencoded.length === 0) continue;
      if (onUnencoded) await onUnencoded(unencoded);
      if (spec.scrambling === null) {
        yield unencoded;
        continue;
      }
      // Work on a copy unless the chunk is ours: otherwise it belongs to the caller or was just
      // handed to onUnencoded.
      let plain = unencoded;
      if (!inPlace) {
        plain = Buffer.allocUnsafe(unencoded.length);
        unencoded.copy(plain);
      }
      xorVampishInPlace(plain, xorOffset);
      xorOffset += plain.length;
      yield plain;
    }
    // A short or damaged body explains a broken encoding better than the encoding does.
    body.finish();
    base64?.end();
  }

  try {
    if (spec.compression === 'deflate') {
      await pipeline(
        unpacked(),
        createInflateRaw({ chunkSize: INFLATE_CHUNK_SIZE }),
        async (decoded: AsyncIterable<Buffer>) => {
          for await (const chunk of decoded) await sink.write(chunk);
        },
      );
    } else {
      for await (const chunk of unpacked()) await sink.write(chunk);
    }
  } catch (error) {
    const wire = asWireError(error);
    const declared = spec.contentLength;
    const decodedTooLong =
      wire.code === 'overrun' && declared !== undefined && body.bytes <= declared;
    if ((wire.code === 'unpackage' || decodedTooLong) && !body.ended && declared !== undefined) {
      // Damage in transit also makes a body undecodable or too long once decoded; read the
      // rest (bounded by its declared length) so that `lost` or `content` names the real
      // cause, as when the body is read whole first.
      try {
        await body.drainAndFinish();
      } catch (cause) {
        throw asWireError(cause);
      }
    }
    throw wire;
  } finally {
    await body.close();
  }
  return sink.finish(body.bytes);
}
