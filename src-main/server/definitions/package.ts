/**
 * Definitions packages (SPEC §4.4): the writer behind `cq defs build` and the gateway's set
 * builder, plus the reader every import goes through (re-exported from package-reader.ts).
 * The writer validates what it writes with the same schemas the reader applies, so a package it
 * builds is one an import accepts.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Uint8ArrayReader, Uint8ArrayWriter, ZipWriter } from '@zip.js/zip.js';
import { formatHttpDate } from '../../../src-shared/codec/dates.js';
import {
  MANIFEST_FILE,
  REPAIR_FILE,
  formatDefinitionsVersion,
  formatPackageName,
  packageFileNameProblem,
  parseManifest,
  type DefinitionsKind,
  type DefinitionsManifest,
} from '../../../src-shared/definitions/manifest.js';
import { parseRepairRecipes } from '../../../src-shared/definitions/repair-recipes.js';

export {
  DEFAULT_PACKAGE_LIMITS,
  nestedArchiveKind,
  verifyPackage,
  type PackageLimits,
  type VerifiedPackage,
  type VerifyPackageOptions,
} from './package-reader.js';

/** Why a package could not be built (bad input from whoever asked for it). */
export class PackageBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PackageBuildError';
  }
}

/** What to put in a package. Exactly one of `fromDir` and `files` gives the content. */
export interface BuildPackageOptions {
  readonly sequence: number;
  readonly certified: boolean;
  /** Defaults to `all`. */
  readonly kind?: DefinitionsKind;
  /** Sequence an `incr` set applies on top of. */
  readonly base?: number;
  /** A folder of signature files (flat; every regular file in it is packaged). */
  readonly fromDir?: string;
  /** Files by name. */
  readonly files?:
    ReadonlyMap<string, Uint8Array | string> | Readonly<Record<string, Uint8Array | string>>;
  /** `YYYY.MM.DD.NNN`; defaults to revision 001 of the day `produced` falls on. */
  readonly version?: string;
  /** Milliseconds; default now. Also the timestamp of every zip entry, so builds repeat. */
  readonly produced?: number;
  /** Milliseconds; defaults to `produced`. */
  readonly published?: number;
  /** Milliseconds; defaults to `published` for certified sets (ignored for others). */
  readonly blessed?: number;
}

/** A built package. */
export interface BuiltPackage {
  readonly bytes: Buffer;
  /** `{sequence:8}.{kind}.zip`. */
  readonly name: string;
  /** MD5 of `bytes`, lower-case hex. */
  readonly md5: string;
  readonly manifest: DefinitionsManifest;
}

function toBuffer(value: Uint8Array | string): Buffer {
  return typeof value === 'string'
    ? Buffer.from(value, 'utf8')
    : Buffer.from(value.buffer, value.byteOffset, value.length);
}

async function readFolder(dir: string): Promise<Map<string, Buffer>> {
  let names: fs.Dirent[];
  try {
    names = await fs.promises.readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new PackageBuildError(
      `cannot read ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  const files = new Map<string, Buffer>();
  for (const entry of names.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!entry.isFile()) {
      throw new PackageBuildError(
        `${entry.name} in ${dir} is not a regular file; packages are flat`,
      );
    }
    files.set(entry.name, await fs.promises.readFile(path.join(dir, entry.name)));
  }
  return files;
}

function isFileMap(
  files: NonNullable<BuildPackageOptions['files']>,
): files is ReadonlyMap<string, Uint8Array | string> {
  return files instanceof Map;
}

function collectFiles(
  options: BuildPackageOptions,
): Promise<Map<string, Buffer>> | Map<string, Buffer> {
  if ((options.fromDir === undefined) === (options.files === undefined)) {
    throw new PackageBuildError('give exactly one of fromDir and files');
  }
  if (options.fromDir !== undefined) return readFolder(options.fromDir);
  const given = options.files!;
  const entries: [string, Uint8Array | string][] = isFileMap(given)
    ? [...given.entries()]
    : Object.entries(given);
  return new Map(entries.map(([name, content]) => [name, toBuffer(content)]));
}

/**
 * Build a package: validate names and `repair.json`, compute the MD5 of every file, write the
 * manifest first and the files in name order with fixed timestamps.
 */
export async function buildPackage(options: BuildPackageOptions): Promise<BuiltPackage> {
  const files = await collectFiles(options);
  if (files.size === 0) throw new PackageBuildError('a package needs at least one signature file');
  for (const name of files.keys()) {
    const problem = packageFileNameProblem(name);
    if (problem) throw new PackageBuildError(`cannot package ${JSON.stringify(name)}: ${problem}`);
  }
  const repair = files.get(REPAIR_FILE);
  if (repair) {
    let json: unknown;
    try {
      json = JSON.parse(repair.toString('utf8'));
    } catch {
      throw new PackageBuildError(`${REPAIR_FILE} is not JSON`);
    }
    const recipes = parseRepairRecipes(json);
    if (!recipes.ok) throw new PackageBuildError(`${REPAIR_FILE} is not valid: ${recipes.reason}`);
  }

  const kind = options.kind ?? 'all';
  const produced = options.produced ?? Date.now();
  const published = options.published ?? produced;
  const names = [...files.keys()].sort();
  const candidate = {
    sequence: options.sequence,
    version: options.version ?? formatDefinitionsVersion(produced),
    certified: options.certified,
    kind,
    ...(kind === 'incr' ? { base: options.base ?? null } : {}),
    produced: formatHttpDate(produced),
    published: formatHttpDate(published),
    blessed: options.certified ? formatHttpDate(options.blessed ?? published) : null,
    files: Object.fromEntries(
      names.map((name) => [name, createHash('md5').update(files.get(name)!).digest('hex')]),
    ),
  };
  if (kind === 'all' && options.base !== undefined) {
    throw new PackageBuildError('an all set has no base; use kind incr');
  }
  const parsed = parseManifest(candidate);
  if (!parsed.ok) throw new PackageBuildError(`invalid manifest: ${parsed.reason}`);

  // Whole seconds, as zip timestamps (DOS time) hold no more; the same input gives the same bytes.
  const lastModDate = new Date(Math.floor(produced / 2000) * 2000);
  const writer = new ZipWriter(new Uint8ArrayWriter(), {
    useWebWorkers: false,
    level: 9,
    lastModDate,
    extendedTimestamp: false,
    dataDescriptor: false,
  });
  await writer.add(
    MANIFEST_FILE,
    new Uint8ArrayReader(Buffer.from(JSON.stringify(parsed.manifest, null, 2) + '\n', 'utf8')),
  );
  for (const name of names) await writer.add(name, new Uint8ArrayReader(files.get(name)!));
  const bytes = Buffer.from(await writer.close());
  return {
    bytes,
    name: formatPackageName(parsed.manifest.sequence, parsed.manifest.kind),
    md5: createHash('md5').update(bytes).digest('hex'),
    manifest: parsed.manifest,
  };
}
