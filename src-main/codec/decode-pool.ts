/**
 * Receiving large sample bodies on worker threads. Receiving a sample touches every byte four
 * times besides the copies (body MD5, xor-vampish, inflate, then MD5 and SHA-256 of the
 * result); for a large body that is nearly all of the event loop's work, it keeps one core busy
 * while the other waits, and the event loop then answers everyone else late. Here the event
 * loop only reads the body and hands it on; a thread writes it to its temp file (for bodies
 * whose wire form is the at-rest form) and checks and digests it with exactly `decodeSample`'s
 * rules and errors.
 */
import fs from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { WireError } from '../../src-shared/catalog/errors.js';
import { createLogger } from '../log/logger.js';
import { ThreadSet } from '../threads/thread-set.js';
import { workerScriptBeside } from '../threads/worker-script.js';
import type { DecodeResult, DecodeSpec } from './content.js';
import type { DecodeReply, DecodeRequest } from './decode-protocol.js';

const log = createLogger('intake');

/** Decode threads of a pool by default: one per core, at most four. */
export const DECODE_THREADS = Math.max(1, Math.min(4, os.availableParallelism()));

/**
 * Memory for bodies the threads read whole, shared out equally between them (each body read
 * whole costs about twice its length plus its sample's size while it is decoded).
 */
const WHOLE_BUDGET = 96 * 1024 * 1024;

/** Bytes gathered into one message to a thread. */
const MESSAGE_BYTES = 256 * 1024;
/** Bytes of one body a thread may have queued and not yet read before reading waits. */
const MAX_QUEUED = 1024 * 1024;

/** A body received on a thread: what decoding found, and its temp file's size. */
export interface ReceivedBody {
  readonly result: DecodeResult;
  /** Bytes in the temp file (fsynced and closed). */
  readonly storedSize: number;
}

/** One body being decoded on a thread. */
class Session {
  queued = 0;
  outcome: { ok: true; result: ReceivedBody } | { ok: false; error: Error } | undefined;
  private waiters: (() => void)[] = [];
  readonly settled: Promise<ReceivedBody>;
  private settle!: { resolve: (r: ReceivedBody) => void; reject: (e: Error) => void };

  constructor() {
    this.settled = new Promise<ReceivedBody>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // Awaited only at the end; until then a refusal must not count as unhandled.
    this.settled.catch(() => undefined);
  }

  consumed(bytes: number): void {
    this.queued -= bytes;
    if (this.queued <= MAX_QUEUED / 2) this.wakeAll();
  }

  finish(outcome: { ok: true; result: ReceivedBody } | { ok: false; error: Error }): void {
    if (this.outcome) return;
    this.outcome = outcome;
    if (outcome.ok) this.settle.resolve(outcome.result);
    else this.settle.reject(outcome.error);
    this.wakeAll();
  }

  /** Resolves once the thread has caught up (or the decode is over). */
  room(): Promise<void> {
    if (this.queued <= MAX_QUEUED || this.outcome) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** One decode thread and the bodies it is working on. */
class DecodeThread {
  private readonly worker: Worker;
  readonly sessions = new Map<number, Session>();

  get load(): number {
    return this.sessions.size;
  }
  private dead = false;
  /** The thread has answered at least once (it started and loaded its script). */
  answered = false;

  constructor(script: string, wholeBudget: number, onDead: (thread: DecodeThread) => void) {
    this.worker = new Worker(script, { workerData: { wholeBudget } });
    this.worker.on('message', (reply: DecodeReply) => this.receive(reply));
    const die = (error: Error): void => {
      if (this.dead) return;
      log.error('a decode thread stopped', { error: String(error) });
      onDead(this);
      this.stop(error.message);
    };
    this.worker.on('error', die);
    this.worker.on('exit', (code) => die(new Error(`decode thread exited with code ${code}`)));
    this.worker.unref();
  }

  open(id: number, spec: DecodeSpec, tempPath: string): Session {
    const session = new Session();
    this.sessions.set(id, session);
    this.worker.ref();
    this.post({ op: 'start', id, spec, tempPath });
    return session;
  }

  post(request: DecodeRequest, transfer?: ArrayBuffer[]): void {
    if (this.dead) return;
    this.worker.postMessage(request, transfer);
  }

  /** Stop the thread; bodies still on it fail (500: senders retry). */
  terminate(): Promise<number> {
    this.stop('the decode threads were stopped');
    return this.worker.terminate();
  }

  private stop(reason: string): void {
    this.dead = true;
    for (const session of this.sessions.values()) {
      session.finish({ ok: false, error: internal(reason) });
    }
    this.sessions.clear();
  }

  private receive(reply: DecodeReply): void {
    this.answered = true;
    const session = this.sessions.get(reply.id);
    if (!session) return;
    if (reply.op === 'consumed') {
      session.consumed(reply.bytes);
      return;
    }
    this.sessions.delete(reply.id);
    // An idle thread must not keep a finished process alive.
    if (this.sessions.size === 0) this.worker.unref();
    if (reply.op === 'done') {
      session.finish({ ok: true, result: { result: reply.result, storedSize: reply.storedSize } });
    } else if (reply.op === 'refused') {
      session.finish({ ok: false, error: new WireError(reply.code, reply.params, reply.status) });
    } else session.finish({ ok: false, error: internal(reply.message) });
  }
}

function internal(reason: string): WireError {
  const error = new WireError('internal', [], 500);
  Object.defineProperty(error, 'cause', { value: new Error(reason), enumerable: false });
  return error;
}

/** The decode threads of this process, started on first use. */
export class DecodePool {
  private readonly threads: ThreadSet<DecodeThread>;
  private nextId = 1;
  private readonly script: string | null;
  /** A thread died before it ever answered: threads cannot run here (e.g. a packaging fault). */
  private broken = false;
  private closed = false;
  private counters = { received: 0, refused: 0 };

  constructor(
    size = DECODE_THREADS,
    script = workerScriptBeside(import.meta.url, 'decode-worker'),
  ) {
    this.script = fs.existsSync(script) ? script : null;
    this.threads = new ThreadSet(
      size,
      (forget) =>
        new DecodeThread(script, WHOLE_BUDGET / size, (dead) => {
          forget(dead);
          if (!dead.answered && !this.broken) {
            // Bodies in flight on it fail (500: senders retry); later ones are decoded on the
            // event loop rather than handed to threads that cannot start.
            this.broken = true;
            log.error('decode threads cannot start: receiving on the event loop from now on', {
              script,
            });
          }
        }),
    );
    if (this.script === null) {
      log.warn('the decode thread script is missing (not built?): decoding on the event loop', {
        script,
      });
    }
  }

  /** False when the worker script is missing (sources not built): receive on the event loop. */
  get available(): boolean {
    return this.script !== null && !this.broken && !this.closed;
  }

  /**
   * Receive a body without base64 whose wire form is its at-rest form (deflate +
   * xor-vampish) on a thread: written to `tempPath` (created there, fsynced, removed again
   * when the body is refused) and checked as `decodeSample` checks it. Reading the input waits
   * while the thread is behind.
   */
  async receive(
    input: AsyncIterable<Uint8Array>,
    spec: DecodeSpec,
    tempPath: string,
  ): Promise<ReceivedBody> {
    if (spec.encoding !== null) throw new Error('DecodePool.receive takes bodies without base64');
    if (this.script === null) throw new Error('the decode thread script is missing');
    if (this.closed) throw internal('the decode threads were stopped');
    const thread = this.threads.pick();
    const id = this.nextId++;
    const session = thread.open(id, spec, tempPath);
    let staged = Buffer.allocUnsafeSlow(MESSAGE_BYTES);
    let stagedBytes = 0;
    const flush = (): void => {
      if (stagedBytes === 0) return;
      // allocUnsafeSlow gives the buffer an ArrayBuffer of its own, so it moves over whole.
      const data = new Uint8Array(staged.buffer, 0, stagedBytes);
      thread.post({ op: 'chunk', id, data }, [staged.buffer]);
      session.queued += stagedBytes;
      staged = Buffer.allocUnsafeSlow(MESSAGE_BYTES);
      stagedBytes = 0;
    };
    const pump = async (): Promise<void> => {
      try {
        for await (const value of input) {
          // Refused already (too long, undecodable): the answer need not wait for the rest.
          if (session.outcome) break;
          let offset = 0;
          while (offset < value.length) {
            const n = Math.min(MESSAGE_BYTES - stagedBytes, value.length - offset);
            staged.set(value.subarray(offset, offset + n), stagedBytes);
            stagedBytes += n;
            offset += n;
            if (stagedBytes === MESSAGE_BYTES) flush();
          }
          await session.room();
        }
        flush();
        thread.post({ op: 'end', id });
      } catch (error) {
        // The transport failed: the thread's reader fails as a lost connection does there, and
        // its answer (`lost`, or what the bytes so far already showed) is the outcome. The
        // bytes gathered here go first, so that `lost` counts every byte that arrived.
        flush();
        thread.post({ op: 'abort', id, reason: String(error) });
      }
    };
    // An outcome reached while the input stalls (a refusal, the pool stopped) is the answer
    // at once; the reading stops at the next chunk.
    await Promise.race([pump(), session.settled.catch(() => undefined)]);
    return session.settled.then(
      (received) => {
        this.counters.received++;
        return received;
      },
      (error: unknown) => {
        this.counters.refused++;
        throw error;
      },
    );
  }

  /** Bodies received whole and bodies refused on the threads so far. */
  get stats(): { readonly received: number; readonly refused: number } {
    return { ...this.counters };
  }

  /** Stop the threads: bodies on them fail, and later ones are refused. */
  close(): Promise<void> {
    this.closed = true;
    return this.threads.close();
  }
}
