/** Schema version 1: samples, their attributes, content blobs, errors and the audit chain. */
import type Database from 'better-sqlite3';

/** Columns of `samples` that the console lists, sorts and filters by; each gets an index. */
const LIST_COLUMNS = [
  'file_name',
  'user_name',
  'host',
  'domain',
  'received_at',
  'submitted_at',
  'submitted_by',
  'status',
  'virus_name',
  'analyzed_at',
  'analysis_state',
  'defs_needed',
  'error_count',
] as const;

/** Create the version 1 tables. */
export function up(db: Database.Database): void {
  db.exec(`
    CREATE TABLE blobs (
      sha256      TEXT PRIMARY KEY,
      size        INTEGER NOT NULL,
      stored_size INTEGER NOT NULL,
      refs        INTEGER NOT NULL
    );

    CREATE TABLE samples (
      id             INTEGER PRIMARY KEY AUTOINCREMENT,
      blob_sha256    TEXT NOT NULL REFERENCES blobs(sha256),
      checksum       TEXT NOT NULL,
      size           INTEGER NOT NULL,
      status         TEXT NOT NULL,
      platform_key   TEXT NOT NULL,
      correlator     TEXT,
      guid           TEXT,
      host           TEXT,
      user_name      TEXT,
      domain         TEXT,
      file_name      TEXT,
      received_at    INTEGER NOT NULL,
      submitted_at   INTEGER,
      submitted_by   TEXT,
      analyzed_at    INTEGER,
      finished_at    INTEGER,
      analysis_state TEXT,
      defs_needed    INTEGER,
      virus_name     TEXT,
      priority       INTEGER NOT NULL DEFAULT 0,
      changes        INTEGER NOT NULL DEFAULT 1,
      error_count    INTEGER NOT NULL DEFAULT 0,
      skew_ms        INTEGER NOT NULL DEFAULT 0,
      status_since   INTEGER NOT NULL
    );
    ${LIST_COLUMNS.map((c) => `CREATE INDEX samples_${c} ON samples(${c});`).join('\n')}
    CREATE INDEX samples_duplicate ON samples(checksum, platform_key);
    CREATE INDEX samples_correlator ON samples(correlator);
    -- Without it every blob release would scan samples for the foreign key check.
    CREATE INDEX samples_blob ON samples(blob_sha256);

    CREATE TABLE attributes (
      sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
      name      TEXT NOT NULL,
      value     TEXT NOT NULL,
      PRIMARY KEY (sample_id, name)
    ) WITHOUT ROWID;

    CREATE TABLE errors (
      id        INTEGER PRIMARY KEY,
      sample_id INTEGER REFERENCES samples(id) ON DELETE CASCADE,
      at        INTEGER NOT NULL,
      code      TEXT NOT NULL,
      params    TEXT NOT NULL,
      source    TEXT NOT NULL,
      message   TEXT NOT NULL
    );
    CREATE INDEX errors_sample ON errors(sample_id);

    -- sample_id has no foreign key on purpose: the chain must outlive deleted samples.
    CREATE TABLE audit (
      seq         INTEGER PRIMARY KEY,
      at          INTEGER NOT NULL,
      actor       TEXT NOT NULL,
      action      TEXT NOT NULL,
      sample_id   INTEGER,
      from_status TEXT,
      to_status   TEXT,
      reason      TEXT,
      detail      TEXT,
      prev_hash   TEXT NOT NULL,
      hash        TEXT NOT NULL
    );
    CREATE INDEX audit_sample ON audit(sample_id);
  `);
}
