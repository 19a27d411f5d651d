/**
 * Small definitions sets written straight into a folder, and the EICAR test file built at run
 * time (kept in two halves here so that no antivirus on a developer's machine flags this file).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPackage } from '../../src-main/server/definitions/package.js';
import type { ActiveSet } from '../../src-main/server/scanner/engine.js';
import { tempDir } from './temp.js';

/** The 68-byte EICAR test file. */
export function eicarBytes(): Buffer {
  return Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$' + 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*');
}

/** MD5 of `bytes`, lower-case hex (the form signature files use). */
export function md5Of(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** Files of a set: signature files by name, plus the repair recipes by signature name. */
export interface SetFiles {
  readonly files: Readonly<Record<string, string>>;
  readonly repair?: Readonly<Record<string, 'excise' | 'truncate'>>;
}

/** Write a set folder and describe it as an engine loads it. */
export function writeSet(sequence: number, content: SetFiles, dir = tempDir('cq-set-')): ActiveSet {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(content.files)) {
    fs.writeFileSync(path.join(dir, name), text);
  }
  const repair: Record<string, { action: string }> = {};
  for (const [name, action] of Object.entries(content.repair ?? {})) repair[name] = { action };
  fs.writeFileSync(path.join(dir, 'repair.json'), JSON.stringify(repair));
  return {
    sequence,
    version: `2024.01.${String(sequence % 28 || 1).padStart(2, '0')}.001`,
    certified: true,
    dir,
    name: `${String(sequence).padStart(8, '0')}.all.zip`,
  };
}

/** An .hdb line for `bytes`. */
export function hdbLine(bytes: Uint8Array, name: string): string {
  return `${md5Of(bytes)}:${bytes.length}:${name}`;
}

/** Build a definitions package from files and write it to a temp folder; returns its path. */
export async function writePackage(
  sequence: number,
  files: Readonly<Record<string, string>>,
  options: { certified?: boolean } = {},
): Promise<string> {
  const built = await buildPackage({ sequence, certified: options.certified ?? true, files });
  const file = path.join(tempDir('cq-package-'), built.name);
  fs.writeFileSync(file, built.bytes);
  return file;
}

/** The shipped starter set (assets/definitions/starter) as a package file, sequence 1. */
export async function starterPackageFile(): Promise<string> {
  const dir = fileURLToPath(new URL('../../assets/definitions/starter/', import.meta.url));
  const files: Record<string, string> = {};
  for (const name of fs.readdirSync(dir))
    files[name] = fs.readFileSync(path.join(dir, name), 'utf8');
  return writePackage(1, files);
}
