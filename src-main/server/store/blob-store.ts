/**
 * Content blobs on disk (SPEC §5): `<quarantine>/blobs/<sha256>`, always written under
 * `<quarantine>/tmp/` first (streamed, or in one go when held whole in memory) and renamed into
 * place, so no blob name ever holds a half-written file. One folder rather than a fan-out: a
 * group commit then fsyncs one directory, not one per blob (on ext4 each directory fsync waits
 * for a journal commit of its own), and ext4 and NTFS index large folders. Folders of the
 * earlier `blobs/<first two hex>/` layout are moved up at start. Blobs are stored deflated and
 * scrambled (never runnable); making that form is the caller's job, this module only moves
 * bytes durably.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { BlobIo } from './blob-io.js';
import { StoreError } from './store-error.js';

const SHA256 = /^[0-9a-f]{64}$/;

/** Throw unless `sha256` is 64 lower-case hex digits (it becomes a file name). */
export function assertSha256(sha256: string): void {
  if (!SHA256.test(sha256)) throw new StoreError('invalid-blob', `not a SHA-256: ${sha256}`);
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

/** Bytes a temp blob gathers before writing them out in one go. */
const WRITE_BATCH = 256 * 1024;

/** Write every byte of `chunks` at the handle's position (a short write is continued). */
async function writeAll(handle: FileHandle, chunks: Buffer[]): Promise<void> {
  let rest = chunks;
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest);
    let skip = bytesWritten;
    const left: Buffer[] = [];
    for (const chunk of rest) {
      if (skip >= chunk.length) skip -= chunk.length;
      else {
        left.push(skip > 0 ? chunk.subarray(skip) : chunk);
        skip = 0;
      }
    }
    rest = left;
  }
}

/**
 * A blob being written: append chunks, then `finish` (fsync) or `abort`. Chunks are gathered
 * and written WRITE_BATCH at a time, one write in flight while the next batch gathers: each
 * write is a round trip through libuv's thread pool, where under load it queues behind other
 * intakes' fsyncs, and a 1 MiB sample written as sixteen awaited 64 KiB writes waited sixteen
 * times in a row. A failed write surfaces at a later `write` or at `finish`.
 */
export class TempBlob {
  private handle: FileHandle | undefined;
  private state: 'open' | 'finished' | 'installed' | 'aborted' = 'open';
  private written = 0;
  private gathered: Buffer[] = [];
  private gatheredBytes = 0;
  /** The write in flight (never rejects; a failure is kept in `failure`). */
  private writing: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;

  /** @internal Use `BlobStore.createTemp` or `BlobStore.adoptTemp`. */
  constructor(
    readonly path: string,
    handle: FileHandle | undefined,
  ) {
    this.handle = handle;
    // Written and fsynced by someone else: ready to install.
    if (handle === undefined) this.state = 'finished';
  }

  /** True once `finish` has made the bytes durable. */
  get finished(): boolean {
    return this.state === 'finished';
  }

  /** Append bytes. The chunk is kept until written: the caller must not change it afterwards. */
  async write(chunk: Buffer | Uint8Array): Promise<void> {
    if (this.state !== 'open' || this.handle === undefined) {
      throw new StoreError('invalid-blob', `temp blob is ${this.state}`);
    }
    this.throwIfFailed();
    if (chunk.length === 0) return;
    this.gathered.push(
      Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length),
    );
    this.gatheredBytes += chunk.length;
    this.written += chunk.length;
    if (this.gatheredBytes >= WRITE_BATCH) {
      // At most one write in flight: memory stays bounded by two batches per blob.
      await this.writing;
      this.throwIfFailed();
      this.startWrite(this.handle);
    }
  }

  /** Flush the bytes to stable storage and close the file. */
  async finish(): Promise<{ storedSize: number }> {
    if (this.state !== 'open' || this.handle === undefined) {
      throw new StoreError('invalid-blob', `temp blob is ${this.state}`);
    }
    const handle = this.handle;
    this.handle = undefined;
    try {
      await this.writing;
      this.startWrite(handle);
      await this.writing;
      this.throwIfFailed();
      await handle.sync();
    } finally {
      await handle.close();
    }
    this.state = 'finished';
    return { storedSize: this.written };
  }

  /** Discard the temp file (harmless after `install`, which has moved it away). */
  async abort(): Promise<void> {
    if (this.state === 'installed' || this.state === 'aborted') return;
    this.state = 'aborted';
    const handle = this.handle;
    this.handle = undefined;
    this.gathered = [];
    await this.writing;
    await handle?.close().catch(() => undefined);
    await fs.promises.unlink(this.path).catch((error: unknown) => {
      if (!isMissing(error)) throw error;
    });
  }

  /** @internal Called by `BlobStore.install` once the file has been moved or dropped. */
  markInstalled(): void {
    this.state = 'installed';
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  private startWrite(handle: FileHandle): void {
    if (this.gatheredBytes === 0) return;
    const chunks = this.gathered;
    this.gathered = [];
    this.gatheredBytes = 0;
    this.writing = writeAll(handle, chunks).catch((error: unknown) => {
      this.failure ??= { error };
    });
  }
}

/** The quarantine folder's blob files. */
export class BlobStore {
  /** Folder holding the fan-out directories of blob files. */
  readonly blobsDir: string;
  /** Folder for blobs being written; everything in it is garbage after a restart. */
  readonly tmpDir: string;
  /** Directories whose entries changed since the last `syncDirs`. */
  private dirty = new Set<string>();
  /** The last `syncDirs` call (each waits for the one before it). */
  private syncing: Promise<void> = Promise.resolve();
  /** Per-blob chain that serialises install and remove of the same hash. */
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Blobs an intake is about to commit; `remove` leaves them alone. */
  private readonly pins = new Map<string, number>();
  /** Threads for whole-blob writes and directory fsyncs. */
  private readonly io = new BlobIo({ writers: 4, syncers: 2 });

  constructor(readonly quarantineDir: string) {
    this.blobsDir = path.join(quarantineDir, 'blobs');
    this.tmpDir = path.join(quarantineDir, 'tmp');
    fs.mkdirSync(this.blobsDir, { recursive: true });
    fs.mkdirSync(this.tmpDir, { recursive: true });
    this.flattenFanOut();
  }

  /** Where the blob with this hash lives. */
  pathFor(sha256: string): string {
    assertSha256(sha256);
    return path.join(this.blobsDir, sha256);
  }

  /** Start writing a new blob in the temp folder. */
  async createTemp(): Promise<TempBlob> {
    const file = this.tempPath();
    const handle = await fs.promises.open(file, 'wx', 0o600);
    return new TempBlob(file, handle);
  }

  /** A fresh path in the temp folder, for a blob written elsewhere (a decode thread). */
  tempPath(): string {
    return path.join(this.tmpDir, `${randomUUID()}.tmp`);
  }

  /**
   * Take over a temp file at `file` (from `tempPath`) that has been written, fsynced and closed
   * elsewhere, as a finished temp blob to `install` or `abort`.
   */
  adoptTemp(file: string): TempBlob {
    if (path.dirname(file) !== this.tmpDir) {
      throw new StoreError('invalid-blob', `not in the temp folder: ${file}`);
    }
    return new TempBlob(file, undefined);
  }

  /**
   * Move a finished temp blob into place under its hash, or drop it when that content is
   * already stored. The directory becomes durable at the next `syncDirs`.
   */
  async install(temp: TempBlob, sha256: string): Promise<{ existed: boolean }> {
    const target = this.pathFor(sha256);
    if (!temp.finished) throw new StoreError('invalid-blob', 'install before finish');
    return this.withLock(sha256, async () => {
      const existed = await this.exists(sha256);
      if (existed) await fs.promises.unlink(temp.path);
      else await this.renameInto(temp.path, target);
      // Marked only now that the entry is there: a group commit taking the dirty set between
      // marking and renaming would fsync the directory too early and never again. Marked
      // either way: an existing entry may itself still await its directory fsync.
      this.dirty.add(this.blobsDir);
      temp.markInstalled();
      return { existed };
    });
  }

  /**
   * Store content held whole in memory (small samples) under its hash, in one request to an
   * I/O thread: written to a temp file, fsynced and renamed into place — or left alone when
   * that content is already stored. No file under a blob's name is ever half written, whatever
   * stops the thread or the process, and writes of one hash are serialised with each other and
   * with `remove`. The directory becomes durable at the next `syncDirs`.
   */
  async storeWhole(
    chunks: readonly Uint8Array[],
    sha256: string,
  ): Promise<{ existed: boolean; storedSize: number }> {
    const target = this.pathFor(sha256);
    const storedSize = chunks.reduce((n, c) => n + c.length, 0);
    const temp = this.tempPath();
    return this.withLock(sha256, async () => {
      const { existed, madeDir } = await this.io.write(target, this.blobsDir, chunks, temp);
      if (madeDir) this.dirty.add(this.quarantineDir);
      // As in `install`: marked once the entry is there, and marked either way.
      this.dirty.add(this.blobsDir);
      return { existed, storedSize };
    });
  }

  /**
   * Keep a blob from being removed until the returned function is called: hold it from before
   * `install` until the row that uses it has committed (or failed).
   */
  pin(sha256: string): () => void {
    this.pins.set(sha256, (this.pins.get(sha256) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = (this.pins.get(sha256) ?? 1) - 1;
      if (left > 0) this.pins.set(sha256, left);
      else this.pins.delete(sha256);
    };
  }

  /**
   * Fsync every directory changed before this call, once each (one call per group commit).
   * Resolves only once every directory marked before it is durable: calls run one after
   * another, because two committers share the store (the event loop's and intake's thread).
   * Were they to overlap, a second call could find the dirty set already taken by a first
   * whose fsync is still running (or then fails), and let its batch commit too early.
   */
  syncDirs(): Promise<void> {
    const run = this.syncing.catch(() => undefined).then(() => this.syncDirtyNow());
    this.syncing = run;
    return run;
  }

  private async syncDirtyNow(): Promise<void> {
    const dirs = [...this.dirty];
    this.dirty = new Set();
    // Windows cannot open a directory for fsync; NTFS journals the rename itself.
    if (process.platform === 'win32') return;
    // One request to the I/O threads; if it fails as a whole (a thread died), every directory
    // is still to be synced.
    const failures = await this.io.syncDirs(dirs).catch((error: unknown) => {
      for (const dir of dirs) this.dirty.add(dir);
      throw error;
    });
    const failed = failures.findIndex((f) => f !== null);
    if (failed >= 0) {
      dirs.forEach((dir, i) => {
        if (failures[i] !== null) this.dirty.add(dir);
      });
      throw failures[failed]!;
    }
  }

  /** Stop the I/O threads (once nothing writes any more). */
  async close(): Promise<void> {
    await this.io.close();
  }

  /** The stored (deflated, scrambled) bytes of a blob. */
  openStored(sha256: string): Readable {
    return fs.createReadStream(this.pathFor(sha256));
  }

  /** True when the blob file is present. */
  async exists(sha256: string): Promise<boolean> {
    try {
      await fs.promises.stat(this.pathFor(sha256));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  /**
   * Delete a blob file whose row is gone (call after the deleting transaction committed). A
   * pinned blob, or one `stillNeeded` claims (checked under the same lock as `install`), is
   * left alone: an intake has referenced it again. True when removed.
   */
  async remove(sha256: string, stillNeeded: () => boolean = () => false): Promise<boolean> {
    const file = this.pathFor(sha256);
    return this.withLock(sha256, async () => {
      if (this.pins.has(sha256) || stillNeeded()) return false;
      try {
        await fs.promises.unlink(file);
        return true;
      } catch (error) {
        if (isMissing(error)) return false;
        throw error;
      }
    });
  }

  /** Delete a blob file at once, without locking: only for recovery, before any intake. */
  removeSync(sha256: string): boolean {
    try {
      fs.unlinkSync(this.pathFor(sha256));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  /** Hashes of all blob files on disk, sorted. */
  listBlobFiles(): string[] {
    return fs
      .readdirSync(this.blobsDir)
      .filter((name) => SHA256.test(name))
      .sort();
  }

  /**
   * Move blobs of the earlier `blobs/<first two hex>/<sha256>` layout into `blobs/` and remove
   * the emptied folders. Each move is a rename, so a crash part way leaves every blob in one
   * place or the other and the next start finishes the job.
   */
  private flattenFanOut(): void {
    let moved = false;
    // The 256 possible names are looked up rather than the folder listed: once flat, it may
    // hold hundreds of thousands of blobs, and this runs at every start.
    for (let n = 0; n < 256; n++) {
      const dir = n.toString(16).padStart(2, '0');
      const folder = path.join(this.blobsDir, dir);
      if (!fs.statSync(folder, { throwIfNoEntry: false })?.isDirectory()) continue;
      for (const name of fs.readdirSync(folder)) {
        if (!SHA256.test(name) || !name.startsWith(dir)) continue;
        const target = path.join(this.blobsDir, name);
        // The same content already moved up (a crash between rename and unlink cannot leave
        // two, but a copy by hand can): the one in place wins.
        if (fs.existsSync(target)) fs.unlinkSync(path.join(folder, name));
        else fs.renameSync(path.join(folder, name), target);
        moved = true;
      }
      try {
        fs.rmdirSync(folder);
      } catch (error) {
        // Something other than blobs was put there by hand: leave it to the administrator.
        if ((error as NodeJS.ErrnoException).code !== 'ENOTEMPTY') throw error;
      }
    }
    if (moved && process.platform !== 'win32') {
      const fd = fs.openSync(this.blobsDir, 'r');
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
  }

  /** Paths of all files in the temp folder. */
  listTempFiles(): string[] {
    return fs
      .readdirSync(this.tmpDir)
      .map((name) => path.join(this.tmpDir, name))
      .sort();
  }

  /** Delete everything in the temp folder (at start, nothing can be writing there). */
  removeTemps(): number {
    let removed = 0;
    for (const file of this.listTempFiles()) {
      fs.rmSync(file, { force: true, recursive: true });
      removed++;
    }
    return removed;
  }

  private async renameInto(from: string, target: string): Promise<void> {
    try {
      await fs.promises.rename(from, target);
    } catch (error) {
      if (!isMissing(error) || !(await this.existsAt(from))) throw error;
      // The blobs folder was removed behind our back: make it again.
      await fs.promises.mkdir(this.blobsDir, { recursive: true });
      this.dirty.add(this.quarantineDir);
      await fs.promises.rename(from, target);
    }
  }

  private async existsAt(file: string): Promise<boolean> {
    return fs.promises.stat(file).then(
      () => true,
      (error: unknown) => {
        if (isMissing(error)) return false;
        throw error;
      },
    );
  }

  private withLock<T>(sha256: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(sha256) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.locks.set(sha256, settled);
    void settled.then(() => {
      if (this.locks.get(sha256) === settled) this.locks.delete(sha256);
    });
    return next;
  }
}
