/** SQL for customers' submissions: each has its own cookie and issue and points at an analysis. */
import type Database from 'better-sqlite3';
import type { SubmissionRow } from '../model.js';

interface Raw {
  id: number;
  cookie: string;
  issue: string;
  customer: string;
  analysis_id: number;
  submitted_at: number;
  skew_ms: number;
  attributes: string;
}

function toRow(r: Raw): SubmissionRow {
  return {
    id: r.id,
    cookie: r.cookie,
    issue: r.issue,
    customer: r.customer,
    analysisId: r.analysis_id,
    submittedAt: r.submitted_at,
    skewMs: r.skew_ms,
    attributes: JSON.parse(r.attributes) as Record<string, string>,
  };
}

/** A new submission; the issue number is derived from its row id. */
export interface NewSubmission {
  readonly cookie: string;
  readonly customer: string;
  readonly analysisId: number;
  readonly submittedAt: number;
  readonly skewMs: number;
  readonly attributes: Readonly<Record<string, string>>;
}

/** The tracking issue of a submission: its row id as eight digits, like the guide's examples. */
export function issueOf(id: number): string {
  return String(id).padStart(8, '0');
}

/** Submissions table. */
export class SubmissionsRepo {
  private readonly insertStmt;
  private readonly issueStmt;
  private readonly byCookieStmt;
  private readonly countStmt;

  constructor(db: Database.Database) {
    this.insertStmt = db.prepare(
      `INSERT INTO submissions (cookie, issue, customer, analysis_id, submitted_at, skew_ms, attributes)
       VALUES (@cookie, '', @customer, @analysisId, @submittedAt, @skewMs, @attributes)`,
    );
    this.issueStmt = db.prepare<[string, number]>('UPDATE submissions SET issue = ? WHERE id = ?');
    this.byCookieStmt = db.prepare<[string], Raw>('SELECT * FROM submissions WHERE cookie = ?');
    this.countStmt = db.prepare<[number], { n: number }>(
      'SELECT COUNT(*) AS n FROM submissions WHERE analysis_id = ?',
    );
  }

  /** Insert a submission (inside the caller's transaction); returns it with its issue. */
  insert(s: NewSubmission): SubmissionRow {
    const id = Number(
      this.insertStmt.run({ ...s, attributes: JSON.stringify(s.attributes) }).lastInsertRowid,
    );
    const issue = issueOf(id);
    this.issueStmt.run(issue, id);
    return { id, issue, ...s };
  }

  /** The submission with this cookie, or undefined. */
  byCookie(cookie: string): SubmissionRow | undefined {
    const raw = this.byCookieStmt.get(cookie);
    return raw ? toRow(raw) : undefined;
  }

  /** How many submissions share one analysis. */
  countForAnalysis(analysisId: number): number {
    return this.countStmt.get(analysisId)?.n ?? 0;
  }
}
