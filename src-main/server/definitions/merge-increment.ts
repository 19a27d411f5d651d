/**
 * Applying an `incr` set to its base: the installed folder of an incremental set holds the merged
 * result, so engines load one folder whatever the chain of increments. A signature file of the
 * increment replaces the base file of the same name (or is added); `repair.json` is merged by
 * signature name, the increment's recipes winning.
 */
import fs from 'node:fs';
import path from 'node:path';
import { WireError } from '../../../src-shared/catalog/errors.js';
import {
  MANIFEST_FILE,
  REPAIR_FILE,
  isPackageFileName,
} from '../../../src-shared/definitions/manifest.js';
import {
  parseRepairRecipes,
  type RepairRecipes,
} from '../../../src-shared/definitions/repair-recipes.js';

function recipesOf(bytes: Buffer | undefined, where: string): RepairRecipes {
  if (!bytes) return {};
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new WireError('unpackage', [`${REPAIR_FILE} of the ${where} is not JSON`]);
  }
  const parsed = parseRepairRecipes(json);
  if (!parsed.ok)
    throw new WireError('unpackage', [
      `${REPAIR_FILE} of the ${where} is not valid: ${parsed.reason}`,
    ]);
  return parsed.recipes;
}

/**
 * The files of `baseFolder` (signature files and `repair.json`; not its manifest or package)
 * with `increment` applied. Rejects with the fs error when the base cannot be read.
 */
export async function mergeIncrement(
  baseFolder: string,
  increment: ReadonlyMap<string, Buffer>,
): Promise<Map<string, Buffer>> {
  const merged = new Map<string, Buffer>();
  for (const name of (await fs.promises.readdir(baseFolder)).sort()) {
    if (name === MANIFEST_FILE || !isPackageFileName(name)) continue;
    merged.set(name, await fs.promises.readFile(path.join(baseFolder, name)));
  }
  for (const [name, content] of increment) {
    if (name !== REPAIR_FILE) merged.set(name, content);
  }
  if (increment.has(REPAIR_FILE)) {
    const recipes = {
      ...recipesOf(merged.get(REPAIR_FILE), 'base set'),
      ...recipesOf(increment.get(REPAIR_FILE), 'increment'),
    };
    merged.set(REPAIR_FILE, Buffer.from(JSON.stringify(recipes, null, 2) + '\n'));
  }
  return merged;
}
