/** Console users who may attach remotely; names and domains match case-insensitively. */
import type Database from 'better-sqlite3';
import { StoreError } from './store-error.js';

/** One console user (`passwordHash` is an scrypt string made by the control layer). */
export interface UserRow {
  readonly name: string;
  readonly domain: string;
  readonly passwordHash: string;
  readonly createdAt: number;
}

interface RawUserRow {
  name: string;
  domain: string;
  password_hash: string;
  created_at: number;
}

function toRow(r: RawUserRow): UserRow {
  return { name: r.name, domain: r.domain, passwordHash: r.password_hash, createdAt: r.created_at };
}

/** The `users` table. */
export class UsersRepo {
  private readonly insertStmt: Database.Statement<[string, string, string, number]>;
  private readonly getStmt: Database.Statement<[string, string], RawUserRow>;
  private readonly listStmt: Database.Statement<[], RawUserRow>;
  private readonly removeStmt: Database.Statement<[string, string]>;

  constructor(db: Database.Database) {
    this.insertStmt = db.prepare(
      `INSERT INTO users (name, domain, password_hash, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    );
    // The collations match the primary key's, so these lookups use its index.
    this.getStmt = db.prepare(
      'SELECT * FROM users WHERE name = ? COLLATE NOCASE AND domain = ? COLLATE NOCASE',
    );
    this.listStmt = db.prepare(
      'SELECT * FROM users ORDER BY domain COLLATE NOCASE, name COLLATE NOCASE',
    );
    this.removeStmt = db.prepare(
      'DELETE FROM users WHERE name = ? COLLATE NOCASE AND domain = ? COLLATE NOCASE',
    );
  }

  /** Add a user; refused with `StoreError('exists')` when the name is taken in that domain. */
  add(name: string, domain: string, passwordHash: string): UserRow {
    const createdAt = Date.now();
    if (this.insertStmt.run(name, domain, passwordHash, createdAt).changes === 0) {
      throw new StoreError('exists', `user ${domain ? domain + '\\' : ''}${name} already exists`);
    }
    return { name, domain, passwordHash, createdAt };
  }

  /** One user, if present. */
  get(name: string, domain = ''): UserRow | undefined {
    const row = this.getStmt.get(name, domain);
    return row && toRow(row);
  }

  /** Every user, by domain then name. */
  list(): UserRow[] {
    return this.listStmt.all().map(toRow);
  }

  /** Remove a user; true when one was removed. */
  remove(name: string, domain = ''): boolean {
    return this.removeStmt.run(name, domain).changes === 1;
  }
}
