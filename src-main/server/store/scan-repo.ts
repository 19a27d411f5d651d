/**
 * The read queries of the scan service: which samples wait for a scan, and which a new
 * definitions set may resolve. Walked by id in pages so that a backlog of any size never sits
 * in memory and samples that change status meanwhile are neither skipped nor seen twice.
 */
import type Database from 'better-sqlite3';

/** Query parameters of one page. */
export interface ScanPageQuery {
  readonly statuses: readonly string[];
  /** Only samples with a larger id. */
  readonly afterId: number;
  readonly limit: number;
  /** Leave out samples whose last scan found a repairable threat (X-Scan-Result repaired). */
  readonly withoutRepairedVerdict?: boolean;
  /** Only samples waiting for this sequence or a lower one (X-Signatures-Sequence). */
  readonly neededAtMost?: number;
}

/** Reads over `samples` and `attributes` for scanning. */
export class ScanRepo {
  private readonly statements = new Map<string, Database.Statement<unknown[], { id: number }>>();

  constructor(private readonly db: Database.Database) {}

  /** Ids of one page, ascending. */
  page(query: ScanPageQuery): number[] {
    const statement = this.statement(query);
    const params: unknown[] = [...query.statuses, query.afterId];
    if (query.neededAtMost !== undefined) params.push(query.neededAtMost);
    params.push(query.limit);
    return statement.all(...params).map((r) => r.id);
  }

  private statement(query: ScanPageQuery): Database.Statement<unknown[], { id: number }> {
    const key = `${query.statuses.length}:${query.withoutRepairedVerdict === true}:${query.neededAtMost !== undefined}`;
    let statement = this.statements.get(key);
    if (!statement) {
      const conditions = [
        `status IN (${query.statuses.map(() => '?').join(', ')})`,
        'id > ?',
        ...(query.withoutRepairedVerdict
          ? [
              `NOT EXISTS (SELECT 1 FROM attributes a WHERE a.sample_id = samples.id
                 AND a.name = 'X-Scan-Result' AND a.value = 'repaired')`,
            ]
          : []),
        ...(query.neededAtMost !== undefined
          ? ['defs_needed IS NOT NULL AND defs_needed <= ?']
          : []),
      ];
      statement = this.db.prepare<unknown[], { id: number }>(
        `SELECT id FROM samples WHERE ${conditions.join(' AND ')} ORDER BY id LIMIT ?`,
      );
      this.statements.set(key, statement);
    }
    return statement;
  }
}
