/**
 * Applying a definitions set's repair recipe to a decoded copy of a sample (SPEC §6). Repair
 * never touches the stored sample: it returns new bytes, and `repairAndVerify` rescans them so
 * that the server writes a repaired file only when the engine finds it clean.
 */
import type { MatchRange, RepairRecipe, ScanEngine, ScanVerdict } from './engine.js';

/** Repaired bytes, or why there are none. */
export type RepairOutcome =
  { readonly ok: true; readonly bytes: Buffer } | { readonly ok: false; readonly reason: string };

/** How many recipe rounds `repairAndVerify` applies before giving up (several infections). */
export const MAX_REPAIR_ROUNDS = 8;

/**
 * Apply `recipe` to `content` for a match at `range`: `excise` removes the matched bytes,
 * `truncate` keeps only what precedes the match.
 */
export function applyRepair(
  content: Uint8Array,
  recipe: RepairRecipe | null,
  range: MatchRange | null,
): RepairOutcome {
  if (!recipe) return { ok: false, reason: 'the definitions have no repair for this detection' };
  if (!range) return { ok: false, reason: 'the engine did not report where the detection is' };
  const { start, end } = range;
  if (
    !Number.isInteger(start) ||
    !Number.isInteger(end) ||
    start < 0 ||
    end < start ||
    end > content.length
  ) {
    return {
      ok: false,
      reason: `match range ${start}..${end} lies outside the ${content.length}-byte sample`,
    };
  }
  const bytes = Buffer.from(content.buffer, content.byteOffset, content.length);
  if (recipe.action === 'truncate')
    return { ok: true, bytes: Buffer.from(bytes.subarray(0, start)) };
  return { ok: true, bytes: Buffer.concat([bytes.subarray(0, start), bytes.subarray(end)]) };
}

/** Feed `bytes` to an engine as one stream (chunks of `chunkSize`). */
export async function* chunksOf(
  bytes: Uint8Array,
  chunkSize = 64 * 1024,
): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += chunkSize) yield bytes.subarray(at, at + chunkSize);
  await Promise.resolve();
}

/** Scan bytes held in memory. */
export function scanBytes(engine: ScanEngine, bytes: Uint8Array): Promise<ScanVerdict> {
  return engine.scan(chunksOf(bytes), bytes.length);
}

/** A verified repair: the clean bytes and the verdicts of every round. */
export type VerifiedRepair =
  | { readonly ok: true; readonly bytes: Buffer; readonly rounds: readonly ScanVerdict[] }
  | { readonly ok: false; readonly reason: string; readonly rounds: readonly ScanVerdict[] };

/**
 * Repair `content` (which scanned as `verdict`) and rescan, repeating while each rescan finds
 * another repairable detection; succeeds only when the last rescan is `nodetect`.
 */
export async function repairAndVerify(
  engine: ScanEngine,
  content: Uint8Array,
  verdict: ScanVerdict,
): Promise<VerifiedRepair> {
  const rounds: ScanVerdict[] = [verdict];
  let current = verdict;
  let bytes = Buffer.from(content.buffer, content.byteOffset, content.length);
  for (let round = 0; round < MAX_REPAIR_ROUNDS; round++) {
    if (current.result === 'nodetect') return { ok: true, bytes, rounds };
    if (current.notScanned)
      return { ok: false, reason: `not scanned: ${current.notScanned}`, rounds };
    const outcome = applyRepair(bytes, current.repair, current.range);
    if (!outcome.ok) return { ok: false, reason: outcome.reason, rounds };
    bytes = outcome.bytes;
    current = await scanBytes(engine, bytes);
    rounds.push(current);
  }
  if (current.result === 'nodetect') return { ok: true, bytes, rounds };
  return {
    ok: false,
    reason: `still detected as ${current.virusName ?? current.result} after ${MAX_REPAIR_ROUNDS} repairs`,
    rounds,
  };
}
