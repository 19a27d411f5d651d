/**
 * Blob file work on threads of its own. Storing a small sample takes about a dozen file system
 * calls (open, write, fsync, close, stat, rename, and a share of the directory fsyncs); made
 * through `fs.promises` each is a round trip through libuv's thread pool whose promise
 * bookkeeping runs on the event loop, and together they cost more event-loop time than the
 * sample's database rows. Here a whole sequence runs as plain synchronous calls on an I/O
 * thread, and the event loop pays for one message each way.
 */
import { Worker } from 'node:worker_threads';
import { createLogger } from '../../log/logger.js';
import { ThreadSet } from '../../threads/thread-set.js';

const log = createLogger('store');

/** What one thread is asked to do. */
type Request =
  | {
      readonly op: 'write';
      readonly id: number;
      /** The blob's file; an existing file there wins. */
      readonly target: string;
      /** Written, fsynced and closed first, then renamed to `target`. */
      readonly temp: string;
      /** The target's directory, made again when it has gone missing. */
      readonly dir: string;
      readonly chunks: readonly Uint8Array[];
    }
  | { readonly op: 'sync'; readonly id: number; readonly dirs: readonly string[] };

/** The answer to a request. */
type Reply =
  | {
      readonly id: number;
      readonly ok: true;
      readonly existed?: boolean;
      readonly madeDir?: boolean;
    }
  | { readonly id: number; readonly ok: true; readonly failed: readonly (ErrorInfo | null)[] }
  | { readonly id: number; readonly ok: false; readonly error: ErrorInfo };

interface ErrorInfo {
  readonly message: string;
  readonly code?: string;
}

// A CommonJS script run with `eval`, so that it is the same from src (tests) and dist.
const WORKER_SOURCE = `
const fs = require('node:fs');
const { parentPort } = require('node:worker_threads');
const info = (e) => ({ message: String(e && e.message || e), code: e && e.code });
function writeAll(fd, chunks) {
  let rest = chunks;
  while (rest.length > 0) {
    let skip = fs.writevSync(fd, rest);
    const left = [];
    for (const c of rest) {
      if (skip >= c.length) skip -= c.length;
      else { left.push(skip > 0 ? c.subarray(skip) : c); skip = 0; }
    }
    rest = left;
  }
}
/** Write the chunks to a new file and fsync it; on failure the file is closed and removed. */
function fill(file, chunks) {
  const fd = fs.openSync(file, 'wx', 0o600);
  try {
    writeAll(fd, chunks);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw e;
  }
  fs.closeSync(fd);
}
/**
 * Stored content is left alone; otherwise the bytes go to the temp file and are renamed into
 * place whole, so no file under a blob's name is ever half written (whatever stops this thread
 * or the process mid-write).
 */
function write(m) {
  try { fs.statSync(m.target); return { existed: true, madeDir: false }; } catch (e) {
    if (e.code !== 'ENOENT') throw e;
  }
  fill(m.temp, m.chunks);
  try { fs.renameSync(m.temp, m.target); return { existed: false, madeDir: false }; } catch (e) {
    if (e.code !== 'ENOENT' || !fs.existsSync(m.temp)) { fs.rmSync(m.temp, { force: true }); throw e; }
  }
  // The blobs folder is gone (removed by hand): make it again, and say so for its parent's fsync.
  fs.mkdirSync(m.dir, { recursive: true });
  fs.renameSync(m.temp, m.target);
  return { existed: false, madeDir: true };
}
function sync(dirs) {
  return dirs.map((dir) => {
    try {
      const fd = fs.openSync(dir, 'r');
      try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
      return null;
    } catch (e) { return info(e); }
  });
}
parentPort.on('message', (m) => {
  try {
    if (m.op === 'write') {
      parentPort.postMessage({ id: m.id, ok: true, ...write(m) });
    }
    else parentPort.postMessage({ id: m.id, ok: true, failed: sync(m.dirs) });
  } catch (e) {
    parentPort.postMessage({ id: m.id, ok: false, error: info(e) });
  }
});
`;

function toError(info: ErrorInfo): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(info.message);
  if (info.code !== undefined) error.code = info.code;
  return error;
}

interface Pending {
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: Error) => void;
}

/** One I/O thread and the requests it has not answered yet. */
class IoThread {
  private readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  dead = false;

  get load(): number {
    return this.pending.size;
  }

  constructor(private readonly onDead: (thread: IoThread) => void) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      this.updateRef();
      waiting.resolve(reply);
    });
    this.worker.on('error', (error) => this.die(error));
    this.worker.on('exit', (code) =>
      this.die(new Error(`blob I/O thread exited with code ${code}`)),
    );
    this.updateRef();
  }

  send(request: Request): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      this.updateRef();
      this.worker.postMessage(request);
    });
  }

  terminate(): Promise<number> {
    this.dead = true;
    for (const waiting of this.pending.values()) waiting.reject(new Error('blob I/O is closed'));
    this.pending.clear();
    return this.worker.terminate();
  }

  /** An idle thread must not keep a finished process alive; a busy one must. */
  private updateRef(): void {
    if (this.pending.size > 0) this.worker.ref();
    else this.worker.unref();
  }

  private die(error: Error): void {
    if (this.dead) return;
    this.dead = true;
    log.error('a blob I/O thread stopped', { error: String(error) });
    this.onDead(this);
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}

/** What `write` did. */
export interface BlobWriteResult {
  /** The target was already there (the same content, stored before) and was left alone. */
  readonly existed: boolean;
  /** The target's directory had to be created (its parent needs a directory fsync too). */
  readonly madeDir: boolean;
}

/**
 * Threads for blob writes and threads for directory fsyncs. Every fsync blocks its thread for
 * a journal commit, so several of each keep the disk's queue full; and the directory fsyncs
 * that a group commit waits for never queue behind sample writes.
 */
export class BlobIo {
  private readonly writers: ThreadSet<IoThread>;
  private readonly syncers: ThreadSet<IoThread>;
  private nextId = 1;
  private closed = false;

  constructor(threads: { writers?: number; syncers?: number } = {}) {
    const start = (forget: (dead: IoThread) => void): IoThread => new IoThread(forget);
    this.writers = new ThreadSet(threads.writers ?? 4, start);
    this.syncers = new ThreadSet(threads.syncers ?? 4, start);
  }

  /**
   * Write `chunks` to `temp`, fsync and close it, and rename it to `target`; when `target`
   * already exists, leave it alone and say so. A failed write removes what it created. The
   * directory fsync is the caller's.
   */
  async write(
    target: string,
    dir: string,
    chunks: readonly Uint8Array[],
    temp: string,
  ): Promise<BlobWriteResult> {
    const reply = await this.request(this.writers, {
      op: 'write',
      id: this.nextId++,
      target,
      temp,
      dir,
      chunks,
    });
    if (!reply.ok) throw toError(reply.error);
    if ('failed' in reply) throw new Error('blob I/O thread answered a write with a sync');
    return { existed: reply.existed === true, madeDir: reply.madeDir === true };
  }

  /**
   * Fsync each directory; resolves with the error of each one that failed (null when it did
   * not). The directories are shared out over the threads: each fsync waits for a journal
   * commit, and waits made side by side overlap.
   */
  async syncDirs(dirs: readonly string[]): Promise<(NodeJS.ErrnoException | null)[]> {
    if (dirs.length === 0) return [];
    const shares = Math.min(this.syncers.size, dirs.length);
    const groups = Array.from({ length: shares }, (_, g) =>
      dirs.filter((_, i) => i % shares === g),
    );
    const replies = await Promise.all(
      groups.map((group) =>
        this.request(this.syncers, { op: 'sync', id: this.nextId++, dirs: group }),
      ),
    );
    const failed: (NodeJS.ErrnoException | null)[] = new Array<null>(dirs.length).fill(null);
    replies.forEach((reply, g) => {
      if (!reply.ok) throw toError(reply.error);
      if (!('failed' in reply)) throw new Error('blob I/O thread answered a sync with a write');
      reply.failed.forEach((info, k) => {
        failed[g + k * shares] = info === null ? null : toError(info);
      });
    });
    return failed;
  }

  /** Stop the threads (after the work that uses them has settled). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.writers.close(), this.syncers.close()]);
  }

  private request(threads: ThreadSet<IoThread>, request: Request): Promise<Reply> {
    if (this.closed) return Promise.reject(new Error('blob I/O is closed'));
    return threads.pick().send(request);
  }
}
