/**
 * The gateway's repositories on a real SQLite file: the runner's due queue (platinum first),
 * which analysis answers a duplicate, guarded transitions, the builder lock, set queries, and
 * start-up recovery of blobs a crash left behind.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NewAnalysis } from '../../src-main/gateway/store/analyses-repo.js';
import {
  openGatewayStore,
  recoverGatewayStore,
  type GatewayStore,
} from '../../src-main/gateway/store/gateway-store.js';
import { tempDir } from '../helpers/temp.js';

function fresh(): GatewayStore {
  return openGatewayStore(tempDir('cq-gw-store-'));
}

const base: NewAnalysis = {
  md5: 'A'.repeat(32),
  sha256: 'b'.repeat(64),
  size: 10,
  service: null,
  priority: 0,
  state: 'accepted',
  nextAt: 1000,
  hints: {},
  createdAt: 0,
};

describe('analyses', () => {
  it('the due queue serves platinum first, then the earliest, and skips waiting or future ones', () => {
    const store = fresh();
    const gold = store.analyses.insert({ ...base, nextAt: 100 });
    const platinum = store.analyses.insert({
      ...base,
      sha256: 'c'.repeat(64),
      priority: 1,
      nextAt: 500,
    });
    store.analyses.insert({ ...base, sha256: 'd'.repeat(64), nextAt: 5000 });
    expect(store.analyses.nextDue(1000)?.id).toBe(platinum);
    store.analyses.transition(platinum, 'accepted', { state: 'deferred', nextAt: null });
    expect(store.analyses.nextDue(1000)?.id).toBe(gold);
    expect(store.analyses.earliestDue()).toBe(100);
    store.analyses.transition(gold, 'accepted', {
      state: 'uninfected',
      nextAt: null,
      finishedAt: 1,
    });
    expect(store.analyses.nextDue(1000)).toBeUndefined();
    expect(store.analyses.earliestDue()).toBe(5000);
    // Deferred analyses wait for an expert, not for the runner, so they are no backlog.
    expect(store.analyses.backlog()).toBe(1);
    store.close();
  });

  it('a transition applies only from the state it was computed for', () => {
    const store = fresh();
    const id = store.analyses.insert(base);
    expect(store.analyses.transition(id, 'importing', { state: 'imported', nextAt: 1 })).toBe(
      false,
    );
    expect(
      store.analyses.transition(id, 'accepted', { state: 'importing', nextAt: 1, detail: 'x' }),
    ).toBe(true);
    expect(store.analyses.get(id)).toMatchObject({ state: 'importing', nextAt: 1, detail: 'x' });
    store.analyses.transition(id, 'importing', {
      state: 'uninfected',
      nextAt: null,
      finishedAt: 2,
    });
    // Final is final.
    expect(store.analyses.transition(id, 'uninfected', { state: 'infected', nextAt: null })).toBe(
      false,
    );
    store.close();
  });

  it.each([
    ['a full analysis answers a full request', null, false, 'uninfected', true],
    ['a full analysis answers a quickcheck request', null, true, 'uninfected', true],
    [
      'a quickcheck analysis does not answer a full request',
      'quickcheck',
      false,
      'nodetect',
      false,
    ],
    ['a quickcheck analysis answers a quickcheck request', 'quickcheck', true, 'nodetect', true],
    ['an analysis in progress is joined', null, false, null, true],
    ['a broken analysis is not reused', null, false, 'broken', false],
    ['an errored analysis is not reused', null, false, 'error', false],
  ] as const)('%s', (_label, service, quickcheck, finalState, reused) => {
    const store = fresh();
    const id = store.analyses.insert({ ...base, service });
    if (finalState !== null) {
      store.analyses.transition(id, 'accepted', { state: finalState, nextAt: null, finishedAt: 5 });
    }
    expect(store.analyses.findDuplicate(base.md5, base.sha256, quickcheck)?.id).toBe(
      reused ? id : undefined,
    );
    // MD5 alone never decides that two contents are the same.
    expect(store.analyses.findDuplicate(base.md5, 'e'.repeat(64), quickcheck)).toBeUndefined();
    store.close();
  });
});

describe('sets and the builder lock', () => {
  it('one analysis at a time holds the builder', () => {
    const store = fresh();
    expect(store.sets.lock(1, 0)).toBe(true);
    expect(store.sets.lock(1, 0)).toBe(true);
    expect(store.sets.lock(2, 0)).toBe(false);
    store.sets.unlock(2);
    expect(store.sets.lockHolder()).toBe(1);
    store.sets.unlock(1);
    expect(store.sets.lock(2, 0)).toBe(true);
    store.close();
  });

  it('newest, newest certified and the set due for blessing', () => {
    const store = fresh();
    store.sets.insertBase({
      sequence: 1,
      version: '2024.01.01.001',
      producedAt: 0,
      publishedAt: 0,
      blessedAt: 0,
      md5: 'a'.repeat(32),
    });
    const incr = (sequence: number) => ({
      sequence,
      version: '2024.01.02.001',
      kind: 'incr' as const,
      base: sequence - 1,
      state: 'building' as const,
      certified: false,
      producedAt: 10,
      analysisId: null,
    });
    store.sets.insert(incr(2));
    expect(store.sets.newest()?.sequence).toBe(1);
    store.sets.publish(2, {
      packageMd5: 'b'.repeat(32),
      packageKind: 'incr',
      fullMd5: 'c'.repeat(32),
      publishedAt: 100,
    });
    store.sets.insert(incr(3));
    store.sets.fail(3, 'abandoned', 'unit test failed');
    expect(store.sets.maxSequence()).toBe(3);
    expect(store.sets.newest()?.sequence).toBe(2);
    expect(store.sets.newestCertified()?.sequence).toBe(1);
    expect(store.sets.dueForBlessing(99)).toBeUndefined();
    expect(store.sets.dueForBlessing(100)?.sequence).toBe(2);
    expect(store.sets.bless(2, 200, 'd'.repeat(32))).toBe(true);
    expect(store.sets.get(2)).toMatchObject({
      certified: true,
      blessedAt: 200,
      packageKind: 'all',
      packageMd5: 'd'.repeat(32),
    });
    expect(store.sets.dueForBlessing(1000)).toBeUndefined();
    expect(store.sets.bless(3, 300, 'e'.repeat(32))).toBe(false);
    expect(store.sets.producedBetween(10, 11)).toBe(2);
    store.sets.addSignatures(2, ['X', 'Y']);
    store.sets.addSignatures(4, ['X']);
    expect(store.sets.introducedIn('X')).toBe(2);
    store.close();
  });
});

describe('recovery', () => {
  it('removes temp files and blobs without an analysis, keeps the rest', async () => {
    const store = fresh();
    const kept = 'a'.repeat(64);
    const orphan = 'f'.repeat(64);
    for (const sha of [kept, orphan]) {
      const temp = await store.blobs.createTemp();
      await temp.write(Buffer.from(sha));
      await temp.finish();
      await store.blobs.install(temp, sha);
    }
    store.analyses.insert({ ...base, sha256: kept });
    const leftover = await store.blobs.createTemp();
    await leftover.write(Buffer.from('half'));
    expect(recoverGatewayStore(store)).toEqual({ temps: 1, orphans: 1 });
    expect(store.blobs.listBlobFiles()).toEqual([kept]);
    expect(fs.readdirSync(store.blobs.tmpDir)).toEqual([]);
    expect(fs.existsSync(path.join(store.dataDir, 'gateway.db'))).toBe(true);
    store.close();
  });
});
