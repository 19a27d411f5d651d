/**
 * Samples: their indexed row, their attributes (kept verbatim, unknown `X-` ones too), and the
 * audit rows every change appends. The only writer of `attributes` and of the sample columns
 * (apart from `error_count`, which ErrorsRepo keeps).
 */
import type Database from 'better-sqlite3';
import { writeTransaction } from './database.js';
import type { AuditRepo, AuditRow } from './audit-repo.js';
import type { BlobsRepo } from './blobs-repo.js';
import type { ErrorRow, ErrorsRepo } from './errors-repo.js';
import {
  DERIVED_COLUMNS,
  deriveColumns,
  INTAKE_STATUS,
  toSampleRow as toRow,
  type RawSampleRow,
  type SampleRow,
} from './sample-columns.js';
import { SampleListStatements, type SampleListQuery } from './sample-list.js';
import { StoreError } from './store-error.js';

/** A sample as accepted by intake. */
export interface NewSample {
  readonly blobSha256: string;
  /** Canonical `X-` names → decoded Unicode values. */
  readonly attributes: Readonly<Record<string, string>>;
  /** Identifies the sending endpoint for duplicate detection (e.g. GUID or host). */
  readonly platformKey: string;
  /** Local receive time, epoch ms. */
  readonly receivedAt: number;
  /** Local clock minus the sender's `Date` header, ms. */
  readonly skewMs: number;
  readonly actor: string;
}

export type { SampleRow } from './sample-columns.js';

/** Everything the Properties dialog shows about one sample. */
export interface SampleDetail {
  readonly row: SampleRow;
  readonly attributes: Record<string, string>;
  readonly history: AuditRow[];
  readonly errors: ErrorRow[];
}

/** One page of the list pane plus the number of samples matching the filter. */
export interface SampleListResult {
  readonly total: number;
  readonly rows: SampleRow[];
}

const CHANGES = 'X-Sample-Changes';
const STATUS = 'X-Sample-Status';
const SUBMITTED = 'X-Date-Submitted';

/** Collaborators whose tables sample operations also touch. */
export interface SamplesRepoDeps {
  readonly audit: AuditRepo;
  readonly blobs: BlobsRepo;
  readonly errors: ErrorsRepo;
}

/** The `samples` and `attributes` tables. */
export class SamplesRepo {
  private readonly insertStmt: Database.Statement<Record<string, unknown>, RawSampleRow>;
  private readonly updateStmt: Database.Statement<Record<string, unknown>>;
  private readonly getStmt: Database.Statement<[number], RawSampleRow>;
  private readonly attributesStmt: Database.Statement<[number], { name: string; value: string }>;
  private readonly setAttributeStmt: Database.Statement<[number, string, string]>;
  private readonly addAttributeStmt: Database.Statement<[number, string, string]>;
  private readonly removeAttributeStmt: Database.Statement<[number, string]>;
  private readonly duplicateStmt: Database.Statement<[string, string, string], { id: number }>;
  private readonly correlatorStmt: Database.Statement<[string], { n: number }>;
  private readonly deleteStmt: Database.Statement<[number]>;
  private readonly statusCountsStmt: Database.Statement<[], { status: string; n: number }>;
  private readonly blobUsersStmt: Database.Statement<[string], { id: number }>;
  private readonly lists: SampleListStatements;
  private readonly deps: SamplesRepoDeps;
  private readonly tx: <T>(work: () => T) => T;

  constructor(
    private readonly db: Database.Database,
    deps: SamplesRepoDeps,
  ) {
    this.deps = deps;
    const columns = [
      'blob_sha256',
      'platform_key',
      'received_at',
      'submitted_by',
      'skew_ms',
      'status_since',
      ...DERIVED_COLUMNS,
    ];
    this.insertStmt = db.prepare(
      `INSERT INTO samples (${columns.join(', ')}) VALUES (${columns.map((c) => '@' + c).join(', ')})
       RETURNING *`,
    );
    const updated = [...DERIVED_COLUMNS, 'submitted_by', 'status_since'];
    this.updateStmt = db.prepare(
      `UPDATE samples SET ${updated.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`,
    );
    this.getStmt = db.prepare('SELECT * FROM samples WHERE id = ?');
    this.attributesStmt = db.prepare(
      'SELECT name, value FROM attributes WHERE sample_id = ? ORDER BY name',
    );
    this.setAttributeStmt = db.prepare(
      `INSERT INTO attributes (sample_id, name, value) VALUES (?, ?, ?)
       ON CONFLICT (sample_id, name) DO UPDATE SET value = excluded.value`,
    );
    this.addAttributeStmt = db.prepare(
      'INSERT INTO attributes (sample_id, name, value) VALUES (?, ?, ?)',
    );
    this.removeAttributeStmt = db.prepare(
      'DELETE FROM attributes WHERE sample_id = ? AND name = ?',
    );
    this.duplicateStmt = db.prepare(
      `SELECT id FROM samples WHERE checksum = ? AND platform_key = ? AND blob_sha256 = ?
       ORDER BY id LIMIT 1`,
    );
    this.correlatorStmt = db.prepare('SELECT count(*) AS n FROM samples WHERE correlator = ?');
    this.deleteStmt = db.prepare('DELETE FROM samples WHERE id = ?');
    this.statusCountsStmt = db.prepare(
      'SELECT status, count(*) AS n FROM samples GROUP BY status ORDER BY status',
    );
    this.blobUsersStmt = db.prepare('SELECT id FROM samples WHERE blob_sha256 = ? ORDER BY id');
    this.lists = new SampleListStatements(db);
    const transaction = writeTransaction(db, (work: () => unknown) => work());
    this.tx = <T>(work: () => T): T => transaction(work) as T;
  }

  /**
   * Store a newly accepted sample and its attributes and append its intake audit row. The blob
   * row must already exist (`BlobsRepo.addRef` in the same transaction). Returns the new id.
   */
  insert(s: NewSample): number {
    return this.insertRow(s).id;
  }

  /**
   * `insert`, returning the new sample's row (as `get` would read it) rather than its id.
   * `inSavepoint`: the caller runs this inside a savepoint of its own that it rolls back should
   * this throw (a group-commit job does), so none is opened here; each costs a copy of every
   * page it touches.
   */
  insertRow(s: NewSample, options: { inSavepoint?: boolean } = {}): SampleRow {
    if (options.inSavepoint && !this.db.inTransaction) {
      throw new Error('insertRow with inSavepoint called outside a transaction');
    }
    return options.inSavepoint ? this.writeNew(s) : this.tx(() => this.writeNew(s));
  }

  private writeNew(s: NewSample): SampleRow {
    if (this.deps.blobs.get(s.blobSha256) === undefined) {
      throw new StoreError('invalid-blob', `no blob row for ${s.blobSha256}`);
    }
    const attributes: Record<string, string> = { ...s.attributes };
    attributes[STATUS] ??= INTAKE_STATUS;
    // The agent counts its own changes; accepting the sample adds server attributes.
    attributes[CHANGES] = String(parseCount(attributes[CHANGES]) + 1);
    const derived = deriveColumns(attributes);
    const inserted = this.insertStmt.get({
      ...derived,
      blob_sha256: s.blobSha256,
      platform_key: s.platformKey,
      received_at: s.receivedAt,
      submitted_by: derived.submitted_at === null ? null : s.actor,
      skew_ms: s.skewMs,
      status_since: s.receivedAt,
    });
    // A plain INSERT either adds its row or throws; RETURNING then always has the row.
    if (inserted === undefined) throw new Error('INSERT ... RETURNING gave no sample row');
    const id = inserted.id;
    // A new id: no attribute row can exist yet, so a plain INSERT (no conflict clause).
    for (const [name, value] of Object.entries(attributes)) {
      this.addAttributeStmt.run(id, name, value);
    }
    this.deps.audit.append({
      actor: s.actor,
      action: 'intake',
      sampleId: id,
      from: null,
      to: derived.status,
      detail: { checksum: derived.checksum, platformKey: s.platformKey, blob: s.blobSha256 },
    });
    return toRow(inserted);
  }

  /** One sample's row, if it exists. */
  get(id: number): SampleRow | undefined {
    const row = this.getStmt.get(id);
    return row && toRow(row);
  }

  /** A sample's attributes as `{ "X-Name": "value" }`. */
  attributes(id: number): Record<string, string> {
    const out: Record<string, string> = {};
    for (const { name, value } of this.attributesStmt.all(id)) out[name] = value;
    return out;
  }

  /** Row, attributes, history and errors of one sample. */
  getDetail(id: number): SampleDetail | undefined {
    const row = this.get(id);
    if (row === undefined) return undefined;
    return {
      row,
      attributes: this.attributes(id),
      history: this.deps.audit.forSample(id),
      errors: this.deps.errors.forSample(id),
    };
  }

  /** One page of the list pane (see `SampleListQuery`). */
  list(query: SampleListQuery = {}): SampleListResult {
    const { total, rows } = this.lists.run(query);
    return { total, rows: (rows as RawSampleRow[]).map(toRow) };
  }

  /**
   * Id of the existing sample with this content from this endpoint (SPEC §4.2: same MD5, same
   * platform and, because MD5 collisions can be forged, the same SHA-256).
   */
  findDuplicate(checksum: string, platformKey: string, sha256: string): number | undefined {
    return this.duplicateStmt.get(checksum.toUpperCase(), platformKey, sha256)?.id;
  }

  /** How many samples carry this `X-Platform-Correlator`. */
  countByCorrelator(correlator: string): number {
    return this.correlatorStmt.get(correlator)?.n ?? 0;
  }

  /**
   * Change attributes (a null value removes one), re-derive the columns, bump
   * `X-Sample-Changes` (which the store owns: a patch cannot set it) and append an audit row.
   */
  setAttributes(
    id: number,
    patch: Readonly<Record<string, string | null>>,
    actor: string,
    reason?: string,
  ): SampleRow {
    return this.tx(() => {
      const { before, after } = this.applyPatch(id, patch, actor, false);
      const statusChanged = before.status !== after.status;
      this.deps.audit.append({
        actor,
        action: 'attributes',
        sampleId: id,
        from: statusChanged ? before.status : null,
        to: statusChanged ? after.status : null,
        reason: reason ?? null,
        detail: patch,
      });
      return after;
    });
  }

  /** Move a sample to another status and record the step in its history. */
  transition(id: number, to: string, actor: string, reason: string): SampleRow {
    return this.tx(() => {
      const { before, after } = this.applyPatch(id, { [STATUS]: to }, actor, true);
      this.deps.audit.append({
        actor,
        action: 'transition',
        sampleId: id,
        from: before.status,
        to,
        reason,
      });
      return after;
    });
  }

  /** Bump `X-Sample-Changes` without other changes (a duplicate arrived); returns the new count. */
  bumpChanges(id: number, actor: string, reason: string): number {
    return this.tx(() => {
      const { after } = this.applyPatch(id, {}, actor, false);
      this.deps.audit.append({
        actor,
        action: 'changes',
        sampleId: id,
        reason,
        detail: { changes: after.changes },
      });
      return after.changes;
    });
  }

  /**
   * Delete samples (attributes and errors go with them) and release their blob references.
   * `freedBlobs` lists blobs no sample uses any more: delete their files after the commit.
   */
  delete(
    ids: readonly number[],
    actor: string,
    reason?: string,
  ): { deleted: number[]; freedBlobs: string[] } {
    return this.tx(() => {
      const deleted: number[] = [];
      const freedBlobs: string[] = [];
      for (const id of new Set(ids)) {
        const row = this.getStmt.get(id);
        if (row === undefined) continue;
        this.deleteStmt.run(id);
        if (this.deps.blobs.release(row.blob_sha256)) freedBlobs.push(row.blob_sha256);
        this.deps.audit.append({
          actor,
          action: 'delete',
          sampleId: id,
          from: row.status,
          to: null,
          reason: reason ?? null,
          detail: { checksum: row.checksum, fileName: row.file_name, host: row.host },
        });
        deleted.push(id);
      }
      return { deleted, freedBlobs };
    });
  }

  /** Number of samples per status. */
  countsByStatus(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const { status, n } of this.statusCountsStmt.all()) out[status] = n;
    return out;
  }

  /** Ids of the samples stored in one blob. */
  idsWithBlob(sha256: string): number[] {
    return this.blobUsersStmt.all(sha256).map((r) => r.id);
  }

  private applyPatch(
    id: number,
    patch: Readonly<Record<string, string | null>>,
    actor: string,
    forceStatusSince: boolean,
  ): { before: SampleRow; after: SampleRow } {
    const raw = this.getStmt.get(id);
    if (raw === undefined) throw new StoreError('not-found', `no sample ${id}`);
    const attributes = this.attributes(id);
    const touched = new Set<string>();
    for (const [name, value] of Object.entries(patch)) {
      if (name === CHANGES) continue;
      touched.add(name);
      if (value === null) delete attributes[name];
      else attributes[name] = value;
    }
    attributes[CHANGES] = String(raw.changes + 1);
    touched.add(CHANGES);
    const derived = deriveColumns(attributes);
    const now = Date.now();
    // "Submitted by" has no attribute of its own: it is whoever recorded the submission date.
    let submittedBy = raw.submitted_by;
    if (derived.submitted_at === null) submittedBy = null;
    else if (touched.has(SUBMITTED)) submittedBy = actor;
    const statusSince = forceStatusSince || derived.status !== raw.status ? now : raw.status_since;
    this.updateStmt.run({ ...derived, id, submitted_by: submittedBy, status_since: statusSince });
    for (const name of touched) {
      const value = attributes[name];
      if (value === undefined) this.removeAttributeStmt.run(id, name);
      else this.setAttributeStmt.run(id, name, value);
    }
    const after = this.getStmt.get(id);
    if (after === undefined) throw new StoreError('not-found', `no sample ${id}`);
    return { before: toRow(raw), after: toRow(after) };
  }
}

/** A non-negative integer attribute value, 0 when absent or not a number. */
function parseCount(value: string | undefined): number {
  return value !== undefined && /^\s*\d+\s*$/.test(value) ? Number.parseInt(value, 10) : 0;
}
