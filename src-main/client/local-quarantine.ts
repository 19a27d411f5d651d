/**
 * An endpoint's local quarantine: captured files stored deflated and scrambled (never in a
 * runnable form, SPEC §12) under `<dataDir>/quarantine/<sha256>`, each written to a temporary
 * file, fsynced and renamed before its queue row commits, so nothing acknowledged is lost even
 * by `kill -9` or power loss.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { formatHttpDate } from '../../src-shared/codec/dates.js';
import { isSampleReason } from '../../src-shared/catalog/tokens.js';
import { decodeBlob, encodeBlob } from '../codec/content.js';
import { fsyncDir } from '../server/definitions/install-folder.js';
import { ClientStore, type LocalItem } from './client-store.js';

/** Folder of stored contents inside the client's data folder. */
export const QUARANTINE_FOLDER = 'quarantine';

/** Options of a capture. */
export interface CaptureOptions {
  /** X-Sample-Reason; default `manual`. */
  readonly reason?: string;
  /** Leave the original file in place (default: it is removed once quarantined). */
  readonly keep?: boolean;
  readonly now?: number;
}

/** Why a capture was refused. */
export class CaptureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaptureError';
  }
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The stored contents and the queue of one endpoint. */
export class LocalQuarantine {
  readonly folder: string;

  constructor(
    readonly dataDir: string,
    readonly store: ClientStore,
  ) {
    this.folder = path.join(dataDir, QUARANTINE_FOLDER);
    fs.mkdirSync(this.folder, { recursive: true, mode: 0o700 });
  }

  /** Open the quarantine of `dataDir` (creating it). */
  static open(dataDir: string): LocalQuarantine {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    return new LocalQuarantine(dataDir, ClientStore.open(dataDir));
  }

  /** Put `file` in the quarantine; resolves once the item is durable. */
  async capture(file: string, options: CaptureOptions = {}): Promise<LocalItem> {
    const reason = options.reason ?? 'manual';
    if (!isSampleReason(reason)) throw new CaptureError(`unknown reason "${reason}"`);
    const absolute = path.resolve(file);
    let bytes: Buffer;
    let info: fs.Stats;
    try {
      info = await fs.promises.stat(absolute);
      if (!info.isFile()) throw new CaptureError(`${file} is not a regular file`);
      bytes = await fs.promises.readFile(absolute);
    } catch (error) {
      if (error instanceof CaptureError) throw error;
      throw new CaptureError(
        `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
    const now = options.now ?? Date.now();
    const sha256 = await this.writeContent(bytes);
    const extension = path.extname(absolute).slice(1);
    const attributes: Record<string, string> = {
      'X-Sample-Type': 'file',
      'X-Sample-File': absolute,
      'X-Sample-Reason': reason,
      'X-Date-Captured': formatHttpDate(now),
      'X-Date-Created': formatHttpDate(info.birthtimeMs || info.ctimeMs),
      'X-Date-Modified': formatHttpDate(info.mtimeMs),
      'X-Date-Accessed': formatHttpDate(info.atimeMs),
    };
    if (extension && /^[\x21-\x7e]{1,16}$/.test(extension))
      attributes['X-Sample-Extension'] = extension;
    const item = this.store.insert({
      sha256,
      size: bytes.length,
      originalPath: absolute,
      capturedAt: now,
      attributes,
    });
    // Only now is the capture safe: the original may go.
    if (!options.keep) await fs.promises.rm(absolute, { force: true });
    return item;
  }

  /** The captured (or repaired) bytes of an item. */
  async read(item: LocalItem): Promise<Buffer> {
    const stored = await fs.promises.readFile(this.pathFor(item.sha256));
    const bytes = decodeBlob(stored, item.size + 1);
    if (sha256Hex(bytes) !== item.sha256) {
      throw new Error(`stored content of item ${item.id} is damaged (SHA-256 differs)`);
    }
    return bytes;
  }

  /** Store `bytes` (scrambled, durably) and return their SHA-256. */
  async writeContent(bytes: Uint8Array): Promise<string> {
    const sha256 = sha256Hex(bytes);
    const target = this.pathFor(sha256);
    if (fs.existsSync(target)) return sha256;
    const temp = path.join(this.folder, `.tmp-${randomBytes(6).toString('hex')}`);
    const handle = await fs.promises.open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(encodeBlob(bytes));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(temp, target);
    await fsyncDir(this.folder);
    return sha256;
  }

  /** Remove stored content no live item refers to any more. */
  async releaseContent(sha256: string): Promise<void> {
    if (this.store.contentInUse(sha256)) return;
    await fs.promises.rm(this.pathFor(sha256), { force: true });
  }

  /** Remove temporary files a crash left behind. */
  async recover(): Promise<number> {
    let removed = 0;
    for (const name of await fs.promises.readdir(this.folder)) {
      if (!name.startsWith('.tmp-')) continue;
      await fs.promises.rm(path.join(this.folder, name), { force: true });
      removed++;
    }
    return removed;
  }

  /** Where the content with this SHA-256 is stored. */
  pathFor(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a SHA-256: ${sha256}`);
    return path.join(this.folder, sha256);
  }

  /** Close the queue. */
  close(): void {
    this.store.close();
  }
}
