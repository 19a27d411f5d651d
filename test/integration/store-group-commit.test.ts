import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src-main/server/store/database.js';
import { AuditRepo } from '../../src-main/server/store/audit-repo.js';
import {
  createBatchRunner,
  GroupCommitter,
  type WriteGate,
} from '../../src-main/server/store/group-commit.js';
import { openStore, type Store } from '../../src-main/server/store/index.js';
import { setLogSink, type LogRecord } from '../../src-main/log/logger.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cq-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const sha = (n: number): string => n.toString(16).padStart(64, '0');

/** A real intake's shape: blob file installed, then its rows committed. */
async function intake(store: Store, n: number): Promise<number> {
  const temp = await store.blobs.createTemp();
  await temp.write(Buffer.from(`content ${n}`));
  const { storedSize } = await temp.finish();
  await store.blobs.install(temp, sha(n));
  return store.committer.commit(() => {
    store.blobsRepo.addRef(sha(n), storedSize, storedSize);
    return store.samples.insert({
      blobSha256: sha(n),
      attributes: { 'X-Sample-Checksum': 'A'.repeat(32), 'X-Sample-Size': String(storedSize) },
      platformKey: `p${n}`,
      receivedAt: Date.now(),
      skewMs: 0,
      actor: 'intake',
    });
  });
}

describe('GroupCommitter', () => {
  it('commits 100 concurrent intakes in far fewer batches, durably', async () => {
    const dataDir = tempDir();
    const store = openStore({ dataDir });
    const ids = await Promise.all(Array.from({ length: 100 }, (_, i) => intake(store, i + 1)));
    expect(new Set(ids).size).toBe(100);
    const { batches, jobs } = store.committer.stats;
    expect(jobs).toBe(100);
    expect(batches).toBeGreaterThan(0);
    expect(batches).toBeLessThanOrEqual(20);
    await store.committer.close();
    store.close();

    const reopened = openStore({ dataDir });
    try {
      expect(reopened.recovery).toMatchObject({ orphanBlobsRemoved: 0, lostSamples: 0 });
      expect(reopened.samples.list({ limit: 1000 }).total).toBe(100);
      expect(reopened.blobs.listBlobFiles()).toHaveLength(100);
      expect(reopened.audit.verify()).toEqual({ ok: true, rows: 100 });
    } finally {
      reopened.close();
    }
  });

  it('rejects only the job that throws and rolls back only its writes', async () => {
    const db = openDatabase(path.join(tempDir(), 'q.db'));
    const audit = new AuditRepo(db);
    let syncs = 0;
    const committer = new GroupCommitter(db, { syncDirs: () => Promise.resolve(void syncs++) });
    const insert = db.prepare("INSERT INTO settings (key, value, updated_at) VALUES (?, '1', 0)");
    const results = await Promise.allSettled([
      committer.commit(() => insert.run('a').changes),
      committer.commit(() => {
        insert.run('b');
        audit.append({ actor: 't', action: 'doomed' });
        throw new Error('job failed');
      }),
      committer.commit(() => {
        audit.append({ actor: 't', action: 'kept' });
        return insert.run('c').changes;
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toEqual(new Error('job failed'));
    expect(db.prepare('SELECT key FROM settings ORDER BY key').all()).toEqual([
      { key: 'a' },
      { key: 'c' },
    ]);
    expect(committer.stats).toMatchObject({ batches: 1, jobs: 3, failedJobs: 1 });
    expect(syncs).toBe(1);
    // The rolled-back audit row must not leave the chain pointing at a row that never was.
    audit.append({ actor: 't', action: 'after' });
    expect(audit.verify()).toEqual({ ok: true, rows: 2 });
    db.close();
  });

  it('nested work that throws rolls back only its own writes; the job still commits', async () => {
    const db = openDatabase(path.join(tempDir(), 'q.db'));
    const audit = new AuditRepo(db);
    const committer = new GroupCommitter(db, { syncDirs: () => Promise.resolve() });
    const insert = db.prepare("INSERT INTO settings (key, value, updated_at) VALUES (?, '1', 0)");
    const caught = await committer.commit(() => {
      insert.run('outer');
      audit.append({ actor: 't', action: 'outer' });
      try {
        committer.nested(() => {
          insert.run('inner');
          audit.append({ actor: 't', action: 'inner' });
          throw new Error('announcing failed');
        });
      } catch (error) {
        return (error as Error).message;
      }
      return 'nothing thrown';
    });
    expect(caught).toBe('announcing failed');
    expect(db.prepare('SELECT key FROM settings ORDER BY key').all()).toEqual([{ key: 'outer' }]);
    // The chain holds the outer row only, and a later row links to it.
    audit.append({ actor: 't', action: 'after' });
    expect(audit.verify()).toEqual({ ok: true, rows: 2 });
    db.close();
  });

  it('fails the whole batch when the directory fsync fails, committing nothing', async () => {
    const db = openDatabase(path.join(tempDir(), 'q.db'));
    let fail = true;
    const committer = new GroupCommitter(db, {
      syncDirs: () => (fail ? Promise.reject(new Error('EIO')) : Promise.resolve()),
    });
    const insert = db.prepare("INSERT INTO settings (key, value, updated_at) VALUES (?, '1', 0)");
    const logged: LogRecord[] = [];
    const previous = setLogSink((r) => logged.push(r));
    const results = await Promise.allSettled([
      committer.commit(() => insert.run('x')),
      committer.commit(() => insert.run('y')),
    ]).finally(() => setLogSink(previous));
    expect(logged).toMatchObject([
      { level: 'error', scope: 'store', message: 'group commit failed' },
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(db.prepare('SELECT count(*) AS n FROM settings').get()).toEqual({ n: 0 });
    fail = false;
    await committer.commit(() => insert.run('z'));
    expect(db.prepare('SELECT key FROM settings').all()).toEqual([{ key: 'z' }]);
    db.close();
  });

  it('puts jobs that arrive during a flush into the next batch', async () => {
    const db = openDatabase(path.join(tempDir(), 'q.db'));
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const committer = new GroupCommitter(db, {
      syncDirs: () => (calls++ === 0 ? gate : Promise.resolve()),
    });
    const order: string[] = [];
    const first = committer.commit(() => order.push('first'));
    await new Promise((resolve) => setImmediate(resolve));
    // The first batch is now waiting on its fsync; this one must not join it.
    const second = committer.commit(() => order.push('second'));
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
    expect(committer.stats).toMatchObject({ batches: 2, jobs: 2 });
    await committer.close();
    await expect(committer.commit(() => 1)).rejects.toMatchObject({ code: 'closed' });
    db.close();
  });

  it('holds the write gate around each batch and loses no job queued while waiting for it', async () => {
    const store = openStore({ dataDir: tempDir() });
    let open: (() => void) | undefined;
    let held = 0;
    const gate: WriteGate = {
      acquire: () =>
        new Promise((resolve) => {
          open = () => {
            held++;
            resolve(() => held--);
          };
        }),
    };
    const waitForAcquire = async (): Promise<() => void> => {
      for (let i = 0; i < 1000 && open === undefined; i++) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      const opening = open;
      open = undefined;
      if (!opening) throw new Error('the committer never asked for the gate');
      return opening;
    };
    store.committer.useGate(gate);
    const first = store.committer.commit(() => held);
    const openFirst = await waitForAcquire();
    // Queued while the committer waits for the gate: it must get a batch of its own.
    const second = store.committer.commit(() => held);
    openFirst();
    (await waitForAcquire())();
    // Each job ran while the gate was held, and the gate was released after each batch.
    expect([await first, await second]).toEqual([1, 1]);
    expect(held).toBe(0);
    store.committer.useGate(undefined);
    await store.committer.close();
    store.close();
  });

  it('fails a whole batch, leaving nothing, when a job makes SQLite roll back the transaction', () => {
    const db = openDatabase(path.join(tempDir(), 'batch.db'));
    db.exec(`
      CREATE TABLE t (v TEXT);
      CREATE TRIGGER t_boom BEFORE INSERT ON t WHEN NEW.v = 'boom'
        BEGIN SELECT RAISE(ROLLBACK, 'the whole transaction is gone'); END;
    `);
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const { runBatch } = createBatchRunner(db);
    // An ordinary failure stays with its job.
    const outcomes = runBatch([
      () => insert.run('a'),
      (): unknown => JSON.parse('{') as unknown,
      () => insert.run('b'),
    ]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
    // A rollback of the whole transaction fails the batch: no job after it runs on its own.
    expect(() =>
      runBatch([() => insert.run('c'), () => insert.run('boom'), () => insert.run('d')]),
    ).toThrow(/the whole transaction is gone/);
    expect(db.inTransaction).toBe(false);
    expect(db.prepare('SELECT v FROM t ORDER BY rowid').pluck().all()).toEqual(['a', 'b']);
    db.close();
  });
});
