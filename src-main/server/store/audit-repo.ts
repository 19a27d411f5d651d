/**
 * The append-only audit chain of SPEC §3.2: every sample transition and admin action is a row
 * that carries the SHA-256 of the previous row and of its own content, so `verify` can prove
 * that no row was edited, removed or reordered.
 */
import { hash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { writeTransaction } from './database.js';

/** `prev_hash` of the first row. */
export const GENESIS_HASH = '0'.repeat(64);

/** What a caller records; the repository adds seq, time and hashes. */
export interface AuditEntry {
  readonly actor: string;
  readonly action: string;
  readonly sampleId?: number | null;
  readonly from?: string | null;
  readonly to?: string | null;
  readonly reason?: string | null;
  readonly detail?: unknown;
}

/** One stored row of the chain (`detail` parsed back from its JSON). */
export interface AuditRow {
  readonly seq: number;
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly sampleId: number | null;
  readonly from: string | null;
  readonly to: string | null;
  readonly reason: string | null;
  readonly detail: unknown;
  readonly prevHash: string;
  readonly hash: string;
}

/** Outcome of `verify`: where the chain first breaks, if it does. */
export interface AuditVerification {
  readonly ok: boolean;
  readonly rows: number;
  readonly brokenAt?: number;
  readonly reason?: string;
}

interface RawAuditRow {
  seq: number;
  at: number;
  actor: string;
  action: string;
  sample_id: number | null;
  from_status: string | null;
  to_status: string | null;
  reason: string | null;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

/** JSON with object keys sorted at every level, so equal values always hash alike. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/** The hash of a row: SHA-256 of the previous hash followed by the row's own fields. */
export function auditHash(prevHash: string, row: Omit<RawAuditRow, 'prev_hash' | 'hash'>): string {
  // A fixed array, not an object: field order is part of the format.
  const fields = [
    row.seq,
    row.at,
    row.actor,
    row.action,
    row.sample_id,
    row.from_status,
    row.to_status,
    row.reason,
    row.detail,
  ];
  return hash('sha256', prevHash + JSON.stringify(fields), 'hex');
}

function toRow(r: RawAuditRow): AuditRow {
  return {
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action,
    sampleId: r.sample_id,
    from: r.from_status,
    to: r.to_status,
    reason: r.reason,
    detail: r.detail === null ? null : (JSON.parse(r.detail) as unknown),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** Appends to and checks the audit chain. */
export class AuditRepo {
  private readonly insertStmt: Database.Statement;
  private readonly headStmt: Database.Statement<[], { seq: number; hash: string }>;
  private readonly forSampleStmt: Database.Statement<[number], RawAuditRow>;
  private readonly allStmt: Database.Statement<[], RawAuditRow>;
  private readonly countStmt: Database.Statement<[], { n: number }>;
  /** The newest row's seq and hash, read once and then kept in step with our own appends. */
  private head: { seq: number; hash: string } | undefined;

  private readonly appendTx: (entry: AuditEntry) => AuditRow;
  private readonly withTx: (work: () => unknown) => unknown;

  constructor(private readonly db: Database.Database) {
    this.appendTx = writeTransaction(db, (entry: AuditEntry) => this.appendHere(entry));
    this.withTx = writeTransaction(db, (work: () => unknown) => work());
    this.headStmt = db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
    // The guard makes a stale cached head (its row rolled back with a failed transaction)
    // insert nothing instead of forking the chain; append then re-reads the head.
    this.insertStmt = db.prepare(`
      INSERT INTO audit (seq, at, actor, action, sample_id, from_status, to_status, reason,
                         detail, prev_hash, hash)
      SELECT @seq, @at, @actor, @action, @sample_id, @from_status, @to_status, @reason,
             @detail, @prev_hash, @hash
      WHERE (SELECT hash FROM audit ORDER BY seq DESC LIMIT 1) IS @expected_head`);
    this.forSampleStmt = db.prepare('SELECT * FROM audit WHERE sample_id = ? ORDER BY seq');
    this.allStmt = db.prepare('SELECT * FROM audit ORDER BY seq');
    this.countStmt = db.prepare('SELECT count(*) AS n FROM audit');
  }

  /**
   * Append one row to the chain and return it as stored. Outside a transaction it opens one:
   * reading the head and inserting after it must happen under the write lock, or the database's
   * other writer (intake's commit thread, which appends for every sample) could move the head
   * between the two.
   */
  append(entry: AuditEntry): AuditRow {
    return this.db.inTransaction ? this.appendHere(entry) : this.appendTx(entry);
  }

  /** Run `change` and append `entry` about it in one transaction; returns what `change` did. */
  recordWith<T>(entry: AuditEntry, change: () => T): T {
    return this.withTx(() => {
      const result = change();
      this.appendHere(entry);
      return result;
    }) as T;
  }

  private appendHere(entry: AuditEntry): AuditRow {
    for (let attempt = 0; attempt < 2; attempt++) {
      const head = this.currentHead();
      const fields = {
        seq: (head?.seq ?? 0) + 1,
        at: Date.now(),
        actor: entry.actor,
        action: entry.action,
        sample_id: entry.sampleId ?? null,
        from_status: entry.from ?? null,
        to_status: entry.to ?? null,
        reason: entry.reason ?? null,
        detail:
          entry.detail === undefined || entry.detail === null ? null : canonicalJson(entry.detail),
      };
      const prevHash = head?.hash ?? GENESIS_HASH;
      const raw: RawAuditRow = {
        ...fields,
        prev_hash: prevHash,
        hash: auditHash(prevHash, fields),
      };
      const result = this.insertStmt.run({ ...raw, expected_head: head?.hash ?? null });
      if (result.changes === 1) {
        this.head = { seq: raw.seq, hash: raw.hash };
        return toRow(raw);
      }
      this.head = undefined;
    }
    throw new Error('audit chain head moved twice during one append');
  }

  /** The rows about one sample, oldest first (its history on the Actions tab). */
  forSample(sampleId: number): AuditRow[] {
    return this.forSampleStmt.all(sampleId).map(toRow);
  }

  /** Number of rows in the chain. */
  count(): number {
    return this.countStmt.get()?.n ?? 0;
  }

  /** Walk the whole chain in seq order and report the first row that does not check out. */
  verify(): AuditVerification {
    let expectedSeq = 1;
    let prevHash = GENESIS_HASH;
    let rows = 0;
    for (const row of this.allStmt.iterate()) {
      rows++;
      if (row.seq !== expectedSeq) {
        return broken(rows, row.seq, `row ${expectedSeq} is missing (found ${row.seq} after it)`);
      }
      if (row.prev_hash !== prevHash) {
        return broken(rows, row.seq, 'previous hash does not match the row before it');
      }
      if (auditHash(prevHash, row) !== row.hash) {
        return broken(rows, row.seq, 'content does not match its hash');
      }
      prevHash = row.hash;
      expectedSeq++;
    }
    return { ok: true, rows };
  }

  private currentHead(): { seq: number; hash: string } | undefined {
    if (this.head === undefined) this.head = this.headStmt.get();
    return this.head;
  }
}

function broken(rows: number, seq: number, reason: string): AuditVerification {
  return { ok: false, rows, brokenAt: seq, reason };
}
