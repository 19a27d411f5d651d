/**
 * Schema version 5: an index for the list pane's most common filtered view, items of some
 * statuses newest first. Without it every page of a status filter sorted all matching rows
 * (the console bench measured p99 ≈ 380 ms at 100,000 samples).
 */
import type Database from 'better-sqlite3';

/** Create the version 5 indexes. */
export function up(db: Database.Database): void {
  db.exec('CREATE INDEX samples_status_received ON samples(status, received_at);');
}
