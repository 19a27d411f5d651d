/**
 * Digests of streamed sample bytes (MD5, SHA-256), computed either on the calling thread or,
 * for large samples, on a worker thread. Receiving a large sample hashes every byte three
 * times (body MD5, decoded MD5 and SHA-256): that is most of the event loop's work for it and,
 * unlike inflating, Node offers no asynchronous incremental hash, so it would otherwise keep a
 * second core idle while the event loop is saturated.
 */
import { createHash, type Hash } from 'node:crypto';
import os from 'node:os';
import { Worker } from 'node:worker_threads';

/** Running digests of one byte stream. */
export interface Digests {
  /** Add bytes; the promise (if any) is back-pressure and must be awaited before more. */
  update(chunk: Buffer): void | Promise<void>;
  /** Lower-case hex digests, in the order of the algorithms asked for. */
  digest(): Promise<string[]>;
  /** Forget the stream without a result (the decode failed). */
  discard(): void;
}

/** Hash on the calling thread: the cheap choice for small inputs. */
export function inlineDigests(algorithms: readonly string[]): Digests {
  const hashes: Hash[] = algorithms.map((a) => createHash(a));
  return {
    update: (chunk) => {
      for (const hash of hashes) hash.update(chunk);
    },
    digest: () => Promise.resolve(hashes.map((h) => h.digest('hex'))),
    discard: () => undefined,
  };
}

/** Bytes copied together into one message to the worker. */
const MESSAGE_BYTES = 256 * 1024;
/** Bytes a stream may have in the worker's queue before `update` waits. */
const MAX_QUEUED = 2 * 1024 * 1024;

// A CommonJS script run with `eval`, so that it works the same from src (tests) and dist.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const streams = new Map();
parentPort.on('message', (m) => {
  let hashes = streams.get(m.id);
  if (m.op === 'drop') { streams.delete(m.id); return; }
  if (!hashes) { hashes = m.algorithms.map((a) => createHash(a)); streams.set(m.id, hashes); }
  if (m.op === 'update') {
    for (const hash of hashes) hash.update(m.data);
    parentPort.postMessage({ id: m.id, done: m.data.length });
  } else {
    streams.delete(m.id);
    parentPort.postMessage({ id: m.id, hex: hashes.map((h) => h.digest('hex')) });
  }
});
`;

type Reply = { id: number; done: number } | { id: number; hex: string[] };

interface StreamState {
  queued: number;
  wake: (() => void) | undefined;
  result: { resolve: (hex: string[]) => void; reject: (error: unknown) => void } | undefined;
}

/** One hashing thread and the streams it serves. */
class HashThread {
  private readonly worker: Worker;
  private readonly streams = new Map<number, StreamState>();
  private failure: Error | undefined;

  constructor(private readonly onDead: (thread: HashThread) => void) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.on('message', (reply: Reply) => this.receive(reply));
    this.worker.on('error', (error) => this.die(error));
    this.worker.on('exit', (code) =>
      this.die(new Error(`hashing thread exited with code ${code}`)),
    );
    // A hashing thread must not keep a finished process alive. After the listeners: adding a
    // 'message' listener refs the worker's port again.
    this.worker.unref();
  }

  get load(): number {
    return this.streams.size;
  }

  open(id: number): StreamState {
    if (this.failure) throw this.failure;
    const state: StreamState = { queued: 0, wake: undefined, result: undefined };
    this.streams.set(id, state);
    return state;
  }

  post(message: Record<string, unknown>, transfer?: ArrayBuffer[]): void {
    if (this.failure) throw this.failure;
    this.worker.postMessage(message, transfer);
  }

  close(id: number): void {
    this.streams.delete(id);
  }

  private receive(reply: Reply): void {
    const state = this.streams.get(reply.id);
    if (!state) return;
    if ('done' in reply) {
      state.queued -= reply.done;
      if (state.queued <= MAX_QUEUED / 2) {
        const wake = state.wake;
        state.wake = undefined;
        wake?.();
      }
    } else {
      this.streams.delete(reply.id);
      state.result?.resolve(reply.hex);
    }
  }

  private die(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.onDead(this);
    for (const state of this.streams.values()) {
      state.wake?.();
      state.result?.reject(error);
    }
    this.streams.clear();
  }
}

const threads: HashThread[] = [];
let nextId = 1;

function threadCount(): number {
  // The event loop keeps one core busy; the rest may hash. At least one thread even on a
  // single core: it still overlaps hashing with the event loop's waiting on I/O.
  return Math.max(1, Math.min(4, os.availableParallelism() - 1));
}

function leastLoadedThread(): HashThread {
  while (threads.length < threadCount()) {
    threads.push(
      new HashThread((dead) => {
        const index = threads.indexOf(dead);
        if (index >= 0) threads.splice(index, 1);
      }),
    );
  }
  return threads.reduce((best, t) => (t.load < best.load ? t : best));
}

/** Hash on a worker thread; bytes are copied to it in MESSAGE_BYTES messages. */
export function workerDigests(algorithms: readonly string[]): Digests {
  const thread = leastLoadedThread();
  const id = nextId++;
  const state = thread.open(id);
  let staged = Buffer.allocUnsafeSlow(MESSAGE_BYTES);
  let stagedBytes = 0;
  let finished = false;

  const send = (): void => {
    if (stagedBytes === 0) return;
    // allocUnsafeSlow gives the buffer its own ArrayBuffer, so it can be handed over whole.
    const data = new Uint8Array(staged.buffer, staged.byteOffset, stagedBytes);
    thread.post({ op: 'update', id, algorithms, data }, [staged.buffer]);
    state.queued += stagedBytes;
    staged = Buffer.allocUnsafeSlow(MESSAGE_BYTES);
    stagedBytes = 0;
  };

  return {
    update: (chunk) => {
      let offset = 0;
      while (offset < chunk.length) {
        const n = chunk.copy(staged, stagedBytes, offset);
        stagedBytes += n;
        offset += n;
        if (stagedBytes === MESSAGE_BYTES) send();
      }
      if (state.queued <= MAX_QUEUED) return;
      return new Promise<void>((resolve) => (state.wake = resolve));
    },
    digest: () => {
      finished = true;
      return new Promise<string[]>((resolve, reject) => {
        state.result = { resolve, reject };
        try {
          send();
          thread.post({ op: 'digest', id, algorithms });
        } catch (error) {
          thread.close(id);
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    },
    discard: () => {
      if (finished) return;
      finished = true;
      thread.close(id);
      try {
        thread.post({ op: 'drop', id });
      } catch {
        // The thread is gone, and the stream with it.
      }
    },
  };
}
