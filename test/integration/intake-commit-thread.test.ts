import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  EventLoopCommitter,
  IntakeCommitThread,
  type CommitThreadOptions,
} from '../../src-main/server/intake/commit-thread.js';
import type { IntakeJob } from '../../src-main/server/intake/intake-commit.js';
import { FALLBACK_AUTOCHECKPOINT_PAGES } from '../../src-main/server/store/checkpointer.js';
import { openStore, StoreError, type Store } from '../../src-main/server/store/index.js';
import { TargetsRepo } from '../../src-main/server/store/targets-repo.js';
import { tempDir } from '../helpers/temp.js';

const stores: Store[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

function open(): { store: Store; dataDir: string } {
  const dataDir = tempDir('cq-ct-');
  const store = openStore({ dataDir });
  stores.push(store);
  return { store, dataDir };
}

function thread(store: Store, extra: Partial<CommitThreadOptions> = {}): IntakeCommitThread {
  return new IntakeCommitThread({
    file: store.db.name,
    dirs: store.blobs,
    fallback: new EventLoopCommitter(store),
    autocheckpointPages: FALLBACK_AUTOCHECKPOINT_PAGES,
    ...extra,
  });
}

/** A received sample's blob, installed as intake installs it, and its job. */
async function job(store: Store, n: number, host = `host-${n % 4}`): Promise<IntakeJob> {
  const content = Buffer.from(`sample content ${n}`);
  const sha256 = createHash('sha256').update(content).digest('hex');
  const md5 = createHash('md5').update(content).digest('hex').toUpperCase();
  await store.blobs.storeWhole([content], sha256);
  return {
    sha256,
    size: content.length,
    storedSize: content.length,
    checksum: md5,
    platformKey: host,
    attributes: {
      'X-Sample-Checksum': md5,
      'X-Sample-Size': String(content.length),
      'X-Sample-File': `C:\\in\\s${n}.exe`,
      'X-Platform-Host': host,
      'X-Platform-GUID': `{00000000-0000-0000-0000-00000000000${n % 4}}`,
      'X-Platform-Address': `10.0.0.${n % 4}`,
    },
    skewMs: 0,
    receivedAt: Date.now(),
  };
}

describe('IntakeCommitThread', () => {
  it('commits concurrent jobs on its own connection, in shared batches, durably', async () => {
    const { store, dataDir } = open();
    const commits = thread(store);
    const jobs = await Promise.all(Array.from({ length: 60 }, (_, i) => job(store, i)));
    const done = await Promise.all(jobs.map((j) => commits.commit(j)));
    await commits.close();

    expect(new Set(done.map((d) => d.result.id)).size).toBe(60);
    expect(
      done.every((d) => !d.result.duplicate && d.added && d.acceptanceError === undefined),
    ).toBe(true);
    expect(done[7]!.row).toMatchObject({
      fileName: 's7.exe',
      host: 'host-3',
      status: 'quarantined',
    });
    expect(done[7]!.logged).toBe(`quarantined s7.exe from host-3 as sample ${done[7]!.result.id}`);
    expect(done[7]!.target).toMatchObject({ host: 'host-3', managed: true });
    const stats = commits.threadStats;
    expect(stats).toMatchObject({
      mode: 'thread',
      jobs: 60,
      failedJobs: 0,
      onEventLoop: 0,
      threadsStarted: 1,
    });
    expect(stats.batches).toBeLessThan(60);

    // Everything is on disk and consistent when read back through a new connection.
    store.close();
    stores.splice(stores.indexOf(store), 1);
    const reopened = openStore({ dataDir });
    stores.push(reopened);
    expect(reopened.recovery).toMatchObject({ orphanBlobsRemoved: 0, lostSamples: 0 });
    expect(reopened.samples.list({ limit: 100 }).total).toBe(60);
    expect(reopened.audit.verify()).toEqual({ ok: true, rows: 60 });
    expect(reopened.log.query({ text: 'quarantined' })).toHaveLength(60);
    expect(new TargetsRepo(reopened.db).list().map((t) => t.host)).toEqual([
      'host-0',
      'host-1',
      'host-2',
      'host-3',
    ]);
  });

  it('makes one sample of two identical forwards committed at once', async () => {
    const { store } = open();
    const commits = thread(store);
    const same = await job(store, 1);
    const [a, b] = await Promise.all([commits.commit(same), commits.commit(same)]);
    await commits.close();
    expect(a.result.id).toBe(b.result.id);
    expect([a.result.duplicate, b.result.duplicate].sort()).toEqual([false, true]);
    const duplicate = a.result.duplicate ? a : b;
    expect(duplicate).toMatchObject({ added: false, result: { changes: 2 } });
    expect(duplicate.logged).toBe(`duplicate forward of sample ${a.result.id} from host-1`);
    expect(store.blobsRepo.get(same.sha256)?.refs).toBe(1);
  });

  it('fails a job that cannot be written alone; the rest of its batch commits', async () => {
    const { store } = open();
    const commits = thread(store);
    const good = await Promise.all([job(store, 1), job(store, 2)]);
    const bad = { ...(await job(store, 3)), attributes: { 'X-Platform-Host': 'host-3' } };
    const outcomes = await Promise.allSettled([
      commits.commit(good[0]),
      commits.commit(bad),
      commits.commit(good[1]),
    ]);
    await commits.close();
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    // Refused by the store on the thread, and the same error on the event loop.
    const reason: unknown = (outcomes[1] as PromiseRejectedResult).reason;
    expect(reason).toBeInstanceOf(StoreError);
    expect(reason).toMatchObject({ code: 'invalid-sample', message: /X-Sample-Checksum/ });
    expect(store.samples.list().total).toBe(2);
    expect(store.blobsRepo.get(bad.sha256)).toBeUndefined();
    expect(commits.threadStats.failedJobs).toBe(1);
  });

  it('keeps the audit chain whole while the event loop writes at the same time', async () => {
    const { store } = open();
    const commits = thread(store);
    const jobs = await Promise.all(Array.from({ length: 40 }, (_, i) => job(store, i)));
    const pending = jobs.map((j) => commits.commit(j));
    // The event loop's connection appends to the same chain while the thread commits.
    for (let i = 0; i < 40; i++) {
      store.audit.append({ actor: 'admin', action: 'config', detail: { i } });
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(pending);
    await commits.close();
    expect(store.audit.verify()).toEqual({ ok: true, rows: 80 });
  });

  it('starts no batch while the event loop holds it, so that connection finds the lock free', async () => {
    const { store } = open();
    const commits = thread(store);
    // The thread is up and has committed once.
    await commits.commit(await job(store, 1));
    const release = await commits.acquire();
    let resolved = 0;
    const pending = [await job(store, 2), await job(store, 3)].map((j) =>
      commits.commit(j).then((d) => {
        resolved++;
        return d;
      }),
    );
    // Wait until the batch has gone to the thread, then for an answer to a second hold: the
    // thread answers messages in order, so it has the batch and has not started it. A write
    // lock taken without any waiting (busy_timeout 0) proves that it holds none.
    while (commits.threadStats.batches < 2) await new Promise((resolve) => setImmediate(resolve));
    (await commits.acquire())();
    store.db.pragma('busy_timeout = 0');
    store.db.exec('BEGIN IMMEDIATE');
    store.db.exec('ROLLBACK');
    store.db.pragma('busy_timeout = 5000');
    expect(resolved).toBe(0);
    release();
    expect((await Promise.all(pending)).map((d) => d.result.duplicate)).toEqual([false, false]);
    await commits.close();
    expect(store.samples.list().total).toBe(3);
  });

  it('gates the event loop’s group commits while both write', async () => {
    const { store } = open();
    const commits = thread(store);
    store.committer.useGate(commits);
    // No waiting for the lock on the event loop's connection: were a batch of its own to run
    // while the thread holds the lock, it would fail at once.
    store.db.pragma('busy_timeout = 0');
    const jobs = await Promise.all(Array.from({ length: 30 }, (_, i) => job(store, i)));
    const mixed = jobs.flatMap((j, i) => [
      commits.commit(j),
      store.committer.commit(() =>
        store.audit.append({ actor: 'scanner', action: 'x', detail: { i } }),
      ),
    ]);
    await Promise.all(mixed);
    store.db.pragma('busy_timeout = 5000');
    store.committer.useGate(undefined);
    await commits.close();
    expect(store.audit.verify()).toEqual({ ok: true, rows: 60 });
    expect(store.samples.list().total).toBe(30);
  });

  it('waits out the other writer holding the lock for longer than one busy timeout', async () => {
    const { store } = open();
    const commits = thread(store, { busyTimeoutMs: 100 });
    await commits.commit(await job(store, 1));
    const second = await job(store, 2);
    store.db.exec('BEGIN IMMEDIATE');
    const batches = commits.threadStats.batches;
    const done = commits.commit(second);
    // Once the batch is on its way to the thread: longer than one attempt waits for the lock,
    // much shorter than all attempts together.
    while (commits.threadStats.batches === batches) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
    store.db.exec('COMMIT');
    expect((await done).result.duplicate).toBe(false);
    await commits.close();
    expect(commits.threadStats.failedJobs).toBe(0);
    // The first attempt found the lock held: the batch was begun again.
    expect(commits.threadStats.busyRetries).toBeGreaterThan(0);
    expect(store.samples.list().total).toBe(2);
  });

  it('commits on the event loop when the thread script is missing', async () => {
    const { store } = open();
    const told: string[] = [];
    const commits = thread(store, {
      script: path.join(os.tmpdir(), 'no-such-commit-worker.js'),
      onFallback: (message) => told.push(message),
    });
    const done = await Promise.all([
      commits.commit(await job(store, 1)),
      commits.commit(await job(store, 2)),
    ]);
    await commits.close();
    expect(done.map((d) => d.result.duplicate)).toEqual([false, false]);
    expect(commits.threadStats).toMatchObject({
      mode: 'event-loop',
      onEventLoop: 2,
      threadsStarted: 0,
    });
    expect(told).toEqual([expect.stringMatching(/script .*no-such-commit-worker\.js is missing/)]);
    expect(store.samples.list().total).toBe(2);
  });

  it('commits on the event loop when the thread cannot open the database', async () => {
    const { store, dataDir } = open();
    // A folder where the database file should be: the thread's open fails.
    const told: string[] = [];
    const commits = thread(store, { file: dataDir, onFallback: (message) => told.push(message) });
    const done = await Promise.all([
      commits.commit(await job(store, 1)),
      commits.commit(await job(store, 2)),
    ]);
    await commits.close();
    expect(new Set(done.map((d) => d.result.id)).size).toBe(2);
    expect(commits.threadStats).toMatchObject({
      mode: 'event-loop',
      onEventLoop: 2,
      failedJobs: 0,
    });
    // Said once, however many jobs went to the event loop.
    expect(told).toEqual([expect.stringMatching(/cannot open the database/)]);
    expect(store.samples.list().total).toBe(2);
  });

  it('waits for jobs handed in when closing, then refuses new ones', async () => {
    const { store } = open();
    const commits = thread(store);
    const jobs = await Promise.all(Array.from({ length: 20 }, (_, i) => job(store, i)));
    let settled = 0;
    const count = (): void => {
      settled++;
    };
    for (const p of jobs.map((j) => commits.commit(j))) p.then(count, count);
    await commits.close();
    // Every job handed in before close had settled when close resolved.
    expect(settled).toBe(20);
    expect(store.samples.list().total).toBe(20);
    await expect(commits.commit(await job(store, 99))).rejects.toBeInstanceOf(StoreError);
  });
});
