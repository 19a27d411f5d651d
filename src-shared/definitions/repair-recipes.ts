/**
 * `repair.json` of a definitions set (SPEC §4.4): per signature name, how to remove what it
 * matched. A name without an entry cannot be repaired.
 */
import { z } from 'zod';
import { firstIssue } from './manifest.js';

/** What a recipe does: cut the matched bytes out, or cut the file off where the match starts. */
export const REPAIR_ACTIONS = ['excise', 'truncate'] as const;

/** `excise` or `truncate`. */
export type RepairAction = (typeof REPAIR_ACTIONS)[number];

// Signature names are the first field of ClamAV lines, so they cannot hold ':' or whitespace.
const signatureNameSchema = z.string().regex(/^[^\s:]{1,200}$/, 'is not a signature name');

/** The whole `repair.json`: signature name → recipe. */
export const repairRecipesSchema = z.record(
  signatureNameSchema,
  z.strictObject({ action: z.enum(REPAIR_ACTIONS) }),
);

/** A parsed `repair.json`. */
export type RepairRecipes = z.infer<typeof repairRecipesSchema>;

/** Parse the JSON value of a `repair.json`; the reason names the first problem. */
export function parseRepairRecipes(
  value: unknown,
): { ok: true; recipes: RepairRecipes } | { ok: false; reason: string } {
  const result = repairRecipesSchema.safeParse(value);
  if (result.success) return { ok: true, recipes: result.data };
  return { ok: false, reason: firstIssue(result.error) };
}
