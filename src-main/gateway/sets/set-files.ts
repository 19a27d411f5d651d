/**
 * Where a gateway keeps its definitions sets: `sets/<sequence>/` holds the cumulative signature
 * files of each published set (what the scan engines load), `packages/<md5>.zip` every package
 * built, named by content so a download never sees a half-replaced file. Files are written to a
 * temporary name, fsynced and renamed before the database refers to them.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  formatPackageName,
  type DefinitionsKind,
} from '../../../src-shared/definitions/manifest.js';
import type { ActiveSet } from '../../server/scanner/engine.js';
import type { SetRow } from '../model.js';

/** `{sequence:8}.{kind}.zip`. */
export function packageName(sequence: number, kind: DefinitionsKind): string {
  return formatPackageName(sequence, kind);
}

async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await fs.promises.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeDurably(file: string, bytes: Uint8Array | string): Promise<void> {
  const temp = `${file}.${randomUUID()}.tmp`;
  const handle = await fs.promises.open(temp, 'w', 0o644);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(temp, file);
}

/** The set folders and package files of one gateway data folder. */
export class SetFiles {
  readonly setsDir: string;
  readonly packagesDir: string;

  constructor(dataDir: string) {
    this.setsDir = path.join(dataDir, 'sets');
    this.packagesDir = path.join(dataDir, 'packages');
    fs.mkdirSync(this.setsDir, { recursive: true });
    fs.mkdirSync(this.packagesDir, { recursive: true });
  }

  /** Folder of the cumulative signature files of `sequence`. */
  setDir(sequence: number): string {
    return path.join(this.setsDir, String(sequence).padStart(8, '0'));
  }

  /** File of the package with this MD5. */
  packagePath(md5: string): string {
    if (!/^[0-9a-fA-F]{32}$/.test(md5)) throw new Error(`not an MD5: ${md5}`);
    return path.join(this.packagesDir, `${md5.toLowerCase()}.zip`);
  }

  /** Store package bytes durably under their MD5. */
  async storePackage(md5: string, bytes: Uint8Array): Promise<void> {
    await writeDurably(this.packagePath(md5), bytes);
    await syncDir(this.packagesDir);
  }

  /** The signature files of a set folder by name (empty when the folder does not exist). */
  async readSetFiles(sequence: number): Promise<Map<string, Buffer>> {
    const dir = this.setDir(sequence);
    const files = new Map<string, Buffer>();
    let names: string[];
    try {
      names = (await fs.promises.readdir(dir)).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return files;
      throw error;
    }
    for (const name of names) files.set(name, await fs.promises.readFile(path.join(dir, name)));
    return files;
  }

  /**
   * Write the folder of `sequence` with exactly `files`: staged beside it, fsynced, then
   * renamed into place. Only sets not yet published are written, and their build step is
   * redone after a crash, so replacing a leftover folder from an interrupted run is safe.
   */
  async writeSetDir(
    sequence: number,
    files: ReadonlyMap<string, Uint8Array | string>,
  ): Promise<string> {
    const dir = this.setDir(sequence);
    const staging = `${dir}.${randomUUID()}.new`;
    await fs.promises.mkdir(staging);
    for (const [name, content] of files) await writeDurably(path.join(staging, name), content);
    await syncDir(staging);
    await fs.promises.rm(dir, { recursive: true, force: true });
    await fs.promises.rename(staging, dir);
    await syncDir(this.setsDir);
    return dir;
  }

  /** Remove leftovers of set folders being replaced when a previous run stopped. */
  removeStaging(): void {
    for (const name of fs.readdirSync(this.setsDir)) {
      if (name.endsWith('.new'))
        fs.rmSync(path.join(this.setsDir, name), { recursive: true, force: true });
    }
    for (const name of fs.readdirSync(this.packagesDir)) {
      if (name.endsWith('.tmp')) fs.rmSync(path.join(this.packagesDir, name), { force: true });
    }
  }

  /** A published set as the scan engines load it. */
  activeSet(set: SetRow): ActiveSet {
    return {
      sequence: set.sequence,
      version: set.version,
      certified: set.certified,
      dir: this.setDir(set.sequence),
      name: packageName(set.sequence, set.packageKind ?? set.kind),
    };
  }
}
