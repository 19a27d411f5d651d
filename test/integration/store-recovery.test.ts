import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setLogSink, type LogSink } from '../../src-main/log/logger.js';
import { openStore, type Store } from '../../src-main/server/store/index.js';

let dataDir: string;
let previousSink: LogSink;
beforeAll(() => {
  // Recovery reports what it finds at warn/error level; keep test output clean.
  previousSink = setLogSink(() => undefined);
});
afterAll(() => {
  setLogSink(previousSink);
});
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cq-'));
});
afterEach(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const sha = (n: number): string => n.toString(16).padStart(64, '0');

function writeBlobFile(store: Store, hash: string, bytes = 8): void {
  const file = store.blobs.pathFor(hash);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.alloc(bytes, 1));
}

function addSample(store: Store, hash: string, withFile: boolean): number {
  if (withFile) writeBlobFile(store, hash);
  store.blobsRepo.addRef(hash, 8, 8);
  return store.samples.insert({
    blobSha256: hash,
    attributes: { 'X-Sample-Checksum': 'B'.repeat(32), 'X-Sample-Size': '8' },
    platformKey: 'p',
    receivedAt: Date.now(),
    skewMs: 0,
    actor: 'intake',
  });
}

describe('recover', () => {
  it('on a clean store does nothing', () => {
    const store = openStore({ dataDir });
    addSample(store, sha(1), true);
    store.close();
    const again = openStore({ dataDir });
    expect(again.recovery).toEqual({
      tempsRemoved: 0,
      orphanBlobsRemoved: 0,
      unreferencedRemoved: 0,
      refsRepaired: 0,
      lostSamples: 0,
    });
    expect(again.blobs.listBlobFiles()).toEqual([sha(1)]);
    again.close();
  });

  it('removes temp files and blob files without a row', async () => {
    const store = openStore({ dataDir });
    const kept = sha(1);
    addSample(store, kept, true);
    writeBlobFile(store, sha(2));
    // An intake cut off mid-body: its temp file is still open and unfinished.
    const temp = await store.blobs.createTemp();
    await temp.write(Buffer.from('half an intake'));
    fs.writeFileSync(path.join(store.blobs.tmpDir, 'stray.tmp'), 'x');
    expect(store.blobs.listTempFiles()).toHaveLength(2);
    store.close();

    const reopened = openStore({ dataDir });
    try {
      expect(reopened.recovery).toMatchObject({ tempsRemoved: 2, orphanBlobsRemoved: 1 });
      expect(reopened.blobs.listTempFiles()).toEqual([]);
      expect(reopened.blobs.listBlobFiles()).toEqual([kept]);
    } finally {
      reopened.close();
      await temp.abort();
    }
  });

  it('flags each sample of a missing blob as lost, once', () => {
    const store = openStore({ dataDir });
    const a = addSample(store, sha(3), false);
    const b = addSample(store, sha(3), false);
    const fine = addSample(store, sha(4), true);
    store.close();

    const first = openStore({ dataDir });
    try {
      expect(first.recovery.lostSamples).toBe(2);
      for (const id of [a, b]) {
        expect(first.errors.forSample(id)).toMatchObject([
          { code: 'lost', params: [sha(3)], source: 'recovery' },
        ]);
        expect(first.samples.get(id)?.errorCount).toBe(1);
      }
      expect(first.errors.forSample(fine)).toEqual([]);
      expect(
        first.log
          .query({ level: 'error' })
          .map((l) => l.sampleId)
          .sort(),
      ).toEqual([a, b]);
      // The sample and its row are kept: nothing acknowledged silently disappears.
      expect(first.blobsRepo.get(sha(3))?.refs).toBe(2);
    } finally {
      first.close();
    }

    const second = openStore({ dataDir });
    try {
      expect(second.recovery.lostSamples).toBe(0);
      expect(second.errors.forSample(a)).toHaveLength(1);
      expect(second.log.query({ level: 'error' })).toHaveLength(2);
    } finally {
      second.close();
    }
  });

  it('repairs reference counts and removes rows no sample uses, with their files', () => {
    const store = openStore({ dataDir });
    const used = sha(5);
    addSample(store, used, true);
    writeBlobFile(store, sha(6));
    store.blobsRepo.addRef(sha(6), 8, 8);
    // Simulate drift: a count that disagrees with the samples table.
    store.db.prepare('UPDATE blobs SET refs = 7 WHERE sha256 = ?').run(used);
    store.close();

    const reopened = openStore({ dataDir });
    try {
      expect(reopened.recovery).toMatchObject({ unreferencedRemoved: 1, refsRepaired: 2 });
      expect(reopened.blobsRepo.all().map((b) => [b.sha256, b.refs])).toEqual([[used, 1]]);
      expect(reopened.blobs.listBlobFiles()).toEqual([used]);
    } finally {
      reopened.close();
    }
  });
});
