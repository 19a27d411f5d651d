/**
 * What a finished analysis means for the sample on this server (SPEC §3.2): the final
 * `X-Analysis-State` and the definitions sequence that resolves it decide the next status.
 */
import type { ErrorCode } from '../../../src-shared/catalog/errors.js';
import { ANALYSIS_STATE_INFO, isAnalysisState } from '../../../src-shared/catalog/tokens.js';

/** The next step for a sample whose analysis finished. */
export type FinalDecision =
  /** Definitions newer than the active set resolve it: fetch them. */
  | { readonly kind: 'needed'; readonly sequence: number; readonly reason: string }
  /** The active set already resolves it: on to distribute or available. */
  | { readonly kind: 'resolved'; readonly sequence: number; readonly reason: string }
  | { readonly kind: 'unneeded'; readonly reason: string }
  | { readonly kind: 'error'; readonly code: ErrorCode; readonly reason: string }
  | { readonly kind: 'attention'; readonly reason: string };

const UNNEEDED = new Set(['uninfected', 'nodetect', 'uninfectable', 'misfired']);
const ERRORS: Readonly<Record<string, ErrorCode>> = {
  declined: 'declined',
  error: 'internal',
  abort: 'internal',
  // Infected, but the back office could not build definitions for it.
  broken: 'abandoned',
  // The content could not be opened for analysis.
  encrypted: 'unpackage',
};
// Final dispositions that ask an administrator to act (delete, restore from backup…).
const ATTENTION = new Set(['attention', 'unsubmittable', 'delete', 'restore']);

function describe(state: string): string {
  return isAnalysisState(state) ? ANALYSIS_STATE_INFO[state].description : 'unknown final state';
}

/** Parse an `X-Signatures-Sequence` value; null when absent or not a positive number. */
export function parseSequence(value: string | undefined): number | null {
  if (value === undefined || !/^\s*\d{1,8}\s*$/.test(value)) return null;
  const n = Number(value);
  return n > 0 ? n : null;
}

/**
 * Decide what a final state means. `sequence` is the answer's X-Signatures-Sequence and
 * `active` the server's active sequence (0 = none).
 */
export function decideFinal(state: string, sequence: number | null, active: number): FinalDecision {
  const token = state.trim();
  if (token === 'infected' || (token === 'norepair' && sequence !== null)) {
    if (sequence === null) {
      return {
        kind: 'attention',
        reason: 'the gateway reported the sample infected but named no definitions sequence',
      };
    }
    return sequence > active
      ? {
          kind: 'needed',
          sequence,
          reason: `infected; definitions ${sequence} are newer than the active set (${active})`,
        }
      : {
          kind: 'resolved',
          sequence,
          reason: `infected; the active definitions (${active}) include sequence ${sequence}`,
        };
  }
  if (UNNEEDED.has(token)) return { kind: 'unneeded', reason: `${token}: ${describe(token)}` };
  const code = ERRORS[token];
  if (code !== undefined) return { kind: 'error', code, reason: `${token}: ${describe(token)}` };
  if (ATTENTION.has(token) || token === 'norepair') {
    return { kind: 'attention', reason: `${token}: ${describe(token)}` };
  }
  return { kind: 'attention', reason: `the gateway finished with the unexpected state "${token}"` };
}
