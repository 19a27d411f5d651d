/**
 * The one mapping from sample attributes to the indexed `samples` columns. Insert and every
 * attribute change derive the columns from the full attribute set through this table, so a
 * column can never disagree with the attribute it mirrors.
 */
import { StoreError } from './store-error.js';

/** Status of a sample that has just been accepted (SPEC §3.2, "(new) → quarantined"). */
export const INTAKE_STATUS = 'quarantined';

/** Columns derived from attributes, by their SQL names. */
export interface DerivedColumns {
  checksum: string;
  size: number;
  status: string;
  correlator: string | null;
  guid: string | null;
  host: string | null;
  user_name: string | null;
  domain: string | null;
  file_name: string | null;
  submitted_at: number | null;
  analysis_state: string | null;
  analyzed_at: number | null;
  finished_at: number | null;
  defs_needed: number | null;
  virus_name: string | null;
  priority: number;
  changes: number;
}

type Kind = 'text' | 'int' | 'date' | 'basename' | 'md5' | 'size';

interface ColumnRule {
  readonly column: keyof DerivedColumns;
  /** Attributes to read, first present wins. */
  readonly from: readonly string[];
  readonly kind: Kind;
  /** Value when no source attribute is present; absent = the attribute is required. */
  readonly fallback?: string | number | null;
}

/** The mapping table. */
export const COLUMN_RULES: readonly ColumnRule[] = [
  { column: 'checksum', from: ['X-Sample-Checksum'], kind: 'md5' },
  { column: 'size', from: ['X-Sample-Size'], kind: 'size' },
  { column: 'status', from: ['X-Sample-Status'], kind: 'text' },
  { column: 'correlator', from: ['X-Platform-Correlator'], kind: 'text', fallback: null },
  { column: 'guid', from: ['X-Platform-GUID'], kind: 'text', fallback: null },
  { column: 'host', from: ['X-Platform-Host'], kind: 'text', fallback: null },
  { column: 'user_name', from: ['X-Platform-User'], kind: 'text', fallback: null },
  { column: 'domain', from: ['X-Platform-Domain'], kind: 'text', fallback: null },
  { column: 'file_name', from: ['X-Sample-File'], kind: 'basename', fallback: null },
  { column: 'submitted_at', from: ['X-Date-Submitted'], kind: 'date', fallback: null },
  { column: 'analysis_state', from: ['X-Analysis-State'], kind: 'text', fallback: null },
  { column: 'analyzed_at', from: ['X-Date-Analyzed'], kind: 'date', fallback: null },
  { column: 'finished_at', from: ['X-Date-Finished'], kind: 'date', fallback: null },
  { column: 'defs_needed', from: ['X-Signatures-Sequence'], kind: 'int', fallback: null },
  {
    column: 'virus_name',
    from: ['X-Analysis-Virus-Name', 'X-Scan-Virus-Name'],
    kind: 'text',
    fallback: null,
  },
  { column: 'priority', from: ['X-Sample-Priority'], kind: 'int', fallback: 0 },
  { column: 'changes', from: ['X-Sample-Changes'], kind: 'int', fallback: 1 },
];

/** The derived columns' SQL names, in mapping order. */
export const DERIVED_COLUMNS: readonly (keyof DerivedColumns)[] = COLUMN_RULES.map((r) => r.column);

/** The last component of a Windows or POSIX path (`C:\dir\a.exe` and `/dir/a.exe` → `a.exe`). */
export function baseName(path: string): string {
  // A drive prefix without a separator (`C:a.exe`) is still a Windows path.
  const rest = path.replace(/^[A-Za-z]:/, '');
  return rest.slice(Math.max(rest.lastIndexOf('/'), rest.lastIndexOf('\\')) + 1);
}

function convert(rule: ColumnRule, name: string, value: string): string | number | null {
  switch (rule.kind) {
    case 'text':
      return value;
    case 'basename':
      return baseName(value);
    case 'int':
      return /^\s*-?\d+\s*$/.test(value) ? Number.parseInt(value, 10) : (rule.fallback ?? null);
    case 'date': {
      // Attribute dates are RFC 1123 strings; an unparsable one leaves the column empty
      // while the attribute itself is still kept verbatim.
      const ms = Date.parse(value);
      return Number.isNaN(ms) ? null : ms;
    }
    case 'md5':
      if (!/^[0-9a-fA-F]{32}$/.test(value.trim())) {
        throw new StoreError('invalid-sample', `${name} is not an MD5 checksum: ${value}`);
      }
      return value.trim().toUpperCase();
    case 'size':
      if (!/^\s*\d+\s*$/.test(value)) {
        throw new StoreError('invalid-sample', `${name} is not a size: ${value}`);
      }
      return Number.parseInt(value, 10);
  }
}

/** Derive every mapped column from a complete attribute set. */
export function deriveColumns(attributes: Readonly<Record<string, string>>): DerivedColumns {
  const out: Record<string, string | number | null> = {};
  for (const rule of COLUMN_RULES) {
    const name = rule.from.find((n) => attributes[n] !== undefined);
    if (name === undefined) {
      if (rule.fallback === undefined) {
        throw new StoreError('invalid-sample', `${rule.from.join(' or ')} is required`);
      }
      out[rule.column] = rule.fallback;
    } else {
      out[rule.column] = convert(rule, name, attributes[name] ?? '');
    }
  }
  return out as unknown as DerivedColumns;
}

/** The indexed row of one sample (times are epoch ms). */
export interface SampleRow {
  readonly id: number;
  readonly blobSha256: string;
  readonly checksum: string;
  readonly size: number;
  readonly status: string;
  readonly platformKey: string;
  readonly correlator: string | null;
  readonly guid: string | null;
  readonly host: string | null;
  readonly userName: string | null;
  readonly domain: string | null;
  readonly fileName: string | null;
  readonly receivedAt: number;
  readonly submittedAt: number | null;
  readonly submittedBy: string | null;
  readonly analyzedAt: number | null;
  readonly finishedAt: number | null;
  readonly analysisState: string | null;
  readonly defsNeeded: number | null;
  readonly virusName: string | null;
  readonly priority: number;
  readonly changes: number;
  readonly errorCount: number;
  readonly skewMs: number;
  readonly statusSince: number;
}

/** A `samples` row as SQLite returns it. */
export interface RawSampleRow extends DerivedColumns {
  id: number;
  blob_sha256: string;
  platform_key: string;
  received_at: number;
  submitted_by: string | null;
  error_count: number;
  skew_ms: number;
  status_since: number;
}

/** Map a raw `samples` row to its camelCase form. */
export function toSampleRow(r: RawSampleRow): SampleRow {
  return {
    id: r.id,
    blobSha256: r.blob_sha256,
    checksum: r.checksum,
    size: r.size,
    status: r.status,
    platformKey: r.platform_key,
    correlator: r.correlator,
    guid: r.guid,
    host: r.host,
    userName: r.user_name,
    domain: r.domain,
    fileName: r.file_name,
    receivedAt: r.received_at,
    submittedAt: r.submitted_at,
    submittedBy: r.submitted_by,
    analyzedAt: r.analyzed_at,
    finishedAt: r.finished_at,
    analysisState: r.analysis_state,
    defsNeeded: r.defs_needed,
    virusName: r.virus_name,
    priority: r.priority,
    changes: r.changes,
    errorCount: r.error_count,
    skewMs: r.skew_ms,
    statusSince: r.status_since,
  };
}
