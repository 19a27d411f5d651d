/** Server settings as JSON values by key (the configuration object lives here). */
import type Database from 'better-sqlite3';

/** The `settings` table. */
export class SettingsRepo {
  private readonly getStmt: Database.Statement<[string], { value: string }>;
  private readonly setStmt: Database.Statement<[string, string, number]>;
  private readonly removeStmt: Database.Statement<[string]>;
  private readonly keysStmt: Database.Statement<[], { key: string }>;

  constructor(db: Database.Database) {
    this.getStmt = db.prepare('SELECT value FROM settings WHERE key = ?');
    this.setStmt = db.prepare(
      `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    );
    this.removeStmt = db.prepare('DELETE FROM settings WHERE key = ?');
    this.keysStmt = db.prepare('SELECT key FROM settings ORDER BY key');
  }

  /** The value stored under `key`, parsed; undefined when unset. Validation is the caller's. */
  get<T = unknown>(key: string): T | undefined {
    const row = this.getStmt.get(key);
    return row === undefined ? undefined : (JSON.parse(row.value) as T);
  }

  /** Store a JSON-serialisable value under `key`. */
  set(key: string, value: unknown): void {
    const json = JSON.stringify(value);
    if (json === undefined) throw new TypeError(`setting ${key} is not JSON-serialisable`);
    this.setStmt.run(key, json, Date.now());
  }

  /** Forget `key`; true when it was set. */
  remove(key: string): boolean {
    return this.removeStmt.run(key).changes === 1;
  }

  /** Every key that has a value. */
  keys(): string[] {
    return this.keysStmt.all().map((r) => r.key);
  }
}
