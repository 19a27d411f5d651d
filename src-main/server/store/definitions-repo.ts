/**
 * The `definitions` table: one row per definitions set the server has installed, certified or
 * not, kept after the set's files are pruned. The row in state `active` is the pointer engines
 * load; `previous` is where a rollback returns to.
 */
import type Database from 'better-sqlite3';
import { writeTransaction } from './database.js';

/** Where a set stands. */
export const DEFINITIONS_STATES = ['active', 'previous', 'installed', 'pruned', 'missing'] as const;

/** `active` (the pointer), `previous` (rollback target), `installed`, `pruned` (files removed), `missing` (files lost). */
export type DefinitionsState = (typeof DEFINITIONS_STATES)[number];

/** One set as recorded. Times are milliseconds. */
export interface DefinitionsRow {
  readonly sequence: number;
  readonly version: string;
  readonly certified: boolean;
  readonly kind: 'all' | 'incr';
  /** Package MD5 (`X-Signatures-Checksum`). */
  readonly checksum: string;
  readonly produced: number | null;
  readonly published: number | null;
  readonly blessed: number | null;
  readonly installedAt: number | null;
  readonly state: DefinitionsState;
  /** The installed folder, null once pruned. */
  readonly path: string | null;
}

interface RawRow {
  sequence: number;
  version: string;
  certified: number;
  kind: 'all' | 'incr';
  checksum: string;
  produced: number | null;
  published: number | null;
  blessed: number | null;
  installed_at: number | null;
  state: DefinitionsState;
  path: string | null;
}

function fromRaw(raw: RawRow): DefinitionsRow {
  return {
    sequence: raw.sequence,
    version: raw.version,
    certified: raw.certified === 1,
    kind: raw.kind,
    checksum: raw.checksum,
    produced: raw.produced,
    published: raw.published,
    blessed: raw.blessed,
    installedAt: raw.installed_at,
    state: raw.state,
    path: raw.path,
  };
}

const COLUMNS =
  'sequence, version, certified, kind, checksum, produced, published, blessed, installed_at, state, path';

/** Statements over the `definitions` table. */
export class DefinitionsRepo {
  private readonly getStmt: Database.Statement<[number], RawRow>;
  private readonly listStmt: Database.Statement<[], RawRow>;
  private readonly byStateStmt: Database.Statement<[string], RawRow>;
  private readonly countStmt: Database.Statement<[], { n: number }>;
  private readonly upsertStmt: Database.Statement<[RawRow]>;
  private readonly setStateStmt: Database.Statement<[string, string | null, number]>;
  private readonly demoteStmt: Database.Statement<[string, string]>;
  private readonly stateOnlyStmt: Database.Statement<[string, number]>;
  private readonly activateTx: (sequence: number) => void;

  constructor(private readonly db: Database.Database) {
    this.getStmt = db.prepare(`SELECT ${COLUMNS} FROM definitions WHERE sequence = ?`);
    this.listStmt = db.prepare(`SELECT ${COLUMNS} FROM definitions ORDER BY sequence DESC`);
    this.byStateStmt = db.prepare(
      `SELECT ${COLUMNS} FROM definitions WHERE state = ? ORDER BY sequence DESC`,
    );
    this.countStmt = db.prepare('SELECT COUNT(*) AS n FROM definitions');
    this.upsertStmt = db.prepare(
      `INSERT INTO definitions (${COLUMNS})
       VALUES (@sequence, @version, @certified, @kind, @checksum, @produced, @published, @blessed,
               @installed_at, @state, @path)
       ON CONFLICT (sequence) DO UPDATE SET
         version = excluded.version, certified = excluded.certified, kind = excluded.kind,
         checksum = excluded.checksum, produced = excluded.produced,
         published = excluded.published, blessed = excluded.blessed,
         installed_at = excluded.installed_at, state = excluded.state, path = excluded.path`,
    );
    this.setStateStmt = db.prepare('UPDATE definitions SET state = ?, path = ? WHERE sequence = ?');
    this.demoteStmt = db.prepare('UPDATE definitions SET state = ? WHERE state = ?');
    this.stateOnlyStmt = db.prepare('UPDATE definitions SET state = ? WHERE sequence = ?');
    this.activateTx = writeTransaction(db, (sequence: number) => {
      const current = this.active();
      if (current?.sequence === sequence) return;
      this.demoteStmt.run('installed', 'previous');
      if (current) this.demoteStmt.run('previous', 'active');
      this.stateOnlyStmt.run('active', sequence);
    });
  }

  /** The row of `sequence`, if recorded. */
  get(sequence: number): DefinitionsRow | undefined {
    const raw = this.getStmt.get(sequence);
    return raw && fromRaw(raw);
  }

  /** Every recorded set, newest sequence first. */
  list(): DefinitionsRow[] {
    return this.listStmt.all().map(fromRaw);
  }

  /** Rows in `state`, newest first. */
  inState(state: DefinitionsState): DefinitionsRow[] {
    return this.byStateStmt.all(state).map(fromRaw);
  }

  /** The active set's row. */
  active(): DefinitionsRow | undefined {
    return this.inState('active')[0];
  }

  /** The rollback target's row. */
  previous(): DefinitionsRow | undefined {
    return this.inState('previous')[0];
  }

  /** How many sets were ever recorded. */
  count(): number {
    return this.countStmt.get()!.n;
  }

  /** Record a newly installed set (state `installed`), replacing a pruned row of the same sequence. */
  recordInstalled(row: Omit<DefinitionsRow, 'state'>): void {
    this.upsertStmt.run({
      sequence: row.sequence,
      version: row.version,
      certified: row.certified ? 1 : 0,
      kind: row.kind,
      checksum: row.checksum,
      produced: row.produced,
      published: row.published,
      blessed: row.blessed,
      installed_at: row.installedAt,
      state: 'installed',
      path: row.path,
    });
  }

  /** Record and activate in one transaction: the pointer flips only with the row in place. */
  recordAndActivate(row: Omit<DefinitionsRow, 'state'>, activate: boolean): void {
    writeTransaction(this.db, () => {
      this.recordInstalled(row);
      if (activate) this.activateTx(row.sequence);
    })();
  }

  /** Make `sequence` active; the set active until now becomes `previous`. */
  activate(sequence: number): void {
    this.activateTx(sequence);
  }

  /**
   * Return to the previous set: it becomes active, the set rolled back from becomes plain
   * `installed`, and `nextPrevious` (if any) becomes the new rollback target.
   */
  rollback(nextPrevious: number | null): void {
    writeTransaction(this.db, () => {
      const previous = this.previous();
      const current = this.active();
      if (!previous) return;
      if (current) this.setStateStmt.run('installed', current.path, current.sequence);
      this.setStateStmt.run('active', previous.path, previous.sequence);
      if (nextPrevious !== null) {
        const row = this.get(nextPrevious);
        if (row) this.setStateStmt.run('previous', row.path, nextPrevious);
      }
    })();
  }

  /** Set the state (and folder) of one row. */
  setState(sequence: number, state: DefinitionsState, path: string | null): void {
    this.setStateStmt.run(state, path, sequence);
  }
}
