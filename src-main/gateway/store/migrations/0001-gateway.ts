/** Gateway schema version 1: analyses, customers' submissions, definitions sets, builder lock. */
import type Database from 'better-sqlite3';

/** Create the version 1 tables. */
export function up(db: Database.Database): void {
  db.exec(`
    -- One analysis per distinct content (and service): duplicates share it.
    CREATE TABLE analyses (
      id               INTEGER PRIMARY KEY,
      md5              TEXT NOT NULL,
      sha256           TEXT NOT NULL,
      size             INTEGER NOT NULL,
      service          TEXT,
      priority         INTEGER NOT NULL DEFAULT 0,
      state            TEXT NOT NULL,
      -- When the runner next works on it; NULL while waiting for an expert or once final.
      next_at          INTEGER,
      hints            TEXT NOT NULL DEFAULT '{}',
      classification   TEXT,
      finding          TEXT,
      signatures       TEXT,
      virus_name       TEXT,
      virus_identifier INTEGER,
      sequence         INTEGER,
      building         INTEGER,
      detail           TEXT,
      decided_by       TEXT,
      created_at       INTEGER NOT NULL,
      analyzed_at      INTEGER,
      finished_at      INTEGER
    );
    CREATE INDEX analyses_content ON analyses(md5, sha256);
    CREATE INDEX analyses_due ON analyses(next_at) WHERE finished_at IS NULL;

    CREATE TABLE submissions (
      id           INTEGER PRIMARY KEY,
      cookie       TEXT NOT NULL UNIQUE,
      issue        TEXT NOT NULL,
      customer     TEXT NOT NULL,
      analysis_id  INTEGER NOT NULL REFERENCES analyses(id),
      submitted_at INTEGER NOT NULL,
      skew_ms      INTEGER NOT NULL DEFAULT 0,
      attributes   TEXT NOT NULL
    );
    CREATE INDEX submissions_analysis ON submissions(analysis_id);

    CREATE TABLE sets (
      sequence     INTEGER PRIMARY KEY,
      version      TEXT NOT NULL,
      kind         TEXT NOT NULL CHECK (kind IN ('all', 'incr')),
      base         INTEGER,
      state        TEXT NOT NULL
                   CHECK (state IN ('building', 'published', 'abandoned', 'unpublished')),
      certified    INTEGER NOT NULL DEFAULT 0,
      produced_at  INTEGER NOT NULL,
      published_at INTEGER,
      blessed_at   INTEGER,
      -- The package served for the sequence (incr until blessed, all once certified).
      package_md5  TEXT,
      package_kind TEXT CHECK (package_kind IN ('all', 'incr')),
      -- The cumulative full package of the same sequence.
      full_md5     TEXT,
      analysis_id  INTEGER,
      detail       TEXT
    );

    -- Which sequence first carried each signature name, so a detection names the set that
    -- resolves it rather than merely the newest one.
    CREATE TABLE set_signatures (
      name     TEXT PRIMARY KEY,
      sequence INTEGER NOT NULL REFERENCES sets(sequence)
    );

    -- Exclusive use of the definitions builder (the guide's locking/unlocking states).
    CREATE TABLE builder_lock (
      id          INTEGER PRIMARY KEY CHECK (id = 1),
      analysis_id INTEGER NOT NULL,
      locked_at   INTEGER NOT NULL
    );
  `);
}
