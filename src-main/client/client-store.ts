/**
 * The endpoint's durable queue (SQLite, WAL with synchronous FULL like the server's store):
 * one row per locally quarantined item, from capture through forwarding to what new
 * definitions did to it. `cq client capture` and the running client open it at the same time;
 * SQLite's locking keeps them consistent.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import type { EndpointAction } from '../server/defcast/defcast-wire.js';

/** File name of the queue inside the client's data folder. */
export const CLIENT_DATABASE = 'client.db';

/**
 * Where an item stands: `pending` (waiting to be forwarded), `forwarded`, `refused` (the server
 * refused it for good), or what new definitions did: `repaired`, `restored`, `deleted`.
 */
export type ItemState = 'pending' | 'forwarded' | 'refused' | 'repaired' | 'restored' | 'deleted';

/** States whose content is still an untreated capture (rescanned when new definitions arrive). */
export const UNTREATED_STATES: readonly ItemState[] = ['pending', 'forwarded', 'refused'];

/** One item of the local quarantine. */
export interface LocalItem {
  readonly id: number;
  /** SHA-256 of the content stored for it now (the capture, or its repaired form). */
  readonly sha256: string;
  readonly size: number;
  readonly originalPath: string;
  readonly capturedAt: number;
  /** Sample attributes fixed at capture (X-Sample-*, X-Date-*). */
  readonly attributes: Record<string, string>;
  readonly state: ItemState;
  /** X-Sample-Id the server answered. */
  readonly serverId: string | null;
  readonly forwardedAt: number | null;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly lastError: string | null;
  /** Last action new definitions led to, and with which sequence. */
  readonly action: EndpointAction | null;
  readonly actionSequence: number | null;
}

/** What a capture records. */
export interface NewItem {
  readonly sha256: string;
  readonly size: number;
  readonly originalPath: string;
  readonly capturedAt: number;
  readonly attributes: Record<string, string>;
}

interface RawItem {
  id: number;
  sha256: string;
  size: number;
  original_path: string;
  captured_at: number;
  attributes: string;
  state: ItemState;
  server_id: string | null;
  forwarded_at: number | null;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  action: EndpointAction | null;
  action_sequence: number | null;
}

function toItem(r: RawItem): LocalItem {
  return {
    id: r.id,
    sha256: r.sha256,
    size: r.size,
    originalPath: r.original_path,
    capturedAt: r.captured_at,
    attributes: JSON.parse(r.attributes) as Record<string, string>,
    state: r.state,
    serverId: r.server_id,
    forwardedAt: r.forwarded_at,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    action: r.action,
    actionSequence: r.action_sequence,
  };
}

const SCHEMA_VERSION = 1;

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(
      `client database schema ${version} is newer than this program (${SCHEMA_VERSION})`,
    );
  }
  if (version === SCHEMA_VERSION) return;
  db.transaction(() => {
    if ((db.pragma('user_version', { simple: true }) as number) >= 1) return;
    db.exec(`
      CREATE TABLE items (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        sha256          TEXT NOT NULL,
        size            INTEGER NOT NULL,
        original_path   TEXT NOT NULL,
        captured_at     INTEGER NOT NULL,
        attributes      TEXT NOT NULL,
        state           TEXT NOT NULL,
        server_id       TEXT,
        forwarded_at    INTEGER,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT,
        action          TEXT,
        action_sequence INTEGER
      );
      CREATE INDEX items_due ON items(state, next_attempt_at);
      CREATE INDEX items_sha ON items(sha256);
    `);
    db.pragma('user_version = 1');
  }).immediate();
}

/** The items table of one endpoint. */
export class ClientStore {
  private readonly insertStmt: Database.Statement<Record<string, unknown>>;
  private readonly getStmt: Database.Statement<[number], RawItem>;
  private readonly listStmt: Database.Statement<[], RawItem>;
  private readonly dueStmt: Database.Statement<[number, number], RawItem>;
  private readonly untreatedStmt: Database.Statement<[], RawItem>;
  private readonly forwardedStmt: Database.Statement<[string, number, number]>;
  private readonly retryStmt: Database.Statement<[string, number, number]>;
  private readonly refusedStmt: Database.Statement<[string, number]>;
  private readonly treatedStmt: Database.Statement<[string, string, number, string, number]>;
  private readonly noteStmt: Database.Statement<[string, number, number]>;
  private readonly shaUsersStmt: Database.Statement<[string], { n: number }>;

  private constructor(private readonly db: Database.Database) {
    this.insertStmt = db.prepare(
      `INSERT INTO items (sha256, size, original_path, captured_at, attributes, state)
       VALUES (@sha256, @size, @original_path, @captured_at, @attributes, 'pending')`,
    );
    this.getStmt = db.prepare('SELECT * FROM items WHERE id = ?');
    this.listStmt = db.prepare('SELECT * FROM items ORDER BY id');
    this.dueStmt = db.prepare(
      `SELECT * FROM items WHERE state = 'pending' AND next_attempt_at <= ?
       ORDER BY next_attempt_at, id LIMIT ?`,
    );
    this.untreatedStmt = db.prepare(
      `SELECT * FROM items WHERE state IN ('pending', 'forwarded', 'refused') ORDER BY id`,
    );
    // The server id is kept whatever happened meanwhile; only a pending item becomes forwarded.
    this.forwardedStmt = db.prepare(
      `UPDATE items SET server_id = ?, forwarded_at = ?, last_error = NULL,
              state = CASE state WHEN 'pending' THEN 'forwarded' ELSE state END
       WHERE id = ?`,
    );
    this.retryStmt = db.prepare(
      `UPDATE items SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?
       WHERE id = ? AND state = 'pending'`,
    );
    this.refusedStmt = db.prepare(
      `UPDATE items SET state = 'refused', last_error = ? WHERE id = ? AND state = 'pending'`,
    );
    this.treatedStmt = db.prepare(
      `UPDATE items SET state = ?, action = ?, action_sequence = ?, sha256 = ? WHERE id = ?`,
    );
    this.noteStmt = db.prepare('UPDATE items SET action = ?, action_sequence = ? WHERE id = ?');
    this.shaUsersStmt = db.prepare(
      `SELECT count(*) AS n FROM items WHERE sha256 = ? AND state NOT IN ('restored', 'deleted')`,
    );
  }

  /** Open (creating and migrating if needed) the queue in `dataDir`. */
  static open(dataDir: string): ClientStore {
    const db = new Database(path.join(dataDir, CLIENT_DATABASE));
    try {
      db.pragma('busy_timeout = 10000');
      db.pragma('journal_mode = WAL');
      // An item acknowledged by `capture` must survive power loss: FULL, as on the server.
      db.pragma('synchronous = FULL');
      migrate(db);
      return new ClientStore(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Record a captured item (its content is already durable); returns it. */
  insert(item: NewItem): LocalItem {
    const id = Number(
      this.insertStmt.run({
        sha256: item.sha256,
        size: item.size,
        original_path: item.originalPath,
        captured_at: item.capturedAt,
        attributes: JSON.stringify(item.attributes),
      }).lastInsertRowid,
    );
    return this.get(id)!;
  }

  /** One item. */
  get(id: number): LocalItem | undefined {
    const row = this.getStmt.get(id);
    return row && toItem(row);
  }

  /** Every item, oldest first. */
  list(): LocalItem[] {
    return this.listStmt.all().map(toItem);
  }

  /** Pending items whose next attempt is due. */
  due(now: number, limit: number): LocalItem[] {
    return this.dueStmt.all(now, limit).map(toItem);
  }

  /** Items new definitions may still treat. */
  untreated(): LocalItem[] {
    return this.untreatedStmt.all().map(toItem);
  }

  /** The server accepted the item with this id. */
  recordForwarded(id: number, serverId: string, at: number): void {
    this.forwardedStmt.run(serverId, at, id);
  }

  /** A forward failed in a way worth retrying. */
  recordRetry(id: number, error: string, nextAttemptAt: number): void {
    this.retryStmt.run(error.slice(0, 1000), nextAttemptAt, id);
  }

  /** The server refused the item for good. */
  recordRefused(id: number, error: string): void {
    this.refusedStmt.run(error.slice(0, 1000), id);
  }

  /** New definitions treated the item: new state, action and content. */
  recordTreated(
    id: number,
    state: ItemState,
    action: EndpointAction,
    sequence: number,
    sha256: string,
  ): void {
    this.treatedStmt.run(state, action, sequence, sha256, id);
  }

  /** New definitions saw the item but left it as it was. */
  recordNote(id: number, action: EndpointAction, sequence: number): void {
    this.noteStmt.run(action, sequence, id);
  }

  /** Whether any live item still stores content `sha256`. */
  contentInUse(sha256: string): boolean {
    return (this.shaUsersStmt.get(sha256)?.n ?? 0) > 0;
  }

  /** Close the database. */
  close(): void {
    this.db.close();
  }
}
