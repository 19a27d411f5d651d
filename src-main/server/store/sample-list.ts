/**
 * The console's sample list query (SPEC §4.6 `samples.list`): whitelisted sort keys, filters and
 * paging. Part of the samples repository; kept apart because its SQL is assembled per shape.
 */
import type Database from 'better-sqlite3';
import { StoreError } from './store-error.js';

// The sort keys are the control API's (one definition, in src-shared): the store whitelists them.
export { SAMPLE_SORT_KEYS, type SampleSortKey } from '../../../src-shared/api/contract.js';
import type { SampleSortKey } from '../../../src-shared/api/contract.js';

/** Largest page the store hands out at once. */
export const MAX_LIST_LIMIT = 10_000;

/** Column behind each sort key; `age` is the receive time read backwards (oldest = largest). */
const SORT_COLUMNS: Readonly<Record<SampleSortKey, { column: string; reversed: boolean }>> = {
  fileName: { column: 'file_name', reversed: false },
  userName: { column: 'user_name', reversed: false },
  computer: { column: 'host', reversed: false },
  domain: { column: 'domain', reversed: false },
  receivedOn: { column: 'received_at', reversed: false },
  submittedOn: { column: 'submitted_at', reversed: false },
  submittedBy: { column: 'submitted_by', reversed: false },
  status: { column: 'status', reversed: false },
  virus: { column: 'virus_name', reversed: false },
  analyzed: { column: 'analyzed_at', reversed: false },
  age: { column: 'received_at', reversed: true },
  sampleState: { column: 'analysis_state', reversed: false },
  definitionsNeeded: { column: 'defs_needed', reversed: false },
  sampleErrors: { column: 'error_count', reversed: false },
  id: { column: 'id', reversed: false },
};

/** Which samples to list; absent fields (and an empty status list) do not filter. */
export interface SampleFilter {
  readonly status?: readonly string[];
  /** Exact computer name, case-insensitive. */
  readonly host?: string;
  /** Exact virus name, case-insensitive. */
  readonly virus?: string;
  /** Substring of the file name, computer, user or virus name. */
  readonly text?: string;
}

/** A page request for the list pane. */
export interface SampleListQuery {
  readonly offset?: number;
  readonly limit?: number;
  readonly sort?: SampleSortKey;
  readonly order?: 'asc' | 'desc';
  readonly filter?: SampleFilter;
}

/** Escape LIKE wildcards so user text matches literally. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => '\\' + c);
}

/** SQL condition per active filter; parameters are bound by name. */
const WHERE_CLAUSES: Readonly<Record<string, string>> = {
  status: 'status IN (SELECT value FROM json_each(@statuses))',
  host: 'host = @host COLLATE NOCASE',
  virus: 'virus_name = @virus COLLATE NOCASE',
  text: `(file_name LIKE @text ESCAPE '\\' OR host LIKE @text ESCAPE '\\'
          OR user_name LIKE @text ESCAPE '\\' OR virus_name LIKE @text ESCAPE '\\')`,
};

interface Prepared {
  readonly count: Database.Statement<Record<string, unknown>, { n: number }>;
  readonly page: Database.Statement<Record<string, unknown>, unknown>;
}

/** Builds and caches one pair of statements per query shape (sort, order, active filters). */
export class SampleListStatements {
  private readonly cache = new Map<string, Prepared>();

  constructor(private readonly db: Database.Database) {}

  /** Run a page query; rows come back raw for the repository to map. */
  run(query: SampleListQuery): { total: number; rows: unknown[] } {
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 100;
    const sort = query.sort ?? 'id';
    const order = query.order ?? 'asc';
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new StoreError('invalid-query', `offset must be a non-negative integer: ${offset}`);
    }
    if (!Number.isSafeInteger(limit) || limit < 0 || limit > MAX_LIST_LIMIT) {
      throw new StoreError('invalid-query', `limit must be 0..${MAX_LIST_LIMIT}: ${limit}`);
    }
    if (!Object.hasOwn(SORT_COLUMNS, sort)) {
      throw new StoreError('invalid-query', `unknown sort key: ${String(sort)}`);
    }
    if (order !== 'asc' && order !== 'desc') {
      throw new StoreError('invalid-query', `order must be asc or desc: ${String(order)}`);
    }
    const filter = query.filter ?? {};
    const params: Record<string, unknown> = {};
    const flags: string[] = [];
    if (filter.status !== undefined && filter.status.length > 0) {
      params.statuses = JSON.stringify(filter.status);
      flags.push('status');
    }
    if (filter.host !== undefined) {
      params.host = filter.host;
      flags.push('host');
    }
    if (filter.virus !== undefined) {
      params.virus = filter.virus;
      flags.push('virus');
    }
    if (filter.text !== undefined && filter.text !== '') {
      params.text = `%${escapeLike(filter.text)}%`;
      flags.push('text');
    }
    const statements = this.statements(sort, order, flags);
    const total = statements.count.get(params)?.n ?? 0;
    const rows = statements.page.all({ ...params, limit, offset });
    return { total, rows };
  }

  private statements(sort: SampleSortKey, order: 'asc' | 'desc', flags: string[]): Prepared {
    const key = `${sort}:${order}:${flags.join(',')}`;
    let prepared = this.cache.get(key);
    if (prepared !== undefined) return prepared;
    const conditions = flags.map((flag) => WHERE_CLAUSES[flag]);
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const { column, reversed } = SORT_COLUMNS[sort];
    const direction = (order === 'desc') !== reversed ? 'DESC' : 'ASC';
    // Ties go by id in the same direction, so descending is exactly ascending reversed.
    const orderBy = column === 'id' ? `id ${direction}` : `${column} ${direction}, id ${direction}`;
    prepared = {
      count: this.db.prepare(`SELECT count(*) AS n FROM samples ${where}`),
      page: this.db.prepare(
        `SELECT * FROM samples ${where} ORDER BY ${orderBy} LIMIT @limit OFFSET @offset`,
      ),
    };
    this.cache.set(key, prepared);
    return prepared;
  }
}
