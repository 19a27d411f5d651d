/** Errors kept on a sample (its Errors tab) or on the server ("General Errors"). */
import type Database from 'better-sqlite3';
import { writeTransaction } from './database.js';
import type { ErrorCode } from '../../../src-shared/catalog/errors.js';

/** An error to record; `sampleId` null files it under the server's General Errors. */
export interface NewError {
  readonly sampleId: number | null;
  readonly code: ErrorCode;
  readonly params: readonly string[];
  readonly source: string;
  readonly message: string;
}

/** One stored error. */
export interface ErrorRow {
  readonly id: number;
  readonly sampleId: number | null;
  readonly at: number;
  readonly code: string;
  readonly params: string[];
  readonly source: string;
  readonly message: string;
}

interface RawErrorRow {
  id: number;
  sample_id: number | null;
  at: number;
  code: string;
  params: string;
  source: string;
  message: string;
}

function toRow(r: RawErrorRow): ErrorRow {
  return {
    id: r.id,
    sampleId: r.sample_id,
    at: r.at,
    code: r.code,
    params: JSON.parse(r.params) as string[],
    source: r.source,
    message: r.message,
  };
}

/** The `errors` table (and the `error_count` column it feeds). */
export class ErrorsRepo {
  private readonly insertStmt: Database.Statement<unknown[], RawErrorRow>;
  private readonly countStmt: Database.Statement<[number]>;
  private readonly forSampleStmt: Database.Statement<[number], RawErrorRow>;
  private readonly generalStmt: Database.Statement<[], RawErrorRow>;
  private readonly existsStmt: Database.Statement<[number, string], { one: number }>;
  private readonly addTx: (error: NewError) => ErrorRow;

  constructor(db: Database.Database) {
    this.insertStmt = db.prepare(
      `INSERT INTO errors (sample_id, at, code, params, source, message)
       VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
    );
    this.countStmt = db.prepare('UPDATE samples SET error_count = error_count + 1 WHERE id = ?');
    this.forSampleStmt = db.prepare('SELECT * FROM errors WHERE sample_id = ? ORDER BY id');
    this.generalStmt = db.prepare('SELECT * FROM errors WHERE sample_id IS NULL ORDER BY id');
    this.existsStmt = db.prepare(
      'SELECT 1 AS one FROM errors WHERE sample_id = ? AND code = ? LIMIT 1',
    );
    this.addTx = writeTransaction(db, (e: NewError): ErrorRow => {
      const row = this.insertStmt.get(
        e.sampleId,
        Date.now(),
        e.code,
        JSON.stringify(e.params),
        e.source,
        e.message,
      );
      if (row === undefined) throw new Error('error row was not inserted');
      if (e.sampleId !== null) this.countStmt.run(e.sampleId);
      return toRow(row);
    });
  }

  /** Record an error (and count it on its sample). */
  add(error: NewError): ErrorRow {
    return this.addTx(error);
  }

  /** A sample's errors, oldest first. */
  forSample(sampleId: number): ErrorRow[] {
    return this.forSampleStmt.all(sampleId).map(toRow);
  }

  /** The server's General Errors, oldest first. */
  general(): ErrorRow[] {
    return this.generalStmt.all().map(toRow);
  }

  /** True when the sample already carries an error with this code. */
  has(sampleId: number, code: ErrorCode): boolean {
    return this.existsStmt.get(sampleId, code) !== undefined;
  }
}
