/**
 * Where the starter definitions set (sequence 1, shipped in `assets/definitions/`) lives, from
 * the sources (`src-main/…`, run by the tests) as from the build (`dist/src-main/…`) or a
 * packaged app (both next to `assets/`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatPackageName } from '../../../src-shared/definitions/manifest.js';

/** File name of the starter package. */
export const STARTER_PACKAGE_NAME = formatPackageName(1, 'all');

/** The starter package's path, found by walking up from this module; null when absent. */
export function findStarterPackage(from: string = fileURLToPath(import.meta.url)): string | null {
  let dir = path.dirname(from);
  for (;;) {
    const candidate = path.join(dir, 'assets', 'definitions', STARTER_PACKAGE_NAME);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}
