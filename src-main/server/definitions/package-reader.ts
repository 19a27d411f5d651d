/**
 * Reading a definitions package as an import does (SPEC §4.4): every check happens before
 * anything is written, and every refusal is `WireError('unpackage', [reason])` with a reason an
 * administrator can act on. Sizes are counted from the bytes that really inflate, never taken
 * from zip headers, so a bomb that lies about its sizes stops at the limit.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Uint8ArrayReader, ZipReader, type Entry, type FileEntry } from '@zip.js/zip.js';
import { WireError } from '../../../src-shared/catalog/errors.js';
import {
  MANIFEST_FILE,
  REPAIR_FILE,
  packageFileNameProblem,
  parseManifest,
  parsePackageName,
  formatPackageName,
  type DefinitionsManifest,
} from '../../../src-shared/definitions/manifest.js';
import { parseRepairRecipes } from '../../../src-shared/definitions/repair-recipes.js';

/** Bounds an import enforces; a package over any of them is refused. */
export interface PackageLimits {
  /** Size of the package file itself. */
  readonly maxPackageBytes: number;
  /** Entries in the zip, manifest included. */
  readonly maxEntries: number;
  /** Inflated bytes of any one entry. */
  readonly maxEntryBytes: number;
  /** Inflated bytes of all entries together. */
  readonly maxTotalBytes: number;
}

/** Limits roomy enough for sets of millions of signatures, small enough to stop a bomb early. */
export const DEFAULT_PACKAGE_LIMITS: PackageLimits = {
  maxPackageBytes: 128 * 1024 * 1024,
  maxEntries: 256,
  maxEntryBytes: 256 * 1024 * 1024,
  maxTotalBytes: 512 * 1024 * 1024,
};

/** What a package that passed every check holds. */
export interface VerifiedPackage {
  readonly manifest: DefinitionsManifest;
  /** Every listed file by name (the manifest is not among them). */
  readonly files: ReadonlyMap<string, Buffer>;
  /** The package name for this manifest (`00000678.all.zip`). */
  readonly name: string;
  /** MD5 of the package bytes, lower-case hex (`X-Signatures-Checksum`). */
  readonly md5: string;
  /** The package bytes as read. */
  readonly bytes: Buffer;
}

/** Options of `verifyPackage`. */
export interface VerifyPackageOptions {
  /** Refuse unless the package MD5 is this (hex, any case). */
  readonly expectedMd5?: string;
  readonly limits?: Partial<PackageLimits>;
}

/** Manifests are small; a huge one is an attack on the JSON parser, not a real set. */
const MAX_MANIFEST_BYTES = 1024 * 1024;

// An archive inside a package would smuggle files past the name and size checks.
const NESTED_ARCHIVE_MAGICS: readonly { readonly kind: string; readonly magic: number[] }[] = [
  { kind: 'zip', magic: [0x50, 0x4b, 0x03, 0x04] },
  { kind: 'zip', magic: [0x50, 0x4b, 0x05, 0x06] },
  { kind: 'zip', magic: [0x50, 0x4b, 0x07, 0x08] },
  { kind: 'gzip', magic: [0x1f, 0x8b] },
  { kind: '7z', magic: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c] },
  { kind: 'rar', magic: [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07] },
  { kind: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { kind: 'zstd', magic: [0x28, 0xb5, 0x2f, 0xfd] },
  { kind: 'cab', magic: [0x4d, 0x53, 0x43, 0x46] },
  { kind: 'bzip2', magic: [0x42, 0x5a, 0x68] },
];

const refuse = (reason: string): WireError => new WireError('unpackage', [reason]);

/** The kind of archive `bytes` starts with, or null. */
export function nestedArchiveKind(bytes: Uint8Array): string | null {
  for (const { kind, magic } of NESTED_ARCHIVE_MAGICS) {
    if (bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b)) return kind;
  }
  // tar keeps its magic at offset 257.
  const ustar = [0x75, 0x73, 0x74, 0x61, 0x72];
  if (bytes.length >= 262 && ustar.every((b, i) => bytes[257 + i] === b)) return 'tar';
  return null;
}

/** Why an entry name cannot be unpacked, most dangerous problem first; null when it is fine. */
function entryNameProblem(name: string): string | null {
  if (name.length === 0) return 'an entry has an empty name';
  const quoted = JSON.stringify(name);
  if (name.includes('\0')) return `entry ${quoted} has a NUL character in its name`;
  if (name.split(/[/\\]/).includes('..')) {
    return `entry ${quoted} points outside the package (zip-slip)`;
  }
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name)) {
    return `entry ${quoted} has an absolute path`;
  }
  if (name.includes('\\')) return `entry ${quoted} has a backslash in its name`;
  if (name.endsWith('/')) return `entry ${quoted} is a folder; packages are flat`;
  if (name.includes('/')) return `entry ${quoted} is inside a folder; packages are flat`;
  if (name === MANIFEST_FILE) return null;
  const problem = packageFileNameProblem(name);
  return problem ? `entry ${quoted} is not allowed: ${problem}` : null;
}

function md5Hex(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** Read the package bytes from a path, refusing before reading when the file is too large. */
async function readSource(source: Uint8Array | string, maxBytes: number): Promise<Buffer> {
  if (typeof source !== 'string') {
    if (source.length > maxBytes) {
      throw refuse(`package is ${source.length} bytes, over the limit of ${maxBytes}`);
    }
    return Buffer.from(source.buffer, source.byteOffset, source.length);
  }
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(source);
  } catch (error) {
    throw refuse(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (!stat.isFile()) throw refuse(`${source} is not a file`);
  if (stat.size > maxBytes) {
    throw refuse(`package is ${stat.size} bytes, over the limit of ${maxBytes}`);
  }
  try {
    return await fs.promises.readFile(source);
  } catch (error) {
    throw refuse(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/** Running totals of inflated bytes while entries are read. */
interface InflateBudget {
  total: number;
  readonly limits: PackageLimits;
}

/**
 * Inflate one entry, counting the bytes as they come out and stopping at the first byte over a
 * limit. zip.js also checks the size the headers declare; both refusals name the entry.
 */
async function inflateEntry(entry: FileEntry, budget: InflateBudget, cap: number): Promise<Buffer> {
  const quoted = JSON.stringify(entry.filename);
  const chunks: Buffer[] = [];
  let size = 0;
  let overLimit: string | null = null;
  const sink = new WritableStream<Uint8Array>({
    write(chunk) {
      size += chunk.length;
      budget.total += chunk.length;
      if (size > cap) {
        overLimit = `entry ${quoted} inflates to more than ${cap} bytes`;
      } else if (budget.total > budget.limits.maxTotalBytes) {
        overLimit = `package inflates to more than ${budget.limits.maxTotalBytes} bytes in total`;
      }
      if (overLimit) throw new Error(overLimit);
      chunks.push(Buffer.from(chunk));
    },
  });
  try {
    await entry.getData(sink, { checkSignature: true, useWebWorkers: false });
  } catch (error) {
    if (overLimit) throw refuse(overLimit);
    const message = error instanceof Error ? error.message : String(error);
    if (/uncompressed size/i.test(message)) {
      throw refuse(`entry ${quoted} inflates to a size other than its header declares`);
    }
    if (/crc32|signature/i.test(message)) throw refuse(`entry ${quoted} fails its CRC check`);
    throw refuse(`entry ${quoted} cannot be inflated: ${message}`);
  }
  return Buffer.concat(chunks, size);
}

/** The entries of the archive, refusing as soon as one name or count is wrong. */
async function listEntries(bytes: Buffer, limits: PackageLimits): Promise<Map<string, FileEntry>> {
  // Strict: local headers must agree with the central directory and nothing may hide around
  // the archive. Names are checked here (not by zip.js) so each refusal says what was wrong.
  const reader = new ZipReader(new Uint8ArrayReader(bytes), {
    useWebWorkers: false,
    strictness: 'strict',
    filenameValidation: 'tolerant',
  });
  const entries = new Map<string, FileEntry>();
  let declaredTotal = 0;
  try {
    let count = 0;
    for await (const entry of reader.getEntriesGenerator()) {
      count += 1;
      if (count > limits.maxEntries) throw refuse(`more than ${limits.maxEntries} entries`);
      const problem = entryNameProblem(entry.filename);
      if (problem) throw refuse(problem);
      const quoted = JSON.stringify(entry.filename);
      if (entries.has(entry.filename)) throw refuse(`entry ${quoted} appears twice`);
      if (!isFileEntry(entry)) throw refuse(`entry ${quoted} is a folder; packages are flat`);
      if (entry.encrypted) throw refuse(`entry ${quoted} is encrypted`);
      if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
        throw refuse(`entry ${quoted} uses compression method ${entry.compressionMethod}`);
      }
      // Honest headers let a bomb be refused before inflating anything; lying ones are caught
      // by the byte count in inflateEntry.
      if (entry.uncompressedSize > limits.maxEntryBytes) {
        throw refuse(`entry ${quoted} inflates to more than ${limits.maxEntryBytes} bytes`);
      }
      declaredTotal += entry.uncompressedSize;
      if (declaredTotal > limits.maxTotalBytes) {
        throw refuse(`package inflates to more than ${limits.maxTotalBytes} bytes in total`);
      }
      entries.set(entry.filename, entry);
    }
  } catch (error) {
    if (error instanceof WireError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw refuse(`not a readable zip archive: ${message}`);
  }
  return entries;
}

function isFileEntry(entry: Entry): entry is FileEntry {
  return !entry.directory;
}

/**
 * Check a package as an import does and return its manifest and files. Refuses with
 * `WireError('unpackage', [reason])`: wrong package MD5, unreadable zip, too many entries,
 * unsafe or unlisted names, duplicates, folders, encrypted entries, oversized entries (counted
 * while inflating), nested archives, a missing or invalid manifest, a missing file, a file MD5
 * that differs from the manifest, or an invalid `repair.json`.
 */
export async function verifyPackage(
  source: Uint8Array | string,
  options: VerifyPackageOptions = {},
): Promise<VerifiedPackage> {
  const limits: PackageLimits = { ...DEFAULT_PACKAGE_LIMITS, ...options.limits };
  const bytes = await readSource(source, limits.maxPackageBytes);
  const md5 = md5Hex(bytes);
  if (options.expectedMd5 !== undefined && options.expectedMd5.toLowerCase() !== md5) {
    throw refuse(`package MD5 ${md5} differs from the expected ${options.expectedMd5}`);
  }

  const entries = await listEntries(bytes, limits);
  const manifestEntry = entries.get(MANIFEST_FILE);
  if (!manifestEntry) throw refuse(`${MANIFEST_FILE} is missing`);
  const budget: InflateBudget = { total: 0, limits };
  const manifestBytes = await inflateEntry(
    manifestEntry,
    budget,
    Math.min(MAX_MANIFEST_BYTES, limits.maxEntryBytes),
  );
  let manifestJson: unknown;
  try {
    manifestJson = JSON.parse(manifestBytes.toString('utf8'));
  } catch {
    throw refuse(`${MANIFEST_FILE} is not JSON`);
  }
  const parsed = parseManifest(manifestJson);
  if (!parsed.ok) throw refuse(`${MANIFEST_FILE} is not valid: ${parsed.reason}`);
  const manifest = parsed.manifest;

  for (const name of Object.keys(manifest.files)) {
    if (!entries.has(name))
      throw refuse(`file ${JSON.stringify(name)} listed in the manifest is missing`);
  }
  for (const name of entries.keys()) {
    if (name !== MANIFEST_FILE && !(name in manifest.files)) {
      throw refuse(`entry ${JSON.stringify(name)} is not listed in the manifest`);
    }
  }

  const files = new Map<string, Buffer>();
  for (const [name, entry] of entries) {
    if (name === MANIFEST_FILE) continue;
    const content = await inflateEntry(entry, budget, limits.maxEntryBytes);
    const nested = nestedArchiveKind(content);
    if (nested) throw refuse(`entry ${JSON.stringify(name)} is a nested ${nested} archive`);
    const actual = md5Hex(content);
    const expected = (manifest.files[name] ?? '').toLowerCase();
    if (actual !== expected) {
      throw refuse(`file ${JSON.stringify(name)} has MD5 ${actual}, the manifest says ${expected}`);
    }
    files.set(name, content);
  }

  const repair = files.get(REPAIR_FILE);
  if (repair) {
    let json: unknown;
    try {
      json = JSON.parse(repair.toString('utf8'));
    } catch {
      throw refuse(`${REPAIR_FILE} is not JSON`);
    }
    const recipes = parseRepairRecipes(json);
    if (!recipes.ok) throw refuse(`${REPAIR_FILE} is not valid: ${recipes.reason}`);
  }

  if (typeof source === 'string') {
    // A file named like a package must be the package it claims to be.
    const claimed = parsePackageName(path.basename(source));
    if (claimed && (claimed.sequence !== manifest.sequence || claimed.kind !== manifest.kind)) {
      throw refuse(
        `file name ${path.basename(source)} does not match the manifest (${formatPackageName(manifest.sequence, manifest.kind)})`,
      );
    }
  }
  return { manifest, files, name: formatPackageName(manifest.sequence, manifest.kind), md5, bytes };
}
