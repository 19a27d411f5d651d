/**
 * Signatures for a new threat (the guide's scoring stages): an `.hdb` line for the exact sample
 * (its MD5 and size), plus the research rule's own body signature when the rule was an `.ndb`
 * one, so variants that share the body are caught too; plus the rule's repair recipe.
 */
import type { RepairRecipe } from '../../server/scanner/engine.js';
import type { Finding, GeneratedSignatures } from '../model.js';

/** Signature names are the first field of ClamAV lines: no ':' and no blanks. */
export const SIGNATURE_NAME = /^[^\s:]{1,200}$/;

/** Signatures for a sample a research rule found. */
export function signaturesForFinding(
  md5: string,
  size: number,
  finding: Finding,
): GeneratedSignatures {
  const repair: Record<string, RepairRecipe> = {};
  if (finding.repair !== null) repair[finding.rule] = finding.repair;
  return {
    virusName: finding.rule,
    hdb: [`${md5.toLowerCase()}:${size}:${finding.rule}`],
    ndb: finding.kind === 'body' && finding.line !== null ? [finding.line] : [],
    repair,
  };
}

/** Signatures for a sample an expert declared infected with `virusName`. */
export function signaturesForVerdict(
  md5: string,
  size: number,
  virusName: string,
): GeneratedSignatures {
  return { virusName, hdb: [`${md5.toLowerCase()}:${size}:${virusName}`], ndb: [], repair: {} };
}
