/**
 * The back office's human side: an expert's verdict on a deferred sample, and blessing a set by
 * hand. Both write the gateway's SQLite database directly (WAL lets them do so while the gateway
 * runs); the running gateway notices at its next poll. A verdict of `infected` hands the sample
 * back to the pipeline, which builds and publishes a set for the named virus; any other verdict
 * is final at once.
 */
import { FINAL_ANALYSIS_STATES } from '../../src-shared/catalog/tokens.js';
import { virusIdentifierFor } from '../../src-shared/definitions/virus-identifier.js';
import type { AnalysisRow, SetRow } from './model.js';
import { SIGNATURE_NAME, signaturesForVerdict } from './sets/generate-signatures.js';
import { blessSet } from './sets/set-builder.js';
import { SetFiles } from './sets/set-files.js';
import { openGatewayStore } from './store/gateway-store.js';

/** Final states an expert may give; abort, error and broken describe machinery, not samples. */
export const VERDICT_STATES: readonly string[] = FINAL_ANALYSIS_STATES.filter(
  (s) => s !== 'abort' && s !== 'error' && s !== 'broken',
);

/** Verdicts that name a virus (and so require one). */
const NAMES_A_VIRUS = new Set(['infected', 'norepair']);

/** A verdict or blessing that cannot be applied; the message says why. */
export class AdminError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminError';
  }
}

/** An expert's decision on a deferred sample. */
export interface Verdict {
  readonly cookie: string;
  readonly state: string;
  readonly virusName?: string;
}

/** Check a verdict's state and virus name without touching any database. */
export function checkVerdict(verdict: Verdict): void {
  if (!VERDICT_STATES.includes(verdict.state)) {
    throw new AdminError(
      `--state must be one of ${VERDICT_STATES.join(', ')}; got ${verdict.state}`,
    );
  }
  if (NAMES_A_VIRUS.has(verdict.state) && verdict.virusName === undefined) {
    throw new AdminError(`a verdict of ${verdict.state} needs --virus NAME`);
  }
  if (verdict.virusName !== undefined && !SIGNATURE_NAME.test(verdict.virusName)) {
    throw new AdminError('--virus must be a signature name: 1-200 characters, no blanks or colons');
  }
}

/** Apply an expert's verdict to the analysis behind `cookie`; returns the updated analysis. */
export function applyVerdict(dataDir: string, verdict: Verdict, now = Date.now()): AnalysisRow {
  checkVerdict(verdict);
  const store = openGatewayStore(dataDir, { mustExist: true });
  try {
    return store.transaction(() => {
      const submission = store.submissions.byCookie(verdict.cookie);
      if (submission === undefined)
        throw new AdminError(`no submission has cookie ${verdict.cookie}`);
      const analysis = store.analyses.get(submission.analysisId)!;
      if (analysis.state !== 'deferred' || analysis.finishedAt !== null) {
        throw new AdminError(
          `the sample is ${analysis.state}, not deferred; only deferred samples take a verdict`,
        );
      }
      const virus = verdict.virusName;
      const moved =
        verdict.state === 'infected'
          ? store.analyses.transition(analysis.id, 'deferred', {
              state: 'signatures',
              nextAt: now,
              signatures: signaturesForVerdict(analysis.md5, analysis.size, virus!),
              virusName: virus!,
              decidedBy: 'expert',
              analyzedAt: now,
              detail: null,
            })
          : store.analyses.transition(analysis.id, 'deferred', {
              state: verdict.state,
              nextAt: null,
              ...(virus !== undefined
                ? { virusName: virus, virusIdentifier: virusIdentifierFor(virus) }
                : {}),
              decidedBy: 'expert',
              analyzedAt: now,
              finishedAt: now,
            });
      if (!moved) throw new AdminError('the sample changed while the verdict was being applied');
      return store.analyses.get(analysis.id)!;
    });
  } finally {
    store.close();
  }
}

/** Bless (certify) published set `sequence` by hand. */
export async function blessSequence(
  dataDir: string,
  sequence: number,
  now = Date.now(),
): Promise<SetRow> {
  const store = openGatewayStore(dataDir, { mustExist: true });
  try {
    return await blessSet(store, new SetFiles(dataDir), sequence, now);
  } finally {
    store.close();
  }
}
