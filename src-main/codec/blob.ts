/**
 * The at-rest form of sample content (SPEC §5): raw deflate, then xor-vampish from offset 0 —
 * the same bytes as a deflate + xor-vampish wire body, so intake can store those as received.
 */
import { hash } from 'node:crypto';
import { createDeflateRaw, createInflateRaw, deflateRawSync, inflateRawSync } from 'node:zlib';
import { Transform, type TransformCallback } from 'node:stream';
import { WireError } from '../../src-shared/catalog/errors.js';
import { xorVampishInPlace } from '../../src-shared/codec/transforms.js';

/** Output slice size for inflating: big enough to be fast, small enough to stop bombs early. */
export const INFLATE_CHUNK_SIZE = 128 * 1024;

/** MD5 of `bytes` as 32 upper-case hex digits (the form the attributes use). */
export function md5Hex(bytes: Uint8Array): string {
  return hash('md5', bytes, 'hex').toUpperCase();
}

/** SHA-256 of `bytes` as 64 lower-case hex digits (the blob naming of SPEC §5). */
export function sha256Hex(bytes: Uint8Array): string {
  return hash('sha256', bytes, 'hex');
}

/** True for errors raised by zlib (they carry a `Z_…` code). */
export function isZlibError(error: unknown): error is Error & { code: string } {
  if (!(error instanceof Error)) return false;
  const code: unknown = (error as Error & { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/** `unpackage deflate <reason>` for a stream zlib could not inflate. */
export function deflateError(error: Error): WireError {
  const reason = error.message
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return new WireError('unpackage', ['deflate', reason || 'invalid-stream']);
}

/**
 * A zlib engine with xor-vampish in front (decode) or behind (encode). Output is pushed with
 * back-pressure: when the reader falls behind, the engine is paused, and zlib itself stops
 * inflating inside a chunk once its own buffer is full, so memory stays bounded.
 */
class ScrambledZlib extends Transform {
  private readonly engine: Transform;
  private xorOffset = 0;
  private produced = 0;

  constructor(
    private readonly mode: 'encode' | 'decode',
    private readonly maxOutput: number,
  ) {
    super();
    this.engine =
      mode === 'encode' ? createDeflateRaw() : createInflateRaw({ chunkSize: INFLATE_CHUNK_SIZE });
    this.engine.on('data', (chunk: Buffer) => this.fromEngine(chunk));
    this.engine.on('error', (error: Error) => {
      this.destroy(mode === 'decode' && isZlibError(error) ? deflateError(error) : error);
    });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let input = chunk;
    if (this.mode === 'decode') {
      // Never scribble on the caller's buffer.
      input = Buffer.allocUnsafe(chunk.length);
      chunk.copy(input);
      xorVampishInPlace(input, this.xorOffset);
      this.xorOffset += input.length;
    }
    // On failure the engine's 'error' handler destroys this stream; no callback is due then.
    this.engine.write(input, (error) => {
      if (!error) callback();
    });
  }

  override _flush(callback: TransformCallback): void {
    this.engine.once('end', () => callback());
    this.engine.end();
  }

  override _read(size: number): void {
    if (this.engine.isPaused()) this.engine.resume();
    super._read(size);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.engine.destroy();
    callback(error);
  }

  private fromEngine(chunk: Buffer): void {
    this.produced += chunk.length;
    if (this.produced > this.maxOutput) {
      this.destroy(new WireError('overrun', [this.maxOutput, this.produced]));
      return;
    }
    if (this.mode === 'encode') {
      // zlib hands out fresh slices it never writes again, so scrambling in place is safe.
      xorVampishInPlace(chunk, this.xorOffset);
      this.xorOffset += chunk.length;
    }
    if (!this.push(chunk)) this.engine.pause();
  }
}

/** Transform: plain sample bytes in, at-rest blob bytes out. */
export function createBlobEncoder(): Transform {
  return new ScrambledZlib('encode', Number.POSITIVE_INFINITY);
}

/**
 * Transform: at-rest blob bytes in, plain sample bytes out. Fails with `overrun <max> <n>` as
 * soon as the output passes `maxOutput`, and with `unpackage deflate …` on a damaged blob.
 */
export function createBlobDecoder(maxOutput = Number.POSITIVE_INFINITY): Transform {
  return new ScrambledZlib('decode', maxOutput);
}

/** Encode a whole sample into its at-rest form. */
export function encodeBlob(bytes: Uint8Array): Buffer {
  const stored = deflateRawSync(bytes);
  xorVampishInPlace(stored, 0);
  return stored;
}

/**
 * Decode a whole at-rest blob. `maxOutput` bounds the result (`overrun`); a damaged blob is
 * `unpackage deflate …`.
 */
export function decodeBlob(stored: Uint8Array, maxOutput?: number): Buffer {
  const input = Buffer.from(stored);
  xorVampishInPlace(input, 0);
  let output: Buffer;
  try {
    output = inflateRawSync(
      input,
      maxOutput === undefined ? {} : { maxOutputLength: Math.max(1, maxOutput) },
    );
  } catch (error) {
    if (isZlibError(error)) throw deflateError(error);
    // zlib stops with a RangeError once the output would pass maxOutputLength.
    if (error instanceof RangeError && maxOutput !== undefined) {
      throw new WireError('overrun', [maxOutput, maxOutput + 1]);
    }
    throw error;
  }
  if (maxOutput !== undefined && output.length > maxOutput) {
    throw new WireError('overrun', [maxOutput, output.length]);
  }
  return output;
}
