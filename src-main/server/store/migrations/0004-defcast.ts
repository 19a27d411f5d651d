/**
 * Schema version 4: what Defcast keeps per target beyond version 3's registry — how to reach it
 * (platform key linking it to its samples, Defcast port), what it reported, and the state of
 * the delivery in progress, so retries and their count survive a server restart.
 */
import type Database from 'better-sqlite3';

/** Add the Defcast columns to `targets`. */
export function up(db: Database.Database): void {
  db.exec(`
    ALTER TABLE targets ADD COLUMN platform_key     TEXT;
    ALTER TABLE targets ADD COLUMN defcast_port     INTEGER;
    ALTER TABLE targets ADD COLUMN distributor      TEXT;
    ALTER TABLE targets ADD COLUMN version          TEXT;
    ALTER TABLE targets ADD COLUMN first_seen       INTEGER;
    ALTER TABLE targets ADD COLUMN pending_sequence INTEGER;
    ALTER TABLE targets ADD COLUMN attempts         INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE targets ADD COLUMN next_attempt_at  INTEGER;
    ALTER TABLE targets ADD COLUMN last_error       TEXT;
    ALTER TABLE targets ADD COLUMN installed_at     INTEGER;
    -- Samples name their endpoint by platform key (samples.platform_key); one target per key.
    CREATE UNIQUE INDEX targets_platform_key ON targets(platform_key);
    -- The delivery loop looks for targets with work due.
    CREATE INDEX targets_pending ON targets(pending_sequence, next_attempt_at);
    -- Coverage and delivery walk a checksum's or an endpoint's samples.
    CREATE INDEX samples_platform_key ON samples(platform_key, status);
  `);
}
