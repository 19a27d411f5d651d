/**
 * An independent look at a server's data folder for the crash-recovery test: plain SQL on a
 * read-only connection and plain file listings, so that the code under test does not grade
 * itself. Returns every problem found as a sentence (an empty list means all is well).
 */
import fs from 'node:fs';
import path from 'node:path';
import { decodeBlob, md5Hex, sha256Hex } from '../../src-main/codec/content.js';
import { openDatabase } from '../../src-main/server/store/database.js';
import { DATABASE_FILE } from '../../src-main/server/store/index.js';

/** What to look at. */
export interface InspectOptions {
  readonly dataDir: string;
  /** Sample id → content MD5 of every acknowledged forward. */
  readonly acknowledged: ReadonlyMap<number, string>;
  /**
   * Straight after a kill, before recovery: temp files and blob files without a row are
   * expected then (a crash leaves them); after a restart they are not.
   */
  readonly crashed: boolean;
  /**
   * Blobs already decoded and found good (hash → content MD5): not decoded again, only their
   * presence and their samples' checksums are checked. Kept up to date here.
   */
  readonly verifiedBlobs?: Map<string, string>;
}

interface SampleRow {
  id: number;
  checksum: string;
  blob_sha256: string;
}
interface BlobRow {
  sha256: string;
  size: number;
  stored_size: number;
  refs: number;
}

/** Blob files on disk: hash → path. */
function listBlobFiles(blobsDir: string): Map<string, string> {
  const files = new Map<string, string>();
  if (!fs.existsSync(blobsDir)) return files;
  // Every entry counts, folders included: anything that is not a blob is reported as an orphan.
  for (const name of fs.readdirSync(blobsDir)) files.set(name, path.join(blobsDir, name));
  return files;
}

/** Check the data folder; every problem is one line. */
export function inspectDataDir(options: InspectOptions): string[] {
  const problems: string[] = [];
  const quarantine = path.join(options.dataDir, 'quarantine');
  const db = openDatabase(path.join(options.dataDir, DATABASE_FILE), { readonly: true });
  let samples: SampleRow[];
  let blobs: BlobRow[];
  try {
    const integrity = db.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') problems.push(`PRAGMA integrity_check: ${String(integrity)}`);
    const foreign = db.pragma('foreign_key_check') as unknown[];
    if (foreign.length > 0) problems.push(`PRAGMA foreign_key_check: ${JSON.stringify(foreign)}`);
    // One read transaction: a consistent snapshot of all tables.
    ({ samples, blobs } = db.transaction(() => ({
      samples: db.prepare('SELECT id, checksum, blob_sha256 FROM samples').all() as SampleRow[],
      blobs: db.prepare('SELECT sha256, size, stored_size, refs FROM blobs').all() as BlobRow[],
    }))());
    const lost = db.prepare("SELECT sample_id FROM errors WHERE code = 'lost'").all();
    if (lost.length > 0) problems.push(`samples flagged lost: ${JSON.stringify(lost)}`);
  } finally {
    db.close();
  }

  const sampleById = new Map(samples.map((s) => [s.id, s]));
  const blobBySha = new Map(blobs.map((b) => [b.sha256, b]));
  const files = listBlobFiles(path.join(quarantine, 'blobs'));

  for (const [id, md5] of options.acknowledged) {
    const row = sampleById.get(id);
    if (!row) problems.push(`acknowledged sample ${id} (${md5}) is missing`);
    else if (row.checksum !== md5) {
      problems.push(`acknowledged sample ${id} has checksum ${row.checksum}, expected ${md5}`);
    }
  }

  const users = new Map<string, SampleRow[]>();
  for (const row of samples) {
    const list = users.get(row.blob_sha256) ?? [];
    list.push(row);
    users.set(row.blob_sha256, list);
    if (!blobBySha.has(row.blob_sha256)) {
      problems.push(`sample ${row.id} refers to blob ${row.blob_sha256}, which has no row`);
    }
  }

  for (const blob of blobs) {
    const using = users.get(blob.sha256) ?? [];
    if (blob.refs !== using.length) {
      problems.push(
        `blob ${blob.sha256} counts ${blob.refs} references, ${using.length} samples use it`,
      );
    }
    const file = files.get(blob.sha256);
    if (file === undefined) {
      problems.push(
        `blob ${blob.sha256} (samples ${using.map((s) => s.id).join(', ')}) has no file`,
      );
      continue;
    }
    const knownMd5 = options.verifiedBlobs?.get(blob.sha256);
    if (knownMd5 !== undefined) {
      for (const s of using.filter((u) => u.checksum !== knownMd5)) {
        problems.push(`sample ${s.id} has checksum ${s.checksum}, its blob holds ${knownMd5}`);
      }
      continue;
    }
    const stored = fs.readFileSync(file);
    if (stored.length !== blob.stored_size) {
      problems.push(
        `blob ${blob.sha256} file has ${stored.length} bytes, row says ${blob.stored_size}`,
      );
    }
    let decoded: Buffer;
    try {
      decoded = decodeBlob(stored, blob.size);
    } catch (error) {
      problems.push(`blob ${blob.sha256} does not decode: ${String(error)}`);
      continue;
    }
    const md5 = md5Hex(decoded);
    const good =
      decoded.length === blob.size &&
      sha256Hex(decoded) === blob.sha256 &&
      using.every((s) => s.checksum === md5);
    if (good) options.verifiedBlobs?.set(blob.sha256, md5);
    else {
      problems.push(
        `blob ${blob.sha256} decodes to ${decoded.length} bytes with MD5 ${md5}, which does not match its row and samples`,
      );
    }
  }

  if (!options.crashed) {
    for (const sha of files.keys()) {
      if (!blobBySha.has(sha)) problems.push(`orphan blob file ${sha} (no row)`);
    }
    const temps = fs.existsSync(path.join(quarantine, 'tmp'))
      ? fs.readdirSync(path.join(quarantine, 'tmp'))
      : [];
    if (temps.length > 0) problems.push(`temp files left: ${temps.join(', ')}`);
    const unreferenced = blobs.filter((b) => b.refs <= 0).map((b) => b.sha256);
    if (unreferenced.length > 0)
      problems.push(`blob rows without samples: ${unreferenced.join(', ')}`);
  }
  // Drop what recovery may have removed since, so that it is decoded again if it comes back.
  for (const sha of options.verifiedBlobs?.keys() ?? []) {
    if (!files.has(sha)) options.verifiedBlobs?.delete(sha);
  }
  return problems;
}
