/** Schema version 2: console users, the Quarantine Log and server settings. */
import type Database from 'better-sqlite3';

/** Create the version 2 tables. */
export function up(db: Database.Database): void {
  db.exec(`
    -- Windows account names are case-insensitive, so "Admin" and "admin" are one user.
    CREATE TABLE users (
      name          TEXT NOT NULL,
      domain        TEXT NOT NULL DEFAULT '',
      password_hash TEXT NOT NULL,
      created_at    INTEGER NOT NULL,
      PRIMARY KEY (name COLLATE NOCASE, domain COLLATE NOCASE)
    );

    CREATE TABLE log (
      id        INTEGER PRIMARY KEY,
      at        INTEGER NOT NULL,
      level     TEXT NOT NULL,
      source    TEXT NOT NULL,
      message   TEXT NOT NULL,
      sample_id INTEGER
    );
    CREATE INDEX log_at ON log(at);

    CREATE TABLE settings (
      key        TEXT PRIMARY KEY,
      value      TEXT NOT NULL,
      updated_at INTEGER NOT NULL
    );
  `);
}
