/**
 * The thread side of `decode-pool.ts`: for as many samples at a time as the pool hands it,
 * writes body bytes that arrive as messages to the sample's temp file (the as-received form is
 * the at-rest form) and runs `decodeSample` over them. Every check, limit and error is the one
 * `decodeSample` makes on the event loop. The temp file is fsynced before the answer, and
 * removed when the body is refused.
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { WireError } from '../../src-shared/catalog/errors.js';
import { decodeSample, type DecodeSpec } from './content.js';
import type { DecodeRequest, DecodeReply } from './decode-protocol.js';

/** Body bytes of one sample as they arrive, read by `decodeSample` as an async iterable. */
class Arrivals implements AsyncIterableIterator<Uint8Array> {
  private readonly chunks: Uint8Array[] = [];
  private ended = false;
  private failure: Error | undefined;
  private closed = false;
  private wake: (() => void) | undefined;

  constructor(private readonly consumed: (bytes: number) => void) {}

  push(chunk: Uint8Array): void {
    if (this.closed) return;
    this.chunks.push(chunk);
    this.signal();
  }

  end(): void {
    this.ended = true;
    this.signal();
  }

  /** The transport failed: reading fails as a lost connection does. */
  fail(reason: string): void {
    this.failure = new Error(reason);
    this.signal();
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      if (this.closed) return { done: true, value: undefined };
      const chunk = this.chunks.shift();
      if (chunk !== undefined) {
        this.consumed(chunk.length);
        return { done: false, value: chunk };
      }
      if (this.failure) throw this.failure;
      if (this.ended) return { done: true, value: undefined };
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** The decoder stopped early: drop what is queued and whatever still comes. */
  return(): Promise<IteratorResult<Uint8Array>> {
    this.closed = true;
    this.chunks.length = 0;
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** One body: its arrivals and its temp file. */
interface Body {
  readonly arrivals: Arrivals;
  readonly fd: number;
  written: number;
  /** A write failed: the decode is refused as the receiver's trouble. */
  failure?: Error;
}

/**
 * This thread's share of the memory for bodies read whole (set by the pool, which divides one
 * budget between its threads): inflating in one call costs less than half of what streaming
 * zlib does, so it is used while the share lasts.
 */
const WHOLE_BUDGET =
  typeof (workerData as { wholeBudget?: unknown } | null)?.wholeBudget === 'number'
    ? (workerData as { wholeBudget: number }).wholeBudget
    : 24 * 1024 * 1024;
/** Largest body (and sample) read whole. */
const WHOLE_MAX = 8 * 1024 * 1024;
let wholeInUse = 0;

/**
 * Take a body's share of the budget for reading it whole, or nothing (0) when it is too large,
 * has no declared length, or the budget is spent; then it is streamed. While read whole a body
 * is held twice (its pieces as they came, and joined into one) beside its decoded sample.
 */
function reserveWhole(spec: DecodeSpec): number {
  const { contentLength, sampleSize } = spec;
  if (contentLength === undefined || contentLength > WHOLE_MAX || sampleSize > WHOLE_MAX) return 0;
  const need = 2 * contentLength + sampleSize;
  if (wholeInUse + need > WHOLE_BUDGET) return 0;
  wholeInUse += need;
  return need;
}

/**
 * Largest single write. Measured on Linux 6.18 / ext4: one 1 MiB write into the page cache cost
 * 1.7–2.7 ms of kernel time, four 256 KiB writes of the same bytes 0.4–0.6 ms.
 */
const WRITE_BYTES = 256 * 1024;

function fsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
}

function close(fd: number): Promise<void> {
  return new Promise((resolve) => fs.close(fd, () => resolve()));
}

async function decodeBody(id: number, spec: DecodeSpec, tempPath: string): Promise<DecodeReply> {
  let fd: number;
  try {
    fd = fs.openSync(tempPath, 'wx', 0o600);
  } catch (error) {
    return { op: 'failed', id, message: `cannot create ${tempPath}: ${String(error)}` };
  }
  const arrivals = new Arrivals((bytes) => send({ op: 'consumed', id, bytes }));
  const body: Body = { arrivals, fd, written: 0 };
  bodies.set(id, body);
  const charge = reserveWhole(spec);
  let reply: DecodeReply;
  try {
    // The chunks are this thread's (moved here): unscrambling may happen in place, after the
    // bytes as received have gone to the file.
    const result = await decodeSample(arrivals, spec, {
      ownsInput: true,
      ...(charge > 0 ? { whole: { maxBody: WHOLE_MAX, maxSample: WHOLE_MAX } } : {}),
    });
    if (body.failure) throw body.failure;
    await fsync(fd);
    reply = { op: 'done', id, result, storedSize: body.written };
  } catch (error) {
    reply =
      error instanceof WireError && !body.failure
        ? {
            op: 'refused',
            id,
            code: error.code,
            params: [...error.params],
            status: error.httpStatus,
          }
        : { op: 'failed', id, message: String(body.failure ?? error) };
  } finally {
    wholeInUse -= charge;
    bodies.delete(id);
    await close(fd);
  }
  if (reply.op !== 'done') fs.rmSync(tempPath, { force: true });
  return reply;
}

const port = parentPort;
if (!port) throw new Error('decode-worker runs as a worker thread');
const bodies = new Map<number, Body>();
const send = (reply: DecodeReply): void => port.postMessage(reply);

port.on('message', (message: DecodeRequest) => {
  const { id } = message;
  if (message.op === 'start') {
    void decodeBody(id, message.spec, message.tempPath).then(send, (error: unknown) =>
      send({ op: 'failed', id, message: String(error) }),
    );
    return;
  }
  const body = bodies.get(id);
  if (!body) return;
  if (message.op === 'chunk') {
    if (!body.failure) {
      try {
        // Into the page cache only (the fsync comes once, at the end): short enough to do here.
        let offset = 0;
        while (offset < message.data.length) {
          const length = Math.min(WRITE_BYTES, message.data.length - offset);
          offset += fs.writeSync(body.fd, message.data, offset, length);
        }
        body.written += message.data.length;
      } catch (error) {
        body.failure = error as Error;
        body.arrivals.fail(String(error));
        return;
      }
    }
    body.arrivals.push(message.data);
  } else if (message.op === 'end') body.arrivals.end();
  else body.arrivals.fail(message.reason);
});
