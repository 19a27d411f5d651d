/**
 * Writing a sample's original bytes into a folder the administrator chose (SPEC §6). The path
 * an endpoint reported (`X-Sample-File`) is untrusted: only a sanitised base name of it is
 * used, inside the chosen folder, and an existing file is never replaced unless asked.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBlobDecoder } from '../../codec/content.js';
import { baseName, type BlobStore } from '../store/index.js';

const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9]|conin\$|conout\$)(\..*)?$/i;
const MAX_NAME = 200;

/**
 * A safe file name from an endpoint-reported path: base name only, no control or reserved
 * characters, no device names, no leading dots, bounded length; `fallback` when nothing is left.
 */
export function safeFileName(reported: string | undefined, fallback: string): string {
  let name = baseName(reported ?? '')
    .replace(/[\p{Cc}<>:"/\\|?*]/gu, '_')
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  if (WINDOWS_DEVICE.test(name)) name = `_${name}`;
  if (name.length > MAX_NAME) {
    const ext = path.extname(name).slice(0, 16);
    name = name.slice(0, MAX_NAME - ext.length) + ext;
  }
  return name || fallback;
}

/** Why a destination folder cannot be used, or null when it can. */
export function checkDestination(folder: string): string | null {
  if (!path.isAbsolute(folder)) return 'the destination must be an absolute folder';
  let info: fs.Stats;
  try {
    info = fs.statSync(folder);
  } catch {
    return `the destination folder ${folder} does not exist`;
  }
  if (!info.isDirectory()) return `${folder} is not a folder`;
  return null;
}

/**
 * Decode blob `sha256` into `folder/name`. Writes a temp file in the folder first and links it
 * into place, so a half-written file never carries the final name and an existing file is kept
 * unless `overwrite`.
 */
export async function restoreBlob(
  blobs: BlobStore,
  sha256: string,
  folder: string,
  name: string,
  options: { overwrite: boolean; maxBytes: number },
): Promise<string> {
  const target = path.join(folder, name);
  if (path.dirname(target) !== path.resolve(folder))
    throw new Error('refusing a name outside the folder');
  if (!options.overwrite && fs.existsSync(target)) {
    throw new Error(`${target} already exists (restore again with overwrite to replace it)`);
  }
  const temp = path.join(folder, `.cq-restore-${randomBytes(6).toString('hex')}.tmp`);
  try {
    await pipeline(
      blobs.openStored(sha256),
      createBlobDecoder(options.maxBytes),
      fs.createWriteStream(temp, { flags: 'wx', mode: 0o600 }),
    );
    if (options.overwrite) {
      await fs.promises.rename(temp, target);
    } else {
      // link() fails if the target appeared meanwhile: never replace what we were not asked to.
      await fs.promises.link(temp, target);
      await fs.promises.unlink(temp);
    }
  } catch (error) {
    await fs.promises.unlink(temp).catch(() => undefined);
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new Error(`${target} already exists (restore again with overwrite to replace it)`);
    }
    throw error;
  }
  return target;
}
