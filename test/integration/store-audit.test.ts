import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditRepo, canonicalJson, GENESIS_HASH } from '../../src-main/server/store/audit-repo.js';
import { openStore, verifyAudit, type Store } from '../../src-main/server/store/index.js';

let dataDir: string;
let store: Store;

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cq-'));
  store = openStore({ dataDir });
});
afterEach(() => {
  if (store.db.open) store.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function appendFive(): void {
  for (let i = 1; i <= 5; i++) {
    store.audit.append({
      actor: 'admin',
      action: 'release',
      sampleId: i,
      from: 'held',
      to: 'released',
      reason: `reason ${i}`,
      detail: { n: i },
    });
  }
}

describe('AuditRepo', () => {
  it('chains rows from the genesis hash', () => {
    const first = store.audit.append({ actor: 'a', action: 'config', detail: { key: 'general' } });
    const second = store.audit.append({ actor: 'b', action: 'delete', sampleId: 3, from: 'held' });
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, detail: { key: 'general' } });
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(second).toMatchObject({
      seq: 2,
      prevHash: first.hash,
      sampleId: 3,
      from: 'held',
      to: null,
    });
    expect(store.audit.verify()).toEqual({ ok: true, rows: 2 });
    expect(store.audit.count()).toBe(2);
  });

  it('continues the chain in another process (cold head cache)', () => {
    appendFive();
    store.close();
    store = openStore({ dataDir });
    expect(store.audit.append({ actor: 'x', action: 'y' }).seq).toBe(6);
    expect(store.audit.verify()).toEqual({ ok: true, rows: 6 });
  });

  it('stores details canonically, whatever their key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"y":0,"z":1}]},"b":1}',
    );
    const a = store.audit.append({ actor: 'a', action: 'x', detail: { b: 1, a: 2 } });
    expect(store.db.prepare('SELECT detail FROM audit WHERE seq = ?').get(a.seq)).toEqual({
      detail: '{"a":2,"b":1}',
    });
  });

  it.each([
    [
      "a row's reason edited",
      "UPDATE audit SET reason = 'nothing to see' WHERE seq = 3",
      3,
      /content/,
    ],
    ["a row's actor edited", "UPDATE audit SET actor = 'eve' WHERE seq = 4", 4, /content/],
    ['a middle row deleted', 'DELETE FROM audit WHERE seq = 3', 4, /row 3 is missing/],
    ['the first row deleted', 'DELETE FROM audit WHERE seq = 1', 2, /row 1 is missing/],
    [
      'a middle row deleted and the rest renumbered',
      'DELETE FROM audit WHERE seq = 3; UPDATE audit SET seq = seq - 1 WHERE seq > 3',
      3,
      /previous hash/,
    ],
    [
      'two rows swapped hashes',
      `UPDATE audit SET hash = CASE seq WHEN 2 THEN (SELECT hash FROM audit WHERE seq = 3)
                                      ELSE (SELECT hash FROM audit WHERE seq = 2) END
       WHERE seq IN (2, 3)`,
      2,
      /content/,
    ],
    [
      'a forged row whose prev hash points past its predecessor',
      'UPDATE audit SET prev_hash = (SELECT hash FROM audit WHERE seq = 1) WHERE seq = 4',
      4,
      /previous hash/,
    ],
  ])('verify finds %s', (_label, sql, brokenAt, reason) => {
    appendFive();
    expect(store.audit.verify().ok).toBe(true);
    store.db.exec(sql);
    const result = new AuditRepo(store.db).verify();
    expect(result.ok).toBe(false);
    expect(result.brokenAt).toBe(brokenAt);
    expect(result.reason).toMatch(reason);
  });

  it('verifyAudit reads a closed store without changing it', () => {
    appendFive();
    store.close();
    expect(verifyAudit(dataDir)).toEqual({ ok: true, rows: 5 });
    store = openStore({ dataDir });
    store.db.exec("UPDATE audit SET to_status = 'installed' WHERE seq = 2");
    store.close();
    expect(verifyAudit(dataDir)).toMatchObject({ ok: false, brokenAt: 2 });
  });

  it('verifyAudit refuses a folder without a database', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'cq-'));
    try {
      expect(() => verifyAudit(empty)).toThrow(expect.objectContaining({ code: 'not-found' }));
      expect(fs.readdirSync(empty)).toEqual([]);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
