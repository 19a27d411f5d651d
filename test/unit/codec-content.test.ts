import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { WireError } from '../../src-shared/catalog/errors.js';
import { contentPlanFromHeaders, xorVampish } from '../../src-shared/codec/transforms.js';
import {
  createBlobDecoder,
  createBlobEncoder,
  decodeBlob,
  decodeSample,
  encodeBlob,
  encodeSample,
  md5Hex,
  sha256Hex,
  type DecodeSpec,
} from '../../src-main/codec/content.js';
import { INFLATE_CHUNK_SIZE } from '../../src-main/codec/blob.js';

const MiB = 1024 * 1024;

/** Sample-like bytes: compressible text mixed with noise, deterministic per size. */
function sampleBytes(size: number): Buffer {
  const out = Buffer.alloc(size);
  const noise = createHash('sha256').update(String(size)).digest();
  for (let i = 0; i < size; i++)
    out[i] = i % 97 < 60 ? 0x41 + (i % 26) : noise[i % 32]! ^ (i & 0xff);
  return out;
}

/** Let the event loop run, as it does between two packets of a real body. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A body as a network would deliver it: asynchronously, in slices of `size` bytes. */
async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) {
    await nextTurn();
    yield bytes.subarray(i, i + size);
  }
}

/** The decode spec a receiver derives from the sender's headers. */
function specFor(
  headers: Record<string, string>,
  body: Buffer,
  over: Partial<DecodeSpec> = {},
): DecodeSpec {
  const plan = contentPlanFromHeaders((name) => headers[name]);
  return {
    compression: plan.compression,
    scrambling: plan.scrambling,
    encoding: plan.encoding,
    ...(headers['X-Content-Checksum'] ? { contentChecksum: headers['X-Content-Checksum'] } : {}),
    sampleChecksum: headers['X-Sample-Checksum']!,
    sampleSize: Number(headers['X-Sample-Size']),
    maxSampleSize: 64 * MiB,
    contentLength: body.length,
    ...over,
  };
}

async function decodeError(
  input: AsyncIterable<Uint8Array>,
  spec: DecodeSpec,
  hooks?: Parameters<typeof decodeSample>[2],
): Promise<WireError> {
  try {
    await decodeSample(input, spec, hooks);
  } catch (error) {
    expect(error).toBeInstanceOf(WireError);
    return error as WireError;
  }
  throw new Error('decodeSample did not fail');
}

const COMBINATIONS = [false, true].flatMap((compress) =>
  [false, true].flatMap((scramble) =>
    [false, true].map((base64) => ({ compress, scramble, base64 })),
  ),
);
const SIZES = [0, 1, 4096, 3 * MiB];
const ROUND_TRIPS = COMBINATIONS.flatMap((opts) => SIZES.map((size) => [opts, size] as const));

describe('encodeSample', () => {
  it('defaults to deflate + xor-vampish without base64', () => {
    const bytes = sampleBytes(5000);
    const { body, headers } = encodeSample(bytes);
    expect(headers).toEqual({
      'X-Checksum-Method': 'md5',
      'X-Content-Compression': 'deflate',
      'X-Content-Scrambling': 'xor-vampish',
      'X-Content-Checksum': md5Hex(body),
      'X-Sample-Checksum': md5Hex(bytes),
      'X-Sample-Size': '5000',
    });
    expect(body.length).toBeLessThan(bytes.length);
    // The default wire form is the at-rest form.
    expect(body).toEqual(encodeBlob(bytes));
  });

  it.each(COMBINATIONS)('names exactly the transforms applied: %o', (opts) => {
    const bytes = sampleBytes(100);
    const { body, headers } = encodeSample(bytes, opts);
    expect(headers['X-Content-Compression']).toBe(opts.compress ? 'deflate' : undefined);
    expect(headers['X-Content-Scrambling']).toBe(opts.scramble ? 'xor-vampish' : undefined);
    expect(headers['X-Content-Encoding']).toBe(opts.base64 ? 'base64' : undefined);
    expect(headers['X-Content-Checksum']).toBe(md5Hex(body));
    if (opts.base64) expect(body.toString('latin1')).toMatch(/^[A-Za-z0-9+/]+=*$/);
    if (!opts.compress && !opts.scramble && !opts.base64) expect(body).toEqual(bytes);
  });

  it('does not modify the caller’s bytes', () => {
    const bytes = sampleBytes(1000);
    const copy = Buffer.from(bytes);
    encodeSample(bytes, { compress: false, scramble: true });
    expect(bytes).toEqual(copy);
  });

  it('leaves out the content headers for an empty body', () => {
    const { body, headers } = encodeSample(Buffer.alloc(0), { compress: false, scramble: true });
    expect(body.length).toBe(0);
    expect(headers).toEqual({
      'X-Sample-Checksum': 'D41D8CD98F00B204E9800998ECF8427E',
      'X-Sample-Size': '0',
    });
  });
});

describe('decodeSample round trips', () => {
  it.each(ROUND_TRIPS)('%o with %i bytes', async (opts, size) => {
    const bytes = sampleBytes(size);
    const { body, headers } = encodeSample(bytes, opts);
    const decoded: Buffer[] = [];
    const unencoded: Buffer[] = [];
    const result = await decodeSample(chunked(body, 65_521), specFor(headers, body), {
      onDecoded: (chunk) => {
        decoded.push(Buffer.from(chunk));
      },
      onUnencoded: async (chunk) => {
        await Promise.resolve();
        unencoded.push(Buffer.from(chunk));
      },
    });
    expect(result).toEqual({
      size,
      md5: md5Hex(bytes),
      sha256: sha256Hex(bytes),
      bodyBytes: body.length,
    });
    // Buffer.equals, because a deep comparison of megabytes is needlessly slow.
    expect(Buffer.concat(decoded).equals(bytes)).toBe(true);
    const withoutBase64 = encodeSample(bytes, { ...opts, base64: false }).body;
    expect(Buffer.concat(unencoded).equals(withoutBase64)).toBe(true);
  });

  it('decodes a body delivered one byte at a time', async () => {
    const bytes = sampleBytes(3000);
    const { body, headers } = encodeSample(bytes, { base64: true });
    const result = await decodeSample(chunked(body, 1), specFor(headers, body));
    expect(result.md5).toBe(md5Hex(bytes));
  });

  it('accepts checksums in lower case and no Content-Length', async () => {
    const bytes = sampleBytes(2000);
    const { body, headers } = encodeSample(bytes);
    const spec = specFor(headers, body, {
      contentChecksum: headers['X-Content-Checksum']!.toLowerCase(),
      sampleChecksum: headers['X-Sample-Checksum']!.toLowerCase(),
      contentLength: undefined,
    });
    await expect(decodeSample(chunked(body, 500), spec)).resolves.toMatchObject({ size: 2000 });
  });

  it('hands the at-rest form to onUnencoded for deflate + xor-vampish bodies', async () => {
    const bytes = sampleBytes(200_000);
    const { body, headers } = encodeSample(bytes, { base64: true });
    const stored: Buffer[] = [];
    await decodeSample(chunked(body, 4096), specFor(headers, body), {
      onUnencoded: (chunk) => {
        stored.push(chunk);
      },
    });
    expect(decodeBlob(Buffer.concat(stored)).equals(bytes)).toBe(true);
  });

  it('waits for each hook before going on', async () => {
    const bytes = randomBytes(2 * MiB);
    const { body, headers } = encodeSample(bytes);
    let inFlight = 0;
    let maxInFlight = 0;
    let calls = 0;
    await decodeSample(chunked(body, 16_384), specFor(headers, body), {
      onDecoded: async () => {
        calls++;
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
      },
    });
    expect(calls).toBeGreaterThan(1);
    expect(maxInFlight).toBe(1);
  });

  it('reads from a Node stream', async () => {
    const bytes = sampleBytes(100_000);
    const { body, headers } = encodeSample(bytes);
    const result = await decodeSample(Readable.from([body]), specFor(headers, body));
    expect(result.sha256).toBe(sha256Hex(bytes));
  });
});

/** Deflate stream of `mib` MiB of zeros, built from one repeated full-flush block. */
function* zeroBomb(mib: number, scramble = false): Generator<Buffer> {
  const block = deflateRawSync(Buffer.alloc(MiB), { finishFlush: zlibConstants.Z_FULL_FLUSH });
  let offset = 0;
  const emit = (chunk: Buffer): Buffer => {
    const out = scramble ? Buffer.from(xorVampish(chunk, offset)) : chunk;
    offset += chunk.length;
    return out;
  };
  for (let i = 0; i < mib; i++) yield emit(block);
  yield emit(Buffer.from([0x03, 0x00]));
}

describe('decodeSample errors', () => {
  const bytes = sampleBytes(10_000);

  it('content: the body does not match X-Content-Checksum', async () => {
    const { body, headers } = encodeSample(bytes, { compress: false, scramble: true });
    const damaged = Buffer.from(body);
    damaged[5000] = damaged[5000]! ^ 1;
    const error = await decodeError(chunked(damaged, 4096), specFor(headers, damaged));
    expect(error.code).toBe('content');
    expect(error.params).toEqual([headers['X-Content-Checksum'], md5Hex(damaged)]);
    expect(error.httpStatus).toBe(400);
  });

  it('content rather than unpackage when a damaged deflate body cannot be inflated', async () => {
    const { body, headers } = encodeSample(randomBytes(50_000), { scramble: false });
    const damaged = Buffer.from(body);
    damaged.fill(0xff, 0, 64);
    const error = await decodeError(chunked(damaged, 1000), specFor(headers, damaged));
    expect(error.code).toBe('content');
  });

  it('sample: the decoded bytes do not match X-Sample-Checksum', async () => {
    const { body, headers } = encodeSample(bytes);
    const wrong = 'AB'.repeat(16);
    const error = await decodeError(
      chunked(body, 4096),
      specFor(headers, body, { sampleChecksum: wrong.toLowerCase() }),
    );
    expect(error.code).toBe('sample');
    expect(error.params).toEqual([wrong, md5Hex(bytes)]);
  });

  it('overrun: a deflate bomb stops at the first slice past X-Sample-Size', async () => {
    let pulled = 0;
    let bodyBytes = 0;
    async function* bomb(): AsyncGenerator<Buffer> {
      for (const chunk of zeroBomb(10)) {
        await nextTurn();
        pulled++;
        bodyBytes += chunk.length;
        yield chunk;
      }
    }
    let delivered = 0;
    const error = await decodeError(
      bomb(),
      {
        compression: 'deflate',
        scrambling: null,
        encoding: null,
        sampleChecksum: md5Hex(Buffer.alloc(1000)),
        sampleSize: 1000,
        maxSampleSize: 64 * MiB,
      },
      {
        onDecoded: (chunk) => {
          delivered += chunk.length;
        },
      },
    );
    expect(error.code).toBe('overrun');
    expect(error.params[0]).toBe(1000);
    // The count reported is what had been inflated when decoding stopped: one slice, not 10 MiB.
    expect(Number(error.params[1])).toBeGreaterThan(1000);
    expect(Number(error.params[1])).toBeLessThanOrEqual(1000 + INFLATE_CHUNK_SIZE);
    expect(delivered).toBeLessThanOrEqual(1000);
    expect(pulled).toBeGreaterThan(0);
    expect(bodyBytes).toBeLessThan(11 * 1040);
  });

  it('overrun: a 1 GiB bomb is refused after reading only the start of its body', async () => {
    const totalChunks = 1024 + 1;
    let pulled = 0;
    async function* bomb(): AsyncGenerator<Buffer> {
      for (const chunk of zeroBomb(1024, true)) {
        await nextTurn();
        pulled++;
        yield chunk;
      }
    }
    const before = process.memoryUsage().arrayBuffers;
    const error = await decodeError(bomb(), {
      compression: 'deflate',
      scrambling: 'xor-vampish',
      encoding: null,
      sampleChecksum: md5Hex(Buffer.alloc(0)),
      sampleSize: 1000,
      maxSampleSize: 64 * MiB,
    });
    expect(error.code).toBe('overrun');
    expect(pulled).toBeLessThan(totalChunks / 4);
    // Nothing near the gigabyte the body would have inflated to was ever held.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * MiB);
  });

  it('overrun: more decoded bytes than declared, without compression', async () => {
    const { body, headers } = encodeSample(bytes, { compress: false });
    const error = await decodeError(
      chunked(body, 3000),
      specFor(headers, body, { sampleSize: 5000 }),
    );
    expect(error.code).toBe('overrun');
    expect(error.params).toEqual([5000, 6000]);
  });

  it('overrun: a body longer than Content-Length', async () => {
    const { body, headers } = encodeSample(bytes, { compress: false, scramble: false });
    const error = await decodeError(
      chunked(body, 4096),
      specFor(headers, body, { contentLength: 4000 }),
    );
    expect(error.code).toBe('overrun');
    expect(error.params).toEqual([4000, 4096]);
  });

  it('overrun (413): a declared size beyond the receiver’s limit is refused before reading', async () => {
    let pulled = false;
    async function* body(): AsyncGenerator<Buffer> {
      pulled = true;
      await nextTurn();
      yield Buffer.alloc(1);
    }
    const error = await decodeError(body(), {
      compression: null,
      scrambling: null,
      encoding: null,
      sampleChecksum: md5Hex(Buffer.alloc(0)),
      sampleSize: 2000,
      maxSampleSize: 1000,
    });
    expect(error).toMatchObject({ code: 'overrun', params: [1000, 2000], httpStatus: 413 });
    expect(pulled).toBe(false);
  });

  it('underrun: fewer decoded bytes than X-Sample-Size', async () => {
    const { body, headers } = encodeSample(bytes);
    const error = await decodeError(
      chunked(body, 4096),
      specFor(headers, body, { sampleSize: 12_000 }),
    );
    expect(error.code).toBe('underrun');
    expect(error.params).toEqual([12_000, 10_000]);
  });

  it('lost: the body ends before Content-Length', async () => {
    const { body, headers } = encodeSample(bytes, { compress: false });
    const cut = body.subarray(0, 6000);
    const error = await decodeError(chunked(cut, 4096), specFor(headers, body));
    expect(error.code).toBe('lost');
    expect(error.params).toEqual([10_000, 6000]);
  });

  it('lost: a cut deflate body is reported as lost, not as undecodable', async () => {
    const { body, headers } = encodeSample(randomBytes(50_000));
    const error = await decodeError(
      chunked(body.subarray(0, 20_000), 4096),
      specFor(headers, body),
    );
    expect(error).toMatchObject({ code: 'lost', params: [body.length, 20_000] });
  });

  it('lost: the connection fails mid-body', async () => {
    const { body, headers } = encodeSample(bytes);
    async function* broken(): AsyncGenerator<Buffer> {
      await nextTurn();
      yield body.subarray(0, 100);
      throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    }
    const error = await decodeError(broken(), specFor(headers, body));
    expect(error).toMatchObject({ code: 'lost', params: [body.length, 100] });
  });

  it('unpackage: garbage instead of a deflate stream', async () => {
    const garbage = Buffer.from('this is not a deflate stream at all, not even close');
    const error = await decodeError(chunked(garbage, 10), {
      compression: 'deflate',
      scrambling: null,
      encoding: null,
      contentChecksum: md5Hex(garbage),
      sampleChecksum: md5Hex(bytes),
      sampleSize: bytes.length,
      maxSampleSize: MiB,
      contentLength: garbage.length,
    });
    expect(error).toMatchObject({ code: 'unpackage', httpStatus: 400 });
    expect(error.params[0]).toBe('deflate');
    expect(error.params[1]).toMatch(/^[a-z0-9-]+$/);
  });

  it('unpackage: a deflate stream that stops short although the body is whole', async () => {
    const whole = deflateRawSync(bytes);
    const short = whole.subarray(0, whole.length - 20);
    const error = await decodeError(chunked(short, 1000), {
      compression: 'deflate',
      scrambling: null,
      encoding: null,
      contentChecksum: md5Hex(short),
      sampleChecksum: md5Hex(bytes),
      sampleSize: bytes.length,
      maxSampleSize: MiB,
      contentLength: short.length,
    });
    expect(error).toMatchObject({
      code: 'unpackage',
      params: ['deflate', 'unexpected-end-of-file'],
    });
  });

  it.each([
    ['an invalid character', 'Zm9v*mFy', /^invalid-character-0x2a-at-4$/],
    ['misplaced padding', 'Zm9v=mFy', /^misplaced-padding$/],
    ['data after padding', 'Zg==Zg==', /^data-after-padding$/],
    ['a truncated group', 'Zm9vYmF', /^truncated-group$/],
  ])('unpackage: base64 with %s', async (_, text, detail) => {
    const body = Buffer.from(text, 'latin1');
    const error = await decodeError(chunked(body, 3), {
      compression: null,
      scrambling: null,
      encoding: 'base64',
      contentChecksum: md5Hex(body),
      sampleChecksum: md5Hex(Buffer.from('foobar')),
      sampleSize: 6,
      maxSampleSize: MiB,
      contentLength: body.length,
    });
    expect(error.code).toBe('unpackage');
    expect(error.params[0]).toBe('base64');
    expect(String(error.params[1])).toMatch(detail);
  });

  it('internal (500): a failing hook', async () => {
    const { body, headers } = encodeSample(bytes);
    const error = await decodeError(chunked(body, 4096), specFor(headers, body), {
      onDecoded: () => Promise.reject(new Error('disk full')),
    });
    expect(error).toMatchObject({ code: 'internal', httpStatus: 500 });
    expect((error as Error & { cause?: Error }).cause?.message).toBe('disk full');
  });

  it('a WireError from a hook is passed through unchanged', async () => {
    const { body, headers } = encodeSample(bytes);
    const quota = new WireError('declined', ['quota'], 507);
    const error = await decodeError(chunked(body, 4096), specFor(headers, body), {
      onUnencoded: () => {
        throw quota;
      },
    });
    expect(error).toBe(quota);
  });

  it('leaves a stream input open after an early refusal so the answer can still be sent', async () => {
    const { body, headers } = encodeSample(bytes, { compress: false, scramble: false });
    const stream = new Readable({ read() {} });
    stream.push(body.subarray(0, 4000));
    stream.push(body.subarray(4000, 8000));
    // The declared length is passed with the second chunk; the rest is still unread.
    const error = await decodeError(stream, specFor(headers, body, { contentLength: 6000 }));
    expect(error).toMatchObject({ code: 'overrun', params: [6000, 8000] });
    expect(stream.destroyed).toBe(false);
    stream.push(body.subarray(8000));
    stream.push(null);
    let rest = 0;
    for await (const chunk of stream) rest += (chunk as Buffer).length;
    expect(rest).toBe(body.length - 8000);
  });
});

describe('decodeSample reading a body whole', () => {
  const WHOLE = { maxBody: 8 * MiB, maxSample: 8 * MiB };

  it.each([0, 1, 4096, 300_000, 2 * MiB])(
    'a %i-byte sample in one owned piece decodes to its own digests',
    async (size) => {
      const bytes = sampleBytes(size);
      const { body, headers } = encodeSample(bytes);
      const spec = specFor(headers, body);
      const result = await decodeSample(chunked(Buffer.from(body), body.length || 1), spec, {
        ownsInput: true,
        whole: WHOLE,
      });
      expect(result).toEqual({
        size,
        md5: md5Hex(bytes),
        sha256: sha256Hex(bytes),
        bodyBytes: body.length,
      });
    },
  );

  it.each([
    ['one byte more', 4096, 4097],
    ['far more', 4096, 3 * MiB],
    ['one byte, none declared', 0, 1],
    ['a lot, none declared', 0, 70_000],
  ])(
    'overrun with %s: params are the declared size and one past it',
    async (_, declared, actual) => {
      const bytes = sampleBytes(actual);
      const { body, headers } = encodeSample(bytes);
      const spec = specFor(headers, body, { sampleSize: declared });
      const error = await decodeError(chunked(body, 65_536), spec, {
        ownsInput: true,
        whole: WHOLE,
      });
      expect(error).toMatchObject({ code: 'overrun', params: [declared, declared + 1] });
    },
  );

  // The decode threads read bodies whole within their memory budget and stream them beyond it;
  // the same body must get the same verdict either way.
  it.each([
    ['too long once decoded', 'overrun', {}, 0],
    ['too long and damaged', 'content', { contentChecksum: '0'.repeat(32) }, 0],
    ['too long and cut short', 'lost', {}, 1000],
  ] as const)('%s: %s, read whole or streamed', async (_, code, overrides, missing) => {
    const bytes = randomBytes(300_000);
    const { body, headers } = encodeSample(bytes);
    // Far too long: streaming finds it in the first slice, long before the body has ended.
    const spec = specFor(headers, body, { sampleSize: 1000, ...overrides });
    const sent = body.subarray(0, body.length - missing);
    const whole = await decodeError(chunked(Buffer.from(sent), 65_536), spec, {
      ownsInput: true,
      whole: WHOLE,
    });
    const streamed = await decodeError(chunked(sent, 65_536), spec);
    expect(whole.code).toBe(code);
    expect(streamed.code).toBe(code);
  });

  it('underrun: fewer bytes than declared', async () => {
    const bytes = sampleBytes(5000);
    const { body, headers } = encodeSample(bytes);
    const spec = specFor(headers, body, { sampleSize: 5001 });
    const error = await decodeError(chunked(body, 1000), spec, { whole: WHOLE });
    expect(error).toMatchObject({ code: 'underrun', params: [5001, 5000] });
  });

  it('leaves pieces it does not own untouched', async () => {
    const bytes = sampleBytes(100_000);
    const { body, headers } = encodeSample(bytes);
    const copy = Buffer.from(body);
    await decodeSample(chunked(body, body.length), specFor(headers, body), { whole: WHOLE });
    expect(body.equals(copy)).toBe(true);
  });
});

describe('at-rest blobs', () => {
  it.each([0, 1, 4096, 300_000])('encodeBlob / decodeBlob round-trip %i bytes', (size) => {
    const bytes = sampleBytes(size);
    const stored = encodeBlob(bytes);
    expect(decodeBlob(stored).equals(bytes)).toBe(true);
    // Never the runnable form on disk.
    if (size > 0) expect(stored.includes(bytes.subarray(0, Math.min(size, 16)))).toBe(false);
  });

  it('stores deflate then xor-vampish from offset 0', () => {
    const bytes = sampleBytes(5000);
    expect(Buffer.from(xorVampish(encodeBlob(bytes), 0))).toEqual(deflateRawSync(bytes));
  });

  it('decodeBlob refuses damaged blobs and bombs', () => {
    expect(() => decodeBlob(Buffer.from(xorVampish(Buffer.from('garbage!'), 0)))).toThrow(
      expect.objectContaining({ code: 'unpackage' }),
    );
    const bomb = Buffer.concat([...zeroBomb(4, true)]);
    expect(() => decodeBlob(bomb, 1000)).toThrow(expect.objectContaining({ code: 'overrun' }));
    expect(decodeBlob(bomb, 4 * MiB)).toHaveLength(4 * MiB);
  });

  it('stream encoder and decoder agree with the one-shot forms', async () => {
    const bytes = randomBytes(3 * MiB);
    const stored: Buffer[] = [];
    await pipeline(
      chunked(bytes, 100_000),
      createBlobEncoder(),
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          stored.push(chunk);
          callback();
        },
      }),
    );
    const blob = Buffer.concat(stored);
    expect(decodeBlob(blob).equals(bytes)).toBe(true);

    const decoded: Buffer[] = [];
    await pipeline(
      chunked(encodeBlob(bytes), 7777),
      createBlobDecoder(3 * MiB),
      async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) {
          decoded.push(chunk);
          // A slow reader: the decoder has to wait instead of buffering everything.
          await new Promise((resolve) => setImmediate(resolve));
        }
      },
    );
    expect(Buffer.concat(decoded).equals(bytes)).toBe(true);
  });

  it('stream decoder stops a bomb at its limit', async () => {
    let received = 0;
    const run = pipeline(
      Readable.from(zeroBomb(64, true)),
      createBlobDecoder(10_000),
      async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) received += chunk.length;
      },
    );
    await expect(run).rejects.toMatchObject({
      code: 'overrun',
      params: [10_000, expect.any(Number)],
    });
    expect(received).toBeLessThanOrEqual(10_000);
  });

  it('stream decoder reports damaged blobs as unpackage', async () => {
    const run = pipeline(
      Readable.from([Buffer.from(xorVampish(Buffer.from('not deflate data'), 0))]),
      createBlobDecoder(),
      async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) void chunk;
      },
    );
    await expect(run).rejects.toMatchObject({
      code: 'unpackage',
      params: ['deflate', 'invalid-block-type'],
    });
  });

  it.each([
    [
      '',
      'D41D8CD98F00B204E9800998ECF8427E',
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    ],
    [
      'abc',
      '900150983CD24FB0D6963F7D28E17F72',
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    ],
  ])('md5Hex / sha256Hex of %j', (input, md5, sha256) => {
    expect(md5Hex(Buffer.from(input))).toBe(md5);
    expect(sha256Hex(Buffer.from(input))).toBe(sha256);
  });
});
