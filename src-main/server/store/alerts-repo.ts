/** Alert episodes (SPEC §8): one row per raise, closed when the condition ends. */
import type Database from 'better-sqlite3';

/** One alert episode. */
export interface AlertRow {
  readonly id: number;
  readonly event: string;
  readonly sampleId: number | null;
  readonly raisedAt: number;
  readonly clearedAt: number | null;
  readonly message: string;
}

interface RawAlertRow {
  id: number;
  event: string;
  sample_id: number | null;
  raised_at: number;
  cleared_at: number | null;
  message: string;
}

function toRow(r: RawAlertRow): AlertRow {
  return {
    id: r.id,
    event: r.event,
    sampleId: r.sample_id,
    raisedAt: r.raised_at,
    clearedAt: r.cleared_at,
    message: r.message,
  };
}

/** The only SQL on the alerts table. */
export class AlertsRepo {
  private readonly insertStmt;
  private readonly clearStmt;
  private readonly openStmt;
  private readonly openForStmt;
  private readonly recentStmt;
  private readonly openAllStmt;
  private readonly inStatusStmt;
  private readonly statusOfStmt;

  constructor(db: Database.Database) {
    this.insertStmt = db.prepare<[string, number | null, number, string]>(
      'INSERT INTO alerts (event, sample_id, raised_at, message) VALUES (?, ?, ?, ?)',
    );
    this.clearStmt = db.prepare<[number, number]>(
      'UPDATE alerts SET cleared_at = ? WHERE id = ? AND cleared_at IS NULL',
    );
    this.openStmt = db.prepare<[], RawAlertRow>(
      'SELECT * FROM alerts WHERE cleared_at IS NULL ORDER BY id',
    );
    this.openForStmt = db.prepare<[string, number | null], RawAlertRow>(
      'SELECT * FROM alerts WHERE event = ? AND sample_id IS ? AND cleared_at IS NULL LIMIT 1',
    );
    this.recentStmt = db.prepare<[number], RawAlertRow>(
      'SELECT * FROM alerts ORDER BY id DESC LIMIT ?',
    );
    this.openAllStmt = db.prepare<[number], RawAlertRow>(
      'SELECT * FROM alerts WHERE cleared_at IS NULL ORDER BY id DESC LIMIT ?',
    );
    this.inStatusStmt = db.prepare<[string, number, number], { id: number; status_since: number }>(
      'SELECT id, status_since FROM samples WHERE status = ? AND status_since <= ? ORDER BY status_since LIMIT ?',
    );
    this.statusOfStmt = db.prepare<[number], { status: string }>(
      'SELECT status FROM samples WHERE id = ?',
    );
  }

  /** Samples that have been in `status` since `before` or earlier (per-sample "too long" events). */
  samplesInStatusSince(
    status: string,
    before: number,
    limit: number,
  ): { id: number; since: number }[] {
    return this.inStatusStmt
      .all(status, before, limit)
      .map((r) => ({ id: r.id, since: r.status_since }));
  }

  /** The current status of a sample, or undefined once it is deleted. */
  statusOf(sampleId: number): string | undefined {
    return this.statusOfStmt.get(sampleId)?.status;
  }

  /** Open a new episode. */
  raise(event: string, sampleId: number | null, at: number, message: string): AlertRow {
    const info = this.insertStmt.run(event, sampleId, at, message);
    return {
      id: Number(info.lastInsertRowid),
      event,
      sampleId,
      raisedAt: at,
      clearedAt: null,
      message,
    };
  }

  /** Close an episode; false when it was already closed. */
  clear(id: number, at: number): boolean {
    return this.clearStmt.run(at, id).changes > 0;
  }

  /** The open episode of an event (for a sample, or server-wide with null). */
  openFor(event: string, sampleId: number | null): AlertRow | undefined {
    const row = this.openForStmt.get(event, sampleId);
    return row ? toRow(row) : undefined;
  }

  /** Every open episode, oldest first. */
  open(): AlertRow[] {
    return this.openStmt.all().map(toRow);
  }

  /** Newest episodes first; only open ones when `openOnly`. */
  list(openOnly: boolean, limit: number): AlertRow[] {
    return (openOnly ? this.openAllStmt : this.recentStmt).all(limit).map(toRow);
  }
}
