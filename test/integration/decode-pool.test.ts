/**
 * Receiving large bodies on decode threads: the same verdicts as `decodeSample`, the temp file
 * written as received (and removed when refused), and a fall-back to the event loop when the
 * threads cannot run.
 */
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { WireError } from '../../src-shared/catalog/errors.js';
import { encodeSample, md5Hex, sha256Hex, type DecodeSpec } from '../../src-main/codec/content.js';
import { DecodePool } from '../../src-main/codec/decode-pool.js';
import { tempDir } from '../helpers/temp.js';

const dir = tempDir('cq-decode-');
const pools: DecodePool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  fs.rmSync(dir, { recursive: true, force: true });
});

function pool(script?: string): DecodePool {
  const created = script === undefined ? new DecodePool(2) : new DecodePool(1, script);
  pools.push(created);
  return created;
}

/** A large deflated, scrambled body in 64 KiB pieces, as a socket would deliver it. */
function forward(bytes: Buffer, overrides: Partial<DecodeSpec> = {}) {
  const { body } = encodeSample(bytes);
  const spec: DecodeSpec = {
    compression: 'deflate',
    scrambling: 'xor-vampish',
    encoding: null,
    contentChecksum: md5Hex(body),
    sampleChecksum: md5Hex(bytes),
    sampleSize: bytes.length,
    maxSampleSize: 16 * 1024 * 1024,
    contentLength: body.length,
    ...overrides,
  };
  const chunks: Buffer[] = [];
  for (let i = 0; i < body.length; i += 65_536) chunks.push(body.subarray(i, i + 65_536));
  return { body, spec, pieces: Readable.from(chunks), first: chunks[0]! };
}

let n = 0;
const temp = (): string => path.join(dir, `${n++}.tmp`);

describe('DecodePool', () => {
  it('writes the body as received and reports what decodeSample would', async () => {
    const threads = pool();
    expect(threads.available).toBe(true);
    const bytes = randomBytes(700 * 1024);
    const { body, spec, pieces } = forward(bytes);
    const file = temp();
    const received = await threads.receive(pieces, spec, file);
    expect(received.result).toMatchObject({
      size: bytes.length,
      md5: md5Hex(bytes),
      sha256: sha256Hex(bytes),
      bodyBytes: body.length,
    });
    expect(received.storedSize).toBe(body.length);
    expect(fs.readFileSync(file).equals(body)).toBe(true);
    expect(threads.stats).toEqual({ received: 1, refused: 0 });
  });

  it.each([
    ['content', { contentChecksum: '0'.repeat(32) }],
    ['sample', { sampleChecksum: 'F'.repeat(32) }],
    ['overrun', { sampleSize: 700 * 1024 - 1 }],
    ['underrun', { sampleSize: 700 * 1024 + 1 }],
  ])('refuses with %s and removes the temp file', async (code, overrides) => {
    const threads = pool();
    const { spec, pieces } = forward(randomBytes(700 * 1024), overrides);
    const file = temp();
    const error = await threads.receive(pieces, spec, file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WireError);
    expect((error as WireError).code).toBe(code);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('a body cut short is lost', async () => {
    const threads = pool();
    const { spec, first } = forward(randomBytes(300 * 1024));
    async function* cut() {
      yield await Promise.resolve(first);
      throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    }
    const file = temp();
    const error = await threads.receive(cut(), spec, file).catch((e: unknown) => e);
    expect((error as WireError).code).toBe('lost');
    expect(fs.existsSync(file)).toBe(false);
  });

  it('a body cut short without a declared length is lost with every byte that arrived', async () => {
    const threads = pool();
    const { spec, first } = forward(randomBytes(300 * 1024));
    const { contentLength, ...undeclared } = spec;
    expect(contentLength).toBeGreaterThan(first.length);
    async function* cut() {
      yield await Promise.resolve(first);
      throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    }
    const file = temp();
    const error = await threads.receive(cut(), undeclared, file).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'lost', params: [first.length] });
    expect(fs.existsSync(file)).toBe(false);
  });

  it('receives a body four times the queue limit (the reader waits for the thread)', async () => {
    const threads = pool();
    const bytes = randomBytes(4 * 1024 * 1024);
    const { body, spec, pieces } = forward(bytes);
    const file = temp();
    const received = await threads.receive(pieces, spec, file);
    expect(received.result).toMatchObject({ size: bytes.length, sha256: sha256Hex(bytes) });
    expect(fs.readFileSync(file).equals(body)).toBe(true);
  });

  it('fails a body in flight when closed, and refuses bodies after', async () => {
    const threads = pool();
    const { spec, first } = forward(randomBytes(300 * 1024));
    let stalled: () => void = () => undefined;
    async function* stalls() {
      yield await Promise.resolve(first);
      await new Promise<void>((resolve) => (stalled = resolve));
    }
    const file = temp();
    const inFlight = threads.receive(stalls(), spec, file).catch((e: unknown) => e);
    // Wait until the thread holds the body, then stop the pool under it.
    await expect.poll(() => fs.existsSync(file)).toBe(true);
    await threads.close();
    expect(await inFlight).toMatchObject({ code: 'internal', httpStatus: 500 });
    stalled();
    expect(threads.available).toBe(false);
    await expect(
      threads.receive(forward(randomBytes(1024)).pieces, spec, temp()),
    ).rejects.toMatchObject({ code: 'internal' });
  });

  it('when threads cannot start, fails the body in flight and is no longer available', async () => {
    const script = path.join(dir, 'broken-worker.js');
    fs.writeFileSync(script, "throw new Error('cannot load');\n");
    const threads = pool(script);
    expect(threads.available).toBe(true);
    const { spec, pieces } = forward(randomBytes(300 * 1024));
    const error = await threads.receive(pieces, spec, temp()).catch((e: unknown) => e);
    expect((error as WireError).code).toBe('internal');
    expect((error as WireError).httpStatus).toBe(500);
    expect(threads.available).toBe(false);
  });

  it('is not available when its script is missing (sources not built)', () => {
    expect(pool(path.join(dir, 'no-such-worker.js')).available).toBe(false);
  });
});
