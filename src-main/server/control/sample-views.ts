/** Mapping store rows to the control API's shapes (SPEC §4.6). */
import type { HistoryEntry, SampleError, SampleSummary } from '../../../src-shared/api/contract.js';
import { isErrorCode } from '../../../src-shared/catalog/errors.js';
import { isSampleStatus } from '../../../src-shared/catalog/tokens.js';
import type { AuditRow, ErrorRow, SampleRow } from '../store/index.js';

/** A list row for the console. */
export function toSampleSummary(row: SampleRow): SampleSummary {
  return {
    id: String(row.id),
    fileName: row.fileName,
    userName: row.userName,
    computer: row.host,
    domain: row.domain,
    receivedOn: row.receivedAt,
    submittedOn: row.submittedAt,
    submittedBy: row.submittedBy,
    status: isSampleStatus(row.status) ? row.status : 'error',
    virus: row.virusName,
    analyzed: row.analyzedAt !== null || row.finishedAt !== null,
    sampleState: row.analysisState,
    definitionsNeeded: row.defsNeeded,
    errors: row.errorCount,
    checksum: row.checksum,
    size: row.size,
    priority: row.priority,
    changes: row.changes,
  };
}

/** A history row for the Actions tab. */
export function toHistoryEntry(row: AuditRow): HistoryEntry {
  return {
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action,
    from: row.from,
    to: row.to,
    reason: row.reason,
  };
}

/** An error row for the Errors tab. */
export function toSampleError(row: ErrorRow): SampleError {
  return {
    at: row.at,
    code: isErrorCode(row.code) ? row.code : 'internal',
    params: row.params,
    source: row.source,
    message: row.message,
  };
}
