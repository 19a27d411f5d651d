/** SQL for definitions sets, the signature names each introduced, and the builder lock. */
import type Database from 'better-sqlite3';
import type { SetRow, SetState } from '../model.js';

interface Raw {
  sequence: number;
  version: string;
  kind: string;
  base: number | null;
  state: string;
  certified: number;
  produced_at: number;
  published_at: number | null;
  blessed_at: number | null;
  package_md5: string | null;
  package_kind: string | null;
  full_md5: string | null;
  analysis_id: number | null;
  detail: string | null;
}

function toRow(r: Raw): SetRow {
  return {
    sequence: r.sequence,
    version: r.version,
    kind: r.kind === 'incr' ? 'incr' : 'all',
    base: r.base,
    state: r.state as SetState,
    certified: r.certified === 1,
    producedAt: r.produced_at,
    publishedAt: r.published_at,
    blessedAt: r.blessed_at,
    packageMd5: r.package_md5,
    packageKind: r.package_kind === 'incr' ? 'incr' : r.package_kind === 'all' ? 'all' : null,
    fullMd5: r.full_md5,
    analysisId: r.analysis_id,
    detail: r.detail,
  };
}

/** A set being started (the base set is inserted already published). */
export interface NewSet {
  readonly sequence: number;
  readonly version: string;
  readonly kind: 'all' | 'incr';
  readonly base: number | null;
  readonly state: SetState;
  readonly certified: boolean;
  readonly producedAt: number;
  readonly analysisId: number | null;
}

/** Where a published set's packages are. */
export interface PublishedPackages {
  readonly packageMd5: string;
  readonly packageKind: 'all' | 'incr';
  readonly fullMd5: string;
  readonly publishedAt: number;
}

/** Sets, set_signatures and builder_lock tables. */
export class SetsRepo {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly maxStmt;
  private readonly newestStmt;
  private readonly newestCertifiedStmt;
  private readonly producedBetweenStmt;
  private readonly publishStmt;
  private readonly failStmt;
  private readonly blessStmt;
  private readonly dueForBlessingStmt;
  private readonly addSignatureStmt;
  private readonly introducedStmt;
  private readonly lockStmt;
  private readonly lockHolderStmt;
  private readonly unlockStmt;
  private readonly listStmt;
  private readonly insertBaseStmt;

  constructor(private readonly db: Database.Database) {
    this.insertStmt = db.prepare(
      `INSERT INTO sets (sequence, version, kind, base, state, certified, produced_at, analysis_id)
       VALUES (@sequence, @version, @kind, @base, @state, @certified, @producedAt, @analysisId)
       ON CONFLICT (sequence) DO UPDATE SET version = excluded.version, kind = excluded.kind,
         base = excluded.base, state = excluded.state, produced_at = excluded.produced_at,
         analysis_id = excluded.analysis_id`,
    );
    this.getStmt = db.prepare<[number], Raw>('SELECT * FROM sets WHERE sequence = ?');
    this.maxStmt = db.prepare<[], { n: number | null }>('SELECT MAX(sequence) AS n FROM sets');
    this.newestStmt = db.prepare<[], Raw>(
      "SELECT * FROM sets WHERE state = 'published' ORDER BY sequence DESC LIMIT 1",
    );
    this.newestCertifiedStmt = db.prepare<[], Raw>(
      "SELECT * FROM sets WHERE state = 'published' AND certified = 1 ORDER BY sequence DESC LIMIT 1",
    );
    this.producedBetweenStmt = db.prepare<[number, number], { n: number }>(
      'SELECT COUNT(*) AS n FROM sets WHERE produced_at >= ? AND produced_at < ?',
    );
    this.publishStmt = db.prepare(
      `UPDATE sets SET state = 'published', package_md5 = @packageMd5,
         package_kind = @packageKind, full_md5 = @fullMd5, published_at = @publishedAt
       WHERE sequence = @sequence AND state = 'building'`,
    );
    this.failStmt = db.prepare<[string, string | null, number]>(
      "UPDATE sets SET state = ?, detail = ? WHERE sequence = ? AND state = 'building'",
    );
    this.blessStmt = db.prepare(
      `UPDATE sets SET certified = 1, blessed_at = @blessedAt, package_md5 = @packageMd5,
         package_kind = 'all', full_md5 = @packageMd5
       WHERE sequence = @sequence AND state = 'published' AND certified = 0`,
    );
    this.dueForBlessingStmt = db.prepare<[number], Raw>(
      `SELECT * FROM sets WHERE state = 'published' AND certified = 0 AND published_at <= ?
         AND sequence > (SELECT COALESCE(MAX(sequence), 0) FROM sets
                          WHERE state = 'published' AND certified = 1)
       ORDER BY sequence DESC LIMIT 1`,
    );
    this.addSignatureStmt = db.prepare<[string, number]>(
      'INSERT OR IGNORE INTO set_signatures (name, sequence) VALUES (?, ?)',
    );
    this.introducedStmt = db.prepare<[string], { sequence: number }>(
      'SELECT sequence FROM set_signatures WHERE name = ?',
    );
    this.lockStmt = db.prepare<[number, number]>(
      'INSERT OR IGNORE INTO builder_lock (id, analysis_id, locked_at) VALUES (1, ?, ?)',
    );
    this.lockHolderStmt = db.prepare<[], { analysis_id: number }>(
      'SELECT analysis_id FROM builder_lock WHERE id = 1',
    );
    this.unlockStmt = db.prepare<[number]>('DELETE FROM builder_lock WHERE analysis_id = ?');
    this.listStmt = db.prepare<[], Raw>('SELECT * FROM sets ORDER BY sequence');
    this.insertBaseStmt = db.prepare(
      `INSERT INTO sets (sequence, version, kind, base, state, certified, produced_at,
         published_at, blessed_at, package_md5, package_kind, full_md5)
       VALUES (@sequence, @version, 'all', NULL, 'published', @certified, @producedAt,
         @publishedAt, @blessedAt, @md5, 'all', @md5)`,
    );
  }

  /** Insert a set row (re-inserting a sequence that crashed mid-build replaces it). */
  insert(s: NewSet): void {
    this.insertStmt.run({ ...s, certified: s.certified ? 1 : 0 });
  }

  /** Insert the starting set: a whole set, already published (and certified when blessed). */
  insertBase(b: {
    sequence: number;
    version: string;
    producedAt: number;
    publishedAt: number;
    blessedAt: number | null;
    md5: string;
  }): void {
    this.insertBaseStmt.run({ ...b, certified: b.blessedAt === null ? 0 : 1 });
  }

  /** One set, or undefined. */
  get(sequence: number): SetRow | undefined {
    const raw = this.getStmt.get(sequence);
    return raw ? toRow(raw) : undefined;
  }

  /** Every set, oldest first. */
  list(): SetRow[] {
    return this.listStmt.all().map(toRow);
  }

  /** The highest sequence ever allocated (published or not), 0 when there is none. */
  maxSequence(): number {
    return this.maxStmt.get()?.n ?? 0;
  }

  /** The newest published set, certified or not. */
  newest(): SetRow | undefined {
    const raw = this.newestStmt.get();
    return raw ? toRow(raw) : undefined;
  }

  /** The newest published certified set. */
  newestCertified(): SetRow | undefined {
    const raw = this.newestCertifiedStmt.get();
    return raw ? toRow(raw) : undefined;
  }

  /** Sets produced in `[from, to)`: numbers the revision part of a version. */
  producedBetween(from: number, to: number): number {
    return this.producedBetweenStmt.get(from, to)?.n ?? 0;
  }

  /** Mark a building set published with its packages; false if it was not building. */
  publish(sequence: number, p: PublishedPackages): boolean {
    return this.publishStmt.run({ sequence, ...p }).changes === 1;
  }

  /** Mark a building set `abandoned` or `unpublished`; false if it was not building. */
  fail(sequence: number, state: 'abandoned' | 'unpublished', detail: string): boolean {
    return this.failStmt.run(state, detail, sequence).changes === 1;
  }

  /** Certify a published set, now served as its full package; false if not eligible. */
  bless(sequence: number, blessedAt: number, packageMd5: string): boolean {
    return this.blessStmt.run({ sequence, blessedAt, packageMd5 }).changes === 1;
  }

  /** The newest uncertified published set published at or before `before`, newer than any certified. */
  dueForBlessing(before: number): SetRow | undefined {
    const raw = this.dueForBlessingStmt.get(before);
    return raw ? toRow(raw) : undefined;
  }

  /** Record the signature names a set introduced (first sequence wins). */
  addSignatures(sequence: number, names: readonly string[]): void {
    for (const name of names) this.addSignatureStmt.run(name, sequence);
  }

  /** The sequence that first carried a signature name, if known. */
  introducedIn(name: string): number | undefined {
    return this.introducedStmt.get(name)?.sequence;
  }

  /** Take the builder lock for an analysis; true when it now holds it. */
  lock(analysisId: number, now: number): boolean {
    this.lockStmt.run(analysisId, now);
    return this.lockHolder() === analysisId;
  }

  /** The analysis holding the builder lock, or null. */
  lockHolder(): number | null {
    return this.lockHolderStmt.get()?.analysis_id ?? null;
  }

  /** Release the builder lock if this analysis holds it. */
  unlock(analysisId: number): void {
    this.unlockStmt.run(analysisId);
  }

  /** Run `work` in one immediate transaction (for multi-row changes). */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }
}
