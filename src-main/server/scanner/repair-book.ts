/**
 * A set's `repair.json` (SPEC §4.4) as a lookup from signature name to recipe. Engines that do
 * not apply recipes themselves (clamd) still report whether one exists: that decides between
 * `repaired` and `norepair`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { REPAIR_FILE } from '../../../src-shared/definitions/manifest.js';
import { parseRepairRecipes } from '../../../src-shared/definitions/repair-recipes.js';
import type { RepairRecipe } from './engine.js';

/** Recipes by signature name. */
export type RepairBook = ReadonlyMap<string, RepairRecipe>;

/** Read a set folder's repair.json; a set without one repairs nothing. */
export async function readRepairBook(setDir: string): Promise<RepairBook> {
  let text: string;
  try {
    text = await fs.promises.readFile(path.join(setDir, REPAIR_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
  const parsed = parseRepairRecipes(JSON.parse(text));
  if (!parsed.ok) throw new Error(`${REPAIR_FILE} of ${setDir}: ${parsed.reason}`);
  return new Map(Object.entries(parsed.recipes));
}
