/**
 * Writing sample content into a folder the administrator chose (SPEC §6): restores (the
 * original bytes) and repairs (a repaired copy). The path an endpoint reported
 * (`X-Sample-File`) is untrusted: only a sanitised base name of it is used, strictly inside the
 * chosen folder, and an existing file is never replaced unless the administrator said so.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

// Windows device names, also with an extension (`NUL.txt`) and the superscript-digit ports.
const WINDOWS_DEVICE =
  /^(?:con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3]|conin\$|conout\$|clock\$)$/i;
// Characters no file name may carry on Windows or POSIX, plus controls, invisible format
// characters (bidi overrides that disguise an extension) and line separators.
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}<>:"/\\|?*]/gu;
const MAX_NAME_BYTES = 200;
const MAX_EXTENSION = 16;

/** The last component of an endpoint path, whatever its separators, prefixes and drive. */
function lastComponent(reported: string): string {
  const parts = reported.split(/[\\/]+/);
  // `C:name` (drive-relative) names `name` on that drive.
  return (parts.at(-1) ?? '').replace(/^[A-Za-z]:/, '');
}

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Cut `text` to at most `bytes` UTF-8 bytes without splitting a character. */
function cutToBytes(text: string, bytes: number): string {
  let out = '';
  for (const ch of text) {
    if (utf8Length(out + ch) > bytes) break;
    out += ch;
  }
  return out;
}

/** Dots and spaces at either end: Windows drops trailing ones, leading ones hide or climb. */
function trimDotsAndSpaces(name: string): string {
  return name.replace(/^[.\s]+/u, '').replace(/[.\s]+$/u, '');
}

/**
 * A safe file name from an endpoint-reported path: its base name only; separators, stream
 * colons, reserved and invisible characters replaced; no leading or trailing dots or spaces; no
 * device name; at most 200 UTF-8 bytes (the extension kept). `fallback` when nothing is left.
 */
export function safeFileName(reported: string | undefined, fallback: string): string {
  let name = trimDotsAndSpaces(
    lastComponent((reported ?? '').normalize('NFC')).replace(FORBIDDEN, '_'),
  );
  const stem = name.split('.')[0]!.trimEnd();
  if (WINDOWS_DEVICE.test(stem)) name = `_${name}`;
  if (utf8Length(name) > MAX_NAME_BYTES) {
    const dot = name.lastIndexOf('.');
    const extension = dot > 0 && name.length - dot <= MAX_EXTENSION ? name.slice(dot) : '';
    name = trimDotsAndSpaces(
      cutToBytes(
        name.slice(0, name.length - extension.length),
        MAX_NAME_BYTES - utf8Length(extension),
      ),
    );
    name = name ? name + extension : '';
  }
  return name === '' ? fallback : name;
}

/** Why a destination folder cannot be used, or null when it can. */
export function checkDestination(
  folder: string,
  protectedDirs: readonly string[] = [],
): string | null {
  if (!path.isAbsolute(folder)) return 'the destination must be an absolute folder';
  let real: string;
  try {
    if (!fs.statSync(folder).isDirectory()) return `${folder} is not a folder`;
    real = fs.realpathSync(folder);
  } catch {
    return `the destination folder ${folder} does not exist`;
  }
  for (const dir of protectedDirs) {
    let guarded: string;
    try {
      guarded = fs.realpathSync(dir);
    } catch {
      continue;
    }
    const relative = path.relative(guarded, real);
    if (relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative)))
      return `${folder} is inside the server's own data (${dir}); choose another folder`;
  }
  return null;
}

/** The path `name` gets in `folder`, or an error when it would not be a plain entry of it. */
export function targetPath(folder: string, name: string): string {
  const resolved = path.resolve(folder);
  const target = path.join(resolved, name);
  if (
    name === '' ||
    name === '.' ||
    name === '..' ||
    /[\\/\0]/.test(name) ||
    path.dirname(target) !== resolved ||
    path.basename(target) !== name
  ) {
    throw new Error(
      `refusing the file name ${JSON.stringify(name)}: not a plain name in ${folder}`,
    );
  }
  return target;
}

/**
 * Write `content` (bytes, or a function opening a stream of them) to `folder/name`: into a private temp file in the folder first, then linked
 * into place, so a half-written file never carries the final name and an existing file (or
 * one that appears meanwhile) is kept unless `overwrite`. Returns the path written.
 */
export async function writeIntoFolder(
  folder: string,
  name: string,
  content: Uint8Array | (() => Readable),
  options: { overwrite: boolean },
): Promise<string> {
  const target = targetPath(folder, name);
  const exists = `${target} already exists (ask again with overwrite to replace it)`;
  if (!options.overwrite && fs.existsSync(target)) throw new Error(exists);
  const temp = path.join(path.dirname(target), `.cq-write-${randomBytes(6).toString('hex')}.tmp`);
  try {
    // A stream is opened only once the name is known to be usable.
    const source = typeof content === 'function' ? content() : Readable.from([content]);
    await pipeline(source, fs.createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
    if (options.overwrite) {
      await fs.promises.rename(temp, target);
    } else {
      // link() fails if the target appeared meanwhile: never replace what we were not asked to.
      await fs.promises.link(temp, target);
      await fs.promises.unlink(temp);
    }
  } catch (error) {
    await fs.promises.unlink(temp).catch(() => undefined);
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(exists);
    throw error;
  }
  return target;
}
