/** Building scan verdicts the same way for every engine. */
import { virusIdentifierFor } from '../../../src-shared/definitions/virus-identifier.js';
import type { RepairRecipe, ScanVerdict } from './engine.js';

/** The verdict for content in which no signature matched. */
export const CLEAN_VERDICT: ScanVerdict = Object.freeze({
  result: 'nodetect',
  virusName: null,
  virusIdentifier: null,
  repair: null,
  range: null,
  notScanned: null,
});

/** The verdict for a detection: `repaired` when the set has a recipe for it, else `norepair`. */
export function detectedVerdict(
  name: string,
  recipe: RepairRecipe | null | undefined,
): ScanVerdict {
  return {
    result: recipe ? 'repaired' : 'norepair',
    virusName: name,
    virusIdentifier: virusIdentifierFor(name),
    repair: recipe ?? null,
    range: null,
    notScanned: null,
  };
}

/** A verdict for content that was not scanned, with the reason: never to be read as clean. */
export function notScannedVerdict(reason: string): ScanVerdict {
  return {
    result: 'badscan',
    virusName: null,
    virusIdentifier: null,
    repair: null,
    range: null,
    notScanned: reason,
  };
}
