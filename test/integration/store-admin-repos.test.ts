import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src-main/server/store/database.js';
import { LogRepo } from '../../src-main/server/store/log-repo.js';
import { SettingsRepo } from '../../src-main/server/store/settings-repo.js';
import { TargetsRepo } from '../../src-main/server/store/targets-repo.js';
import { UsersRepo } from '../../src-main/server/store/users-repo.js';
import type Database from 'better-sqlite3';

let dir: string;
let db: Database.Database;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cq-'));
  db = openDatabase(path.join(dir, 'quarantine.db'));
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('UsersRepo', () => {
  it('adds, finds case-insensitively, lists and removes users', () => {
    const users = new UsersRepo(db);
    users.add('Admin', '', 'scrypt$1');
    users.add('ops', 'CORP', 'scrypt$2');
    expect(users.get('admin')).toMatchObject({
      name: 'Admin',
      domain: '',
      passwordHash: 'scrypt$1',
    });
    expect(users.get('OPS', 'corp')?.passwordHash).toBe('scrypt$2');
    expect(users.get('ops')).toBeUndefined();
    expect(() => users.add('ADMIN', '', 'x')).toThrow(expect.objectContaining({ code: 'exists' }));
    expect(users.list().map((u) => `${u.domain}\\${u.name}`)).toEqual(['\\Admin', 'CORP\\ops']);
    expect(users.remove('admin')).toBe(true);
    expect(users.remove('admin')).toBe(false);
    expect(users.list()).toHaveLength(1);
  });
});

describe('LogRepo', () => {
  it('returns lines newest first, filtered by time, level and literal text', () => {
    const log = new LogRepo(db);
    const start = Date.now();
    log.append({ level: 'debug', source: 'scanner', message: 'scan 1' });
    log.append({ level: 'info', source: 'agent', message: 'submitted 50% of queue' });
    log.append({ level: 'warn', source: 'defcast', message: 'target pc1 slow', sampleId: 4 });
    log.append({ level: 'error', source: 'agent', message: 'gateway down' });
    expect(log.query().map((l) => l.message)).toEqual([
      'gateway down',
      'target pc1 slow',
      'submitted 50% of queue',
      'scan 1',
    ]);
    expect(log.query({ level: 'warn' }).map((l) => l.level)).toEqual(['error', 'warn']);
    expect(log.query({ text: '50%' }).map((l) => l.source)).toEqual(['agent']);
    expect(log.query({ text: '5_%' })).toEqual([]);
    expect(log.query({ text: 'AGENT' })).toHaveLength(2);
    expect(log.query({ limit: 1 })).toHaveLength(1);
    expect(log.query({ since: start })).toHaveLength(4);
    expect(log.query({ since: Date.now() + 60_000 })).toEqual([]);
    expect(log.query({ level: 'warn' })[1]?.sampleId).toBe(4);
  });

  it('keeps only the newest rows beyond its retention cap', () => {
    const log = new LogRepo(db, 5);
    for (let i = 1; i <= 12; i++) log.append({ level: 'info', source: 's', message: `m${i}` });
    expect(log.query().map((l) => l.message)).toEqual(['m12', 'm11', 'm10', 'm9', 'm8']);
  });
});

describe('SettingsRepo', () => {
  it('round-trips JSON values by key', () => {
    const settings = new SettingsRepo(db);
    expect(settings.get('general')).toBeUndefined();
    settings.set('general', { maxSizeMB: 500, name: 'Zoë' });
    settings.set('general', { maxSizeMB: 250 });
    settings.set('flag', false);
    expect(settings.get('general')).toEqual({ maxSizeMB: 250 });
    expect(settings.get<boolean>('flag')).toBe(false);
    expect(settings.keys()).toEqual(['flag', 'general']);
    expect(settings.remove('flag')).toBe(true);
    expect(() => settings.set('bad', undefined)).toThrow(TypeError);
    expect(settings.keys()).toEqual(['general']);
  });
});

describe('TargetsRepo sightings', () => {
  const sighting = {
    platformKey: 'GUID-1',
    host: 'ws-1.example.test',
    addresses: ['10.0.0.1'],
    guid: 'GUID-1',
    defcastPort: 8849,
    distributor: null,
    seenAt: 1_000_000,
  };

  it('writes a burst of identical sightings once, and any change or a stale last-seen at once', () => {
    const targets = new TargetsRepo(db);
    const changes = (): number =>
      (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
    const first = targets.recordSighting(sighting);
    expect(first).toMatchObject({ host: 'ws-1.example.test', lastSeen: 1_000_000 });
    const before = changes();
    // The same endpoint a few seconds later: nothing worth a write.
    expect(targets.recordSighting({ ...sighting, seenAt: 1_005_000 }).lastSeen).toBe(1_000_000);
    expect(changes()).toBe(before);
    // A new address is written at once.
    const moved = targets.recordSighting({
      ...sighting,
      addresses: ['10.0.0.2'],
      seenAt: 1_006_000,
    });
    expect(moved).toMatchObject({ addresses: ['10.0.0.2'], lastSeen: 1_006_000 });
    // Last seen more than 10 s ago is brought up to date.
    expect(
      targets.recordSighting({ ...sighting, addresses: ['10.0.0.2'], seenAt: 1_020_000 }).lastSeen,
    ).toBe(1_020_000);
    expect(targets.list()).toHaveLength(1);
  });
});
