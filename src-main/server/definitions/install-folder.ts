/**
 * Durable file steps of installing a definitions set: write a folder's files with fsync, check
 * them back, and swap the folder into place with a rename followed by a directory fsync.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Prefix of folders being written; start-up removes any left by a crash. */
export const TEMP_PREFIX = '.tmp-';

/** Flush a directory's entries (new names, renames) to disk. Windows cannot open folders. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (process.platform !== 'win32' || (code !== 'EISDIR' && code !== 'EPERM')) throw error;
  } finally {
    await handle?.close();
  }
}

async function writeDurably(file: string, content: Uint8Array): Promise<void> {
  const handle = await fs.promises.open(file, 'wx');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Write `files` into a new temporary folder under `parent`, fsync everything, read each file
 * back and compare its MD5 with `expected` (when given). Returns the folder; on failure it is
 * removed and the error rethrown.
 */
export async function writeTempFolder(
  parent: string,
  label: string,
  files: ReadonlyMap<string, Uint8Array>,
  expected: ReadonlyMap<string, string>,
): Promise<string> {
  const folder = path.join(parent, `${TEMP_PREFIX}${label}-${randomBytes(4).toString('hex')}`);
  await fs.promises.mkdir(folder);
  try {
    for (const [name, content] of files) await writeDurably(path.join(folder, name), content);
    await fsyncDir(folder);
    for (const [name, md5] of expected) {
      const actual = createHash('md5')
        .update(await fs.promises.readFile(path.join(folder, name)))
        .digest('hex');
      if (actual !== md5) throw new Error(`${name} reads back with MD5 ${actual}, expected ${md5}`);
    }
    return folder;
  } catch (error) {
    await fs.promises.rm(folder, { recursive: true, force: true });
    throw error;
  }
}

/** Move a finished temporary folder to `target` (replacing a leftover there) and make it durable. */
export async function moveIntoPlace(temp: string, target: string): Promise<void> {
  await fs.promises.rm(target, { recursive: true, force: true });
  await fs.promises.rename(temp, target);
  await fsyncDir(path.dirname(target));
}
