/**
 * The wizard's analysis step (SPEC §9): scan a sample with the current definitions, recommend
 * whether an email submission is needed, and show what stripping would send. The scan here
 * records nothing on the sample: it only informs the administrator's decision.
 */
import type { EmailAnalysis } from '../../../src-shared/api/contract.js';
import { canQueueForAnalysis } from '../../../src-shared/catalog/lifecycle.js';
import { isSampleStatus } from '../../../src-shared/catalog/tokens.js';
import { md5Hex } from '../../codec/content.js';
import { contentKind } from '../../strip/content-kind.js';
import { stripSample } from '../../strip/strip-sample.js';
import type { ScanVerdict } from '../scanner/engine.js';
import { stripHintOf, type LoadedSample } from './sample-bytes.js';

/** What analysis needs from the scan service. */
export interface AnalysisScanner {
  scanBytes(bytes: Buffer): Promise<{ verdict: ScanVerdict; set: { sequence: number } }>;
}

/** Whether manual submission is allowed for a sample (guide eligibility). */
export function submissionEligibility(sample: LoadedSample): {
  allowed: boolean;
  reason: string | null;
} {
  const { status } = sample.row;
  if (!isSampleStatus(status)) return { allowed: false, reason: `unknown status ${status}` };
  const result = canQueueForAnalysis(status, (name) => sample.attributes[name]);
  return result.allowed
    ? { allowed: true, reason: null }
    : { allowed: false, reason: result.reason };
}

async function scanOf(
  scanner: AnalysisScanner,
  bytes: Buffer,
): Promise<{ verdict: ScanVerdict | null; sequence: number | null; failure: string | null }> {
  try {
    const { verdict, set } = await scanner.scanBytes(bytes);
    return { verdict, sequence: set.sequence, failure: verdict.notScanned };
  } catch (error) {
    // No definitions or no engine: the wizard still works, it just cannot advise.
    return { verdict: null, sequence: null, failure: (error as Error).message };
  }
}

/** Analyse one loaded sample for the wizard. */
export async function analyzeForEmail(
  sample: LoadedSample,
  scanner: AnalysisScanner,
): Promise<EmailAnalysis> {
  const { row, attributes, bytes } = sample;
  const hint = stripHintOf(attributes);
  const scan = await scanOf(scanner, bytes);
  const virusName = scan.failure === null ? (scan.verdict?.virusName ?? null) : null;
  const repairable = virusName !== null && scan.verdict?.repair !== null;
  const kind = contentKind(bytes, hint);

  let recommendation: EmailAnalysis['recommendation'];
  if (scan.failure !== null) {
    recommendation = {
      action: 'submit',
      reason: `the current definitions could not scan it (${scan.failure})`,
    };
  } else if (virusName !== null && repairable) {
    recommendation = {
      action: 'not-needed',
      reason: `the current definitions (${scan.sequence}) detect ${virusName} and repair it`,
    };
  } else if (virusName !== null) {
    recommendation = {
      action: 'submit',
      reason: `the current definitions (${scan.sequence}) detect ${virusName} but cannot repair it`,
    };
  } else if (kind === 'other') {
    recommendation = {
      action: 'not-needed',
      reason:
        'not infectable: it is data only (no executable code, script, macro document or archive)',
    };
  } else {
    recommendation = {
      action: 'submit',
      reason: `the current definitions (${scan.sequence}) do not detect anything in it`,
    };
  }

  const stripped = await stripSample(bytes, hint);
  return {
    id: String(row.id),
    fileName: attributes['X-Sample-File'] ?? row.fileName,
    status: row.status,
    size: row.size,
    eligible: submissionEligibility(sample),
    scan: {
      sequence: scan.sequence,
      virusName,
      repairable,
      notScanned: scan.failure,
    },
    recommendation,
    strip: stripped.ok
      ? {
          possible: true,
          method: stripped.method,
          size: stripped.bytes.length,
          checksum: md5Hex(stripped.bytes),
          removed: stripped.removed,
        }
      : { possible: false, reason: stripped.reason },
  };
}
