/**
 * The definitions an endpoint runs: `<dataDir>/definitions/<sequence>/` folders and a
 * `current.json` pointer. Installing is atomic: the verified files are written to a temporary
 * folder with fsync and read back, renamed into place, and only then is the pointer replaced
 * (temporary file, fsync, rename, directory fsync). A crash at any point leaves the previous
 * set in force. An `incr` set is merged onto its base as the server does.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { WireError } from '../../src-shared/catalog/errors.js';
import { MANIFEST_FILE } from '../../src-shared/definitions/manifest.js';
import {
  fsyncDir,
  moveIntoPlace,
  TEMP_PREFIX,
  writeTempFolder,
} from '../server/definitions/install-folder.js';
import { mergeIncrement } from '../server/definitions/merge-increment.js';
import type { VerifiedPackage } from '../server/definitions/package-reader.js';
import type { ActiveSet } from '../server/scanner/engine.js';

/** Folder of installed sets inside the client's data folder. */
export const DEFINITIONS_FOLDER = 'definitions';
const POINTER = 'current.json';

/** The set an endpoint runs. */
export interface InstalledSet extends ActiveSet {
  /** When it was installed, epoch ms. */
  readonly installedAt: number;
}

const pointerSchema = z.strictObject({
  sequence: z.number().int().positive(),
  version: z.string(),
  certified: z.boolean(),
  name: z.string(),
  installedAt: z.number().int().nonnegative(),
});

/** Installed sets of one endpoint. */
export class EndpointDefinitions {
  readonly dir: string;
  private cached: InstalledSet | null | undefined;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, DEFINITIONS_FOLDER);
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  /** The set in force, or null when none was ever installed. */
  current(): InstalledSet | null {
    if (this.cached !== undefined) return this.cached;
    let value: unknown;
    try {
      value = JSON.parse(fs.readFileSync(path.join(this.dir, POINTER), 'utf8'));
    } catch {
      return (this.cached = null);
    }
    const parsed = pointerSchema.safeParse(value);
    if (!parsed.success) return (this.cached = null);
    const p = parsed.data;
    return (this.cached = { ...p, dir: path.join(this.dir, String(p.sequence)) });
  }

  /** Install a verified package and make it current; refuses an `incr` set without its base. */
  async install(pkg: VerifiedPackage, now = Date.now()): Promise<InstalledSet> {
    const { manifest } = pkg;
    let files: ReadonlyMap<string, Buffer> = pkg.files;
    if (manifest.kind === 'incr') {
      const current = this.current();
      if (!current || current.sequence !== manifest.base) {
        throw new WireError('unpackage', [
          `base set ${manifest.base} of this incr set is not installed here (running ${current?.sequence ?? 'none'})`,
        ]);
      }
      files = await mergeIncrement(current.dir, pkg.files);
    }
    const content = new Map<string, Uint8Array>(files);
    content.set(MANIFEST_FILE, Buffer.from(JSON.stringify(manifest, null, 2) + '\n'));
    const expected = new Map(
      [...content].map(([name, bytes]) => [name, createHash('md5').update(bytes).digest('hex')]),
    );
    const temp = await writeTempFolder(this.dir, String(manifest.sequence), content, expected);
    await moveIntoPlace(temp, path.join(this.dir, String(manifest.sequence)));
    const set: InstalledSet = {
      sequence: manifest.sequence,
      version: manifest.version,
      certified: manifest.certified,
      name: pkg.name,
      installedAt: now,
      dir: path.join(this.dir, String(manifest.sequence)),
    };
    await this.writePointer(set);
    const previous = this.cached;
    this.cached = set;
    await this.prune(set.sequence, previous?.sequence ?? null);
    return set;
  }

  private async writePointer(set: InstalledSet): Promise<void> {
    const pointer = path.join(this.dir, POINTER);
    const temp = `${pointer}.${process.pid}.tmp`;
    const handle = await fs.promises.open(temp, 'w', 0o600);
    try {
      const stored = {
        sequence: set.sequence,
        version: set.version,
        certified: set.certified,
        name: set.name,
        installedAt: set.installedAt,
      };
      await handle.writeFile(JSON.stringify(stored) + '\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(temp, pointer);
    await fsyncDir(this.dir);
  }

  /** Keep the current set and the one before it; remove other sets and crash leftovers. */
  private async prune(current: number, previous: number | null): Promise<void> {
    for (const name of await fs.promises.readdir(this.dir)) {
      const keep = name === POINTER || name === String(current) || name === String(previous);
      if (keep || !(name.startsWith(TEMP_PREFIX) || /^\d+$/.test(name))) continue;
      await fs.promises.rm(path.join(this.dir, name), { recursive: true, force: true });
    }
  }
}
