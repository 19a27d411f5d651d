/**
 * The database folder clamd loads: a copy of the active set holding only the files clamd can
 * use, with lines clamd would reject left out (clamd refuses a whole database over one bad line)
 * and reported, plus a one-line marker signature unique to this load. Scanning the marker's
 * content proves that clamd runs this very database, since RELOAD answers before it loads.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ActiveSet, LoadReport } from '../engine.js';

/** Signature files clamd reads from a set, by extension. */
export const CLAMD_FILE_EXTENSIONS = ['.hdb', '.hsb', '.ndb', '.ldb', '.yar', '.yara'] as const;

/** File that carries the marker signature in every prepared folder. */
export const MARKER_FILE = 'cq-load-marker.hdb';

/** A prepared folder and what went into it. */
export interface ClamdDatabase {
  readonly dir: string;
  readonly report: LoadReport;
  /** Content that only this load's marker signature detects, and the name it reports. */
  readonly marker: { readonly content: Buffer; readonly name: string };
}

type Unusable = LoadReport['unusable'][number];

const HASH_LINE = {
  '.hdb': /^[0-9a-fA-F]{32}:(?:\d+|\*):[^:\s][^:]*(?::\d+(?::\d+)?)?$/,
  '.hsb': /^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64}):(?:\d+|\*):[^:\s][^:]*(?::\d+(?::\d+)?)?$/,
} as const;
const NDB_OFFSET =
  /^(?:\*|\d+(?:,\d+)?|EOF-\d+(?:,\d+)?|EP[+-]\d+(?:,\d+)?|S\d+[+-]\d+(?:,\d+)?|SE\d+(?:,\d+)?|SL[+-]\d+(?:,\d+)?|VI)$/;
const NDB_BODY = /^[0-9a-fA-F?*{}\-()|!,[\]]+$/;
const LAST_TARGET = 14;

/** Why clamd would refuse a `.hdb`/`.hsb`/`.ndb` line, or null when it is usable. */
export function checkSignatureLine(extension: string, line: string): string | null {
  if (extension === '.hdb' || extension === '.hsb') {
    if (!HASH_LINE[extension].test(line)) return 'not HASH:SIZE:NAME';
    const [, size, , level] = line.split(':');
    // An unknown size needs a functionality level that allows it.
    if (size === '*' && !(Number(level) >= 73)) return 'size * needs a minimum level of 73';
    return null;
  }
  if (extension === '.ndb') {
    const fields = line.split(':');
    if (fields.length < 4 || fields.length > 6) return 'not NAME:TARGET:OFFSET:HEX';
    const [name, target, offset, body] = fields as [string, string, string, string];
    if (name.trim() === '' || name !== name.trim()) return 'bad signature name';
    if (!/^\d+$/.test(target) || Number(target) > LAST_TARGET) return `unknown target ${target}`;
    if (!NDB_OFFSET.test(offset)) return `unknown offset ${offset}`;
    if (!NDB_BODY.test(body) || !/[0-9a-fA-F]{2}/.test(body)) return 'bad hex signature';
    if (fields.slice(4).some((level) => !/^\d*$/.test(level))) return 'bad functionality level';
    return null;
  }
  return null;
}

function nameOf(extension: string, line: string): string {
  const fields = line.split(':');
  return (extension === '.ndb' ? fields[0] : fields[2]) ?? line.slice(0, 64);
}

/** Copy one signature file, keeping the lines clamd accepts; returns how many it kept. */
async function copyFiltered(
  from: string,
  to: string,
  extension: string,
  unusable: Unusable[],
): Promise<number> {
  const file = path.basename(from);
  const text = await fs.promises.readFile(from, 'utf8');
  if (extension === '.ldb' || extension === '.yar' || extension === '.yara') {
    // Logical and YARA rules are clamd's alone; clamd itself judges them when it loads.
    await fs.promises.writeFile(to, text, { mode: 0o600 });
    const rules =
      extension === '.ldb'
        ? text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#')).length
        : (text.match(/^\s*(?:private\s+|global\s+)*rule\s/gm) ?? []).length;
    return rules;
  }
  const kept: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const reason = checkSignatureLine(extension, line);
    if (reason) unusable.push({ file, name: nameOf(extension, line), reason });
    else kept.push(line);
  }
  await fs.promises.writeFile(to, kept.length > 0 ? kept.join('\n') + '\n' : '', { mode: 0o600 });
  return kept.length;
}

/**
 * Build a new database folder for `set` under `parent` (named after the sequence and a random
 * tag, so a load never writes into the folder clamd is reading).
 */
export async function prepareClamdDatabase(set: ActiveSet, parent: string): Promise<ClamdDatabase> {
  const tag = randomBytes(6).toString('hex');
  const dir = path.join(parent, `db-${String(set.sequence).padStart(8, '0')}-${tag}`);
  await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    const unusable: Unusable[] = [];
    let signatures = 0;
    const entries = (await fs.promises.readdir(set.dir, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    for (const entry of entries) {
      const extension = path.extname(entry.name).toLowerCase();
      if (!entry.isFile() || !(CLAMD_FILE_EXTENSIONS as readonly string[]).includes(extension))
        continue;
      if (entry.name === MARKER_FILE) {
        unusable.push({
          file: entry.name,
          name: '*',
          reason: 'file name reserved for the load marker',
        });
        continue;
      }
      signatures += await copyFiltered(
        path.join(set.dir, entry.name),
        path.join(dir, entry.name),
        extension,
        unusable,
      );
    }
    const content = Buffer.from(`Central Quarantine clamd load marker ${tag} ${set.sequence}\n`);
    const name = `CentralQuarantine.LoadMarker.${tag}`;
    const md5 = createHash('md5').update(content).digest('hex');
    await fs.promises.writeFile(path.join(dir, MARKER_FILE), `${md5}:${content.length}:${name}\n`, {
      mode: 0o600,
    });
    return { dir, report: { signatures, unusable }, marker: { content, name } };
  } catch (error) {
    await fs.promises.rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Remove prepared folders under `parent` except those in `keep`. */
export async function pruneClamdDatabases(parent: string, keep: readonly string[]): Promise<void> {
  const kept = new Set(keep.map((d) => path.resolve(d)));
  const entries = await fs.promises.readdir(parent, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const full = path.resolve(parent, entry.name);
    if (entry.isDirectory() && /^db-\d{8}-[0-9a-f]{12}$/.test(entry.name) && !kept.has(full))
      await fs.promises.rm(full, { recursive: true, force: true });
  }
}

/**
 * Point the fixed database path clamd is configured with at `dir`, atomically (a new symbolic
 * link renamed over the old one), so clamd never sees a half-switched folder.
 */
export async function pointDatabase(link: string, dir: string): Promise<void> {
  const temp = `${link}.${randomBytes(4).toString('hex')}.tmp`;
  await fs.promises.symlink(dir, temp, 'dir');
  try {
    await fs.promises.rename(temp, link);
  } catch (error) {
    await fs.promises.unlink(temp).catch(() => undefined);
    throw error;
  }
}
