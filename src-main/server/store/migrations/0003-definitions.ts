/** Schema version 3: definitions sets, Defcast targets and alerts. */
import type Database from 'better-sqlite3';

/** Create the version 3 tables. */
export function up(db: Database.Database): void {
  db.exec(`
    CREATE TABLE definitions (
      sequence     INTEGER PRIMARY KEY,
      version      TEXT NOT NULL,
      certified    INTEGER NOT NULL DEFAULT 0,
      kind         TEXT NOT NULL CHECK (kind IN ('all', 'incr')),
      checksum     TEXT NOT NULL,
      produced     INTEGER,
      published    INTEGER,
      blessed      INTEGER,
      installed_at INTEGER,
      state        TEXT NOT NULL,
      path         TEXT
    );

    CREATE TABLE targets (
      id        INTEGER PRIMARY KEY,
      host      TEXT NOT NULL,
      addresses TEXT NOT NULL DEFAULT '[]',
      guid      TEXT UNIQUE,
      managed   INTEGER NOT NULL DEFAULT 0,
      sequence  INTEGER,
      last_seen INTEGER,
      selected  INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX targets_host ON targets(host);

    CREATE TABLE alerts (
      id         INTEGER PRIMARY KEY,
      event      TEXT NOT NULL,
      sample_id  INTEGER,
      raised_at  INTEGER NOT NULL,
      cleared_at INTEGER,
      message    TEXT NOT NULL
    );
    -- Finding the open episode of an event (raise once, clear when it ends) is the hot query.
    CREATE INDEX alerts_open ON alerts(event, sample_id, cleared_at);
  `);
}
