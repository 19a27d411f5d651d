/** The Quarantine Log: server events kept in the database, newest first, with a size cap. */
import type Database from 'better-sqlite3';
import type { LogLevel } from '../../log/logger.js';
import { escapeLike } from './sample-list.js';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Rows kept by default; older ones are pruned as new ones arrive. */
export const DEFAULT_LOG_RETENTION = 100_000;

/** Most rows one query returns. */
export const MAX_LOG_QUERY = 10_000;

/** A line to add to the log. */
export interface NewLogEntry {
  readonly level: LogLevel;
  readonly source: string;
  readonly message: string;
  readonly sampleId?: number | null;
}

/** One stored log line. */
export interface LogRow {
  readonly id: number;
  readonly at: number;
  readonly level: LogLevel;
  readonly source: string;
  readonly message: string;
  readonly sampleId: number | null;
}

/** What `query` selects: since a time, at or above a level, containing text. */
export interface LogQuery {
  readonly since?: number;
  /** Minimum severity. */
  readonly level?: LogLevel;
  readonly text?: string;
  readonly limit?: number;
}

interface RawLogRow {
  id: number;
  at: number;
  level: LogLevel;
  source: string;
  message: string;
  sample_id: number | null;
}

function toRow(r: RawLogRow): LogRow {
  return {
    id: r.id,
    at: r.at,
    level: r.level,
    source: r.source,
    message: r.message,
    sampleId: r.sample_id,
  };
}

/** The `log` table. */
export class LogRepo {
  private readonly insertStmt: Database.Statement<[number, string, string, string, number | null]>;
  private readonly pruneStmt: Database.Statement<[number]>;
  private readonly queryStmt: Database.Statement<Record<string, unknown>, RawLogRow>;

  constructor(
    db: Database.Database,
    private readonly retention = DEFAULT_LOG_RETENTION,
  ) {
    this.insertStmt = db.prepare(
      'INSERT INTO log (at, level, source, message, sample_id) VALUES (?, ?, ?, ?, ?)',
    );
    // Ids only grow, so the newest `retention` rows are the ids above max - retention.
    this.pruneStmt = db.prepare('DELETE FROM log WHERE id <= (SELECT max(id) FROM log) - ?');
    // Optional filters are NULL-guarded so that one statement serves every combination.
    this.queryStmt = db.prepare(`
      SELECT * FROM log
      WHERE (@since IS NULL OR at >= @since)
        AND level IN (SELECT value FROM json_each(@levels))
        AND (@text IS NULL OR message LIKE @text ESCAPE '\\' OR source LIKE @text ESCAPE '\\')
      ORDER BY id DESC
      LIMIT @limit`);
  }

  /** Add a line (and drop the oldest beyond the retention cap). */
  append(entry: NewLogEntry): number {
    const result = this.insertStmt.run(
      Date.now(),
      entry.level,
      entry.source,
      entry.message,
      entry.sampleId ?? null,
    );
    this.pruneStmt.run(this.retention);
    return Number(result.lastInsertRowid);
  }

  /** Lines matching the query, newest first. */
  query(q: LogQuery = {}): LogRow[] {
    const minimum = LEVELS.indexOf(q.level ?? 'debug');
    return this.queryStmt
      .all({
        since: q.since ?? null,
        levels: JSON.stringify(LEVELS.slice(Math.max(0, minimum))),
        text: q.text ? `%${escapeLike(q.text)}%` : null,
        limit: Math.min(Math.max(1, Math.floor(q.limit ?? 500)), MAX_LOG_QUERY),
      })
      .map(toRow);
  }
}
