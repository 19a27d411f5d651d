/**
 * Stripping zip-based documents (SPEC §9): Office Open XML (docm, xlsm, pptm…) and
 * OpenDocument (odt, ods…) keep their macro parts and the package structure that points at them
 * ([Content_Types].xml, relationship files, the manifest); text, images and document
 * properties are dropped.
 */
import path from 'node:path/posix';
import {
  configure,
  Uint8ArrayReader,
  Uint8ArrayWriter,
  Writer,
  ZipReader,
  ZipWriter,
  type Entry,
  type FileEntry,
} from '@zip.js/zip.js';

// Workers would need a browser-style worker script; everything here is small and synchronous enough.
configure({ useWebWorkers: false });

/** Limits that keep a hostile zip from exhausting memory (zip bombs, entry floods). */
export const ZIP_STRIP_LIMITS = {
  maxEntries: 20_000,
  /** Largest single part that is kept (macro projects are far smaller). */
  maxPartBytes: 64 * 1024 * 1024,
  /** Total of the kept parts. */
  maxKeptBytes: 128 * 1024 * 1024,
} as const;

/** Outcome of stripping a zip document. */
export type ZipStripResult =
  | {
      readonly ok: true;
      readonly family: ZipFamily;
      readonly bytes: Buffer;
      readonly removed: string[];
    }
  | { readonly ok: false; readonly reason: string };

/** Which zip document family an archive belongs to, or null for any other zip. */
export type ZipFamily = 'ooxml' | 'odf';

const ODF_MIMETYPE = /^application\/vnd\.oasis\.opendocument\./;
const OOXML_MACRO_PART =
  /(?:^|\/)(?:vbaProject\.bin|vbaData\.xml|vbaProjectSignature[A-Za-z]*\.bin)$|(?:^|\/)macrosheets\//i;
const ODF_MACRO_PART = /^(?:Basic|Scripts)\//;
// Library index files exist in every ODF package that ever had the Basic IDE opened.
const ODF_INDEX_FILE = /(?:^|\/)(?:script-lc|script-lb|dialog-lc|dialog-lb)\.xml$/;

class PartTooLarge extends Error {}

/** Collects an entry's bytes and stops as soon as they pass the limit. */
class BoundedWriter extends Writer<Uint8Array> {
  private readonly chunks: Uint8Array[] = [];
  private total = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override writeUint8Array(array: Uint8Array): Promise<void> {
    this.total += array.length;
    if (this.total > this.limit) return Promise.reject(new PartTooLarge());
    this.chunks.push(array.slice());
    return Promise.resolve();
  }

  override getData(): Promise<Uint8Array> {
    return Promise.resolve(Buffer.concat(this.chunks));
  }
}

interface OpenZip {
  readonly reader: ZipReader<Uint8Array>;
  readonly entries: Entry[];
}

async function openZip(bytes: Uint8Array): Promise<OpenZip | string> {
  const reader = new ZipReader(new Uint8ArrayReader(bytes));
  try {
    const entries = await reader.getEntries();
    if (entries.length > ZIP_STRIP_LIMITS.maxEntries) {
      await reader.close();
      return `the archive has ${entries.length} entries (limit ${ZIP_STRIP_LIMITS.maxEntries})`;
    }
    return { reader, entries };
  } catch (error) {
    await reader.close().catch(() => undefined);
    return `the zip archive cannot be read: ${(error as Error).message}`;
  }
}

async function readPart(entry: FileEntry, budget: { left: number }): Promise<Buffer | string> {
  if (entry.encrypted) return `${entry.filename} is encrypted`;
  const limit = Math.min(ZIP_STRIP_LIMITS.maxPartBytes, budget.left);
  if (entry.uncompressedSize > limit) return `${entry.filename} is too large to keep`;
  try {
    const data = Buffer.from(await entry.getData(new BoundedWriter(limit)));
    budget.left -= data.length;
    return data;
  } catch (error) {
    if (error instanceof PartTooLarge) return `${entry.filename} is too large to keep`;
    return `${entry.filename} cannot be unpacked: ${(error as Error).message}`;
  }
}

async function familyOf(entries: readonly Entry[]): Promise<ZipFamily | null> {
  if (entries.some((e) => e.filename === '[Content_Types].xml')) return 'ooxml';
  const mimetype = entries.find((e): e is FileEntry => e.filename === 'mimetype' && !e.directory);
  if (mimetype && mimetype.uncompressedSize < 256) {
    const text = await readPart(mimetype, { left: 256 });
    if (typeof text !== 'string' && ODF_MIMETYPE.test(text.toString('latin1'))) return 'odf';
  }
  return null;
}

/** Where a relationship file's relationships start from (`word/_rels/document.xml.rels` → `word/document.xml`). */
function relsSource(relsPath: string): string | null {
  const match = /^(.*?)_rels\/([^/]*)\.rels$/.exec(relsPath);
  if (!match) return null;
  return `${match[1]}${match[2]}`;
}

function attribute(element: string, name: string): string | undefined {
  const match = new RegExp(`\\b${name}\\s*=\\s*("([^"]*)"|'([^']*)')`).exec(element);
  return match ? (match[2] ?? match[3]) : undefined;
}

/** Keep only the relationships whose internal target is a kept part. */
function filterRelationships(xml: string, source: string, kept: ReadonlySet<string>): string {
  const base = path.dirname(source);
  return xml.replace(
    /<Relationship\b[^>]*?\/>|<Relationship\b[^>]*>[\s\S]*?<\/Relationship>/g,
    (el) => {
      const target = attribute(el, 'Target');
      if (target === undefined || attribute(el, 'TargetMode') === 'External') return '';
      const resolved = target.startsWith('/')
        ? target.slice(1)
        : path.normalize(path.join(base === '.' ? '' : base, target));
      return kept.has(resolved) ? el : '';
    },
  );
}

/** Keep the content-type overrides of kept parts (defaults by extension stay). */
function filterContentTypes(xml: string, kept: ReadonlySet<string>): string {
  return xml.replace(/<Override\b[^>]*?\/>/g, (el) => {
    const part = attribute(el, 'PartName');
    return part !== undefined && kept.has(part.replace(/^\//, '')) ? el : '';
  });
}

/** Keep manifest entries of the root, kept files and the folders that hold them. */
function filterManifest(xml: string, kept: ReadonlySet<string>): string {
  return xml.replace(/<manifest:file-entry\b[^>]*?\/>/g, (el) => {
    const full = attribute(el, 'manifest:full-path');
    if (full === undefined) return '';
    if (full === '/' || kept.has(full)) return el;
    if (full.endsWith('/') && [...kept].some((k) => k.startsWith(full))) return el;
    return '';
  });
}

async function writeZip(
  parts: readonly { name: string; data: Buffer; stored?: boolean }[],
): Promise<Buffer> {
  const writer = new ZipWriter(new Uint8ArrayWriter(), { keepOrder: true });
  for (const part of parts) {
    await writer.add(part.name, new Uint8ArrayReader(part.data), {
      // ODF readers identify the package from an uncompressed first entry with no extras.
      ...(part.stored
        ? { level: 0, extendedTimestamp: false, dataDescriptor: false }
        : { level: 6 }),
    });
  }
  return Buffer.from(await writer.close());
}

/** Strip an OOXML or ODF package down to its macro parts and structure. */
export async function stripZipDocument(bytes: Uint8Array): Promise<ZipStripResult> {
  const opened = await openZip(bytes);
  if (typeof opened === 'string') return { ok: false, reason: opened };
  const { reader, entries } = opened;
  try {
    const family = await familyOf(entries);
    if (family === null) {
      return {
        ok: false,
        reason:
          'a zip archive that is neither an Office Open XML nor an OpenDocument file cannot be stripped',
      };
    }
    const files = entries.filter((e): e is FileEntry => !e.directory);
    const isMacro = (name: string): boolean =>
      family === 'ooxml' ? OOXML_MACRO_PART.test(name) : ODF_MACRO_PART.test(name);
    const macroParts = files.filter((e) => isMacro(e.filename));
    const hasCode =
      family === 'ooxml'
        ? macroParts.length > 0
        : macroParts.some((e) => !ODF_INDEX_FILE.test(e.filename) && !e.filename.endsWith('/'));
    if (!hasCode) {
      return {
        ok: false,
        reason: `the ${family === 'ooxml' ? 'Office Open XML' : 'OpenDocument'} file has no macros: stripping would leave nothing to analyse`,
      };
    }
    const structural =
      family === 'ooxml'
        ? (name: string) => name === '[Content_Types].xml' || name.endsWith('.rels')
        : (name: string) => name === 'mimetype' || name === 'META-INF/manifest.xml';
    const keptNames = new Set(
      files.map((e) => e.filename).filter((n) => isMacro(n) || structural(n)),
    );
    const budget = { left: ZIP_STRIP_LIMITS.maxKeptBytes };
    const parts: { name: string; data: Buffer; stored?: boolean }[] = [];
    for (const entry of files) {
      if (!keptNames.has(entry.filename)) continue;
      const data = await readPart(entry, budget);
      if (typeof data === 'string') return { ok: false, reason: data };
      parts.push({ name: entry.filename, data });
    }
    // Structure files are rewritten so they no longer name the dropped parts.
    const macroNames = new Set([...keptNames].filter((n) => !structural(n)));
    const out: { name: string; data: Buffer; stored?: boolean }[] = [];
    for (const part of parts) {
      const text = (): string => part.data.toString('utf8');
      if (family === 'ooxml' && part.name === '[Content_Types].xml') {
        out.push({ name: part.name, data: Buffer.from(filterContentTypes(text(), keptNames)) });
      } else if (family === 'ooxml' && part.name.endsWith('.rels')) {
        const source = relsSource(part.name);
        const filtered = filterRelationships(text(), source ?? '', macroNames);
        const isPackageRels = part.name === '_rels/.rels';
        // A relationship file left with nothing to point at is dropped with its part.
        if (isPackageRels || /<Relationship\b/.test(filtered)) {
          out.push({ name: part.name, data: Buffer.from(filtered) });
        } else keptNames.delete(part.name);
      } else if (family === 'odf' && part.name === 'META-INF/manifest.xml') {
        out.push({ name: part.name, data: Buffer.from(filterManifest(text(), keptNames)) });
      } else if (family === 'odf' && part.name === 'mimetype') {
        out.unshift({ ...part, stored: true });
      } else out.push(part);
    }
    const removed = files.map((e) => e.filename).filter((n) => !keptNames.has(n));
    return { ok: true, family, bytes: await writeZip(out), removed };
  } finally {
    await reader.close();
  }
}
