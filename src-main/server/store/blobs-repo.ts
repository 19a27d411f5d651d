/** Reference-counted rows for stored content blobs (one per distinct SHA-256). */
import type Database from 'better-sqlite3';

/** One stored blob: decoded size, bytes on disk, and how many samples use it. */
export interface BlobRow {
  readonly sha256: string;
  readonly size: number;
  readonly storedSize: number;
  readonly refs: number;
}

interface RawBlobRow {
  sha256: string;
  size: number;
  stored_size: number;
  refs: number;
}

function toRow(r: RawBlobRow): BlobRow {
  return { sha256: r.sha256, size: r.size, storedSize: r.stored_size, refs: r.refs };
}

/** The `blobs` table. */
export class BlobsRepo {
  private readonly insertStmt: Database.Statement<[string, number, number]>;
  private readonly incrementStmt: Database.Statement<[string]>;
  private readonly decrementStmt: Database.Statement<[string], { refs: number }>;
  private readonly deleteStmt: Database.Statement<[string]>;
  private readonly getStmt: Database.Statement<[string], RawBlobRow>;
  private readonly allStmt: Database.Statement<[], RawBlobRow>;
  private readonly unreferencedStmt: Database.Statement<[], RawBlobRow>;
  private readonly totalStmt: Database.Statement<[], { total: number }>;
  private readonly reconcileStmt: Database.Statement<[]>;

  constructor(db: Database.Database) {
    this.insertStmt = db.prepare(
      'INSERT OR IGNORE INTO blobs (sha256, size, stored_size, refs) VALUES (?, ?, ?, 1)',
    );
    this.incrementStmt = db.prepare('UPDATE blobs SET refs = refs + 1 WHERE sha256 = ?');
    this.decrementStmt = db.prepare(
      'UPDATE blobs SET refs = refs - 1 WHERE sha256 = ? AND refs > 0 RETURNING refs',
    );
    this.deleteStmt = db.prepare('DELETE FROM blobs WHERE sha256 = ?');
    this.getStmt = db.prepare('SELECT * FROM blobs WHERE sha256 = ?');
    this.allStmt = db.prepare('SELECT * FROM blobs ORDER BY sha256');
    this.unreferencedStmt = db.prepare('SELECT * FROM blobs WHERE refs <= 0 ORDER BY sha256');
    this.totalStmt = db.prepare('SELECT coalesce(sum(stored_size), 0) AS total FROM blobs');
    this.reconcileStmt = db.prepare(`
      UPDATE blobs SET refs = used.n
      FROM (SELECT b.sha256 AS sha256,
                   (SELECT count(*) FROM samples s WHERE s.blob_sha256 = b.sha256) AS n
            FROM blobs b) AS used
      WHERE blobs.sha256 = used.sha256 AND blobs.refs <> used.n`);
  }

  /** Count one more sample using the blob, creating its row if needed; true when it is new. */
  addRef(sha256: string, size: number, storedSize: number): boolean {
    if (this.insertStmt.run(sha256, size, storedSize).changes === 1) return true;
    this.incrementStmt.run(sha256);
    return false;
  }

  /**
   * Count one sample fewer; when none is left the row is removed and true is returned (the
   * caller then deletes the file, after the transaction has committed).
   */
  release(sha256: string): boolean {
    const left = this.decrementStmt.get(sha256);
    if (left === undefined || left.refs > 0) return false;
    this.deleteStmt.run(sha256);
    return true;
  }

  /** Remove a row outright (recovery of rows that no sample references). */
  remove(sha256: string): boolean {
    return this.deleteStmt.run(sha256).changes === 1;
  }

  /** One blob row, if stored. */
  get(sha256: string): BlobRow | undefined {
    const row = this.getStmt.get(sha256);
    return row && toRow(row);
  }

  /** Every blob row, by hash. */
  all(): BlobRow[] {
    return this.allStmt.all().map(toRow);
  }

  /** Set every reference count to the number of samples really using the blob; returns rows fixed. */
  reconcileRefs(): number {
    return this.reconcileStmt.run().changes;
  }

  /** Rows whose reference count has dropped to zero or below. */
  unreferenced(): BlobRow[] {
    return this.unreferencedStmt.all().map(toRow);
  }

  /** Bytes on disk of all stored blobs: what the quarantine quota counts. */
  totalStoredBytes(): number {
    return this.totalStmt.get()?.total ?? 0;
  }
}
