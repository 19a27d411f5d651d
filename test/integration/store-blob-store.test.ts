import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inflateRawSync, deflateRawSync } from 'node:zlib';
import { text } from 'node:stream/consumers';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { xorVampish } from '../../src-shared/codec/transforms.js';
import { BlobStore, type TempBlob } from '../../src-main/server/store/blob-store.js';

let dir: string;
let blobs: BlobStore;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cq-'));
  blobs = new BlobStore(path.join(dir, 'quarantine'));
});
afterEach(async () => {
  await blobs.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const SHA_A = 'a1'.repeat(32);
const SHA_B = 'b2'.repeat(32);

async function finishedTemp(content: string | Buffer): Promise<TempBlob> {
  const temp = await blobs.createTemp();
  await temp.write(Buffer.from(content));
  await temp.finish();
  return temp;
}

describe('BlobStore', () => {
  it('writes through tmp/ and installs under blobs/<sha256>', async () => {
    const temp = await blobs.createTemp();
    expect(path.dirname(temp.path)).toBe(path.join(dir, 'quarantine', 'tmp'));
    await temp.write(Buffer.from('hello '));
    await temp.write(Buffer.from('world'));
    expect(await temp.finish()).toEqual({ storedSize: 11 });
    expect(await blobs.install(temp, SHA_A)).toEqual({ existed: false });
    const file = path.join(dir, 'quarantine', 'blobs', SHA_A);
    expect(blobs.pathFor(SHA_A)).toBe(file);
    expect(fs.readFileSync(file, 'utf8')).toBe('hello world');
    expect(fs.existsSync(temp.path)).toBe(false);
    expect(await blobs.exists(SHA_A)).toBe(true);
    expect(await text(blobs.openStored(SHA_A))).toBe('hello world');
    expect(blobs.listBlobFiles()).toEqual([SHA_A]);
    expect(blobs.listTempFiles()).toEqual([]);
    await blobs.syncDirs();
    await temp.abort();
    expect(fs.existsSync(file)).toBe(true);
  });

  it('keeps the stored form (deflate + xor-vampish) byte for byte', async () => {
    const plain = Buffer.from('MZ\x90\x00 a runnable-looking header');
    const stored = Buffer.from(xorVampish(deflateRawSync(plain), 0));
    await blobs.install(await finishedTemp(stored), SHA_A);
    const back = await buffer(blobs.openStored(SHA_A));
    expect(back.subarray(0, 2).toString('latin1')).not.toBe('MZ');
    expect(inflateRawSync(Buffer.from(xorVampish(back, 0)))).toEqual(plain);
  });

  it('drops the temp file when the content is already stored', async () => {
    await blobs.install(await finishedTemp('one'), SHA_A);
    const second = await finishedTemp('one');
    expect(await blobs.install(second, SHA_A)).toEqual({ existed: true });
    expect(fs.existsSync(second.path)).toBe(false);
    expect(blobs.listTempFiles()).toEqual([]);
  });

  it('refuses to install an unfinished temp or under a bad hash', async () => {
    const temp = await blobs.createTemp();
    await expect(blobs.install(temp, SHA_A)).rejects.toMatchObject({ code: 'invalid-blob' });
    await temp.finish();
    await expect(blobs.install(temp, '../../etc/passwd')).rejects.toMatchObject({
      code: 'invalid-blob',
    });
    await expect(blobs.install(temp, SHA_A.toUpperCase())).rejects.toMatchObject({
      code: 'invalid-blob',
    });
    await temp.abort();
    expect(blobs.listTempFiles()).toEqual([]);
  });

  it('abort removes an unfinished temp file', async () => {
    const temp = await blobs.createTemp();
    await temp.write(Buffer.from('partial'));
    await temp.abort();
    expect(fs.existsSync(temp.path)).toBe(false);
    await expect(temp.write(Buffer.from('more'))).rejects.toMatchObject({ code: 'invalid-blob' });
  });

  it('remove leaves pinned or still-needed blobs alone', async () => {
    await blobs.install(await finishedTemp('x'), SHA_A);
    const unpin = blobs.pin(SHA_A);
    expect(await blobs.remove(SHA_A)).toBe(false);
    unpin();
    unpin();
    expect(await blobs.remove(SHA_A, () => true)).toBe(false);
    expect(await blobs.exists(SHA_A)).toBe(true);
    expect(await blobs.remove(SHA_A)).toBe(true);
    expect(await blobs.exists(SHA_A)).toBe(false);
    expect(await blobs.remove(SHA_A)).toBe(false);
  });

  it('serialises a remove and an install of the same content', async () => {
    await blobs.install(await finishedTemp('x'), SHA_A);
    const again = await finishedTemp('x');
    const removing = blobs.remove(SHA_A);
    const installing = blobs.install(again, SHA_A);
    expect(await removing).toBe(true);
    // The install ran after the unlink, so it put the content back rather than trusting it.
    expect(await installing).toEqual({ existed: false });
    expect(await blobs.exists(SHA_A)).toBe(true);
  });

  it('removeTemps empties the temp folder and listBlobFiles ignores strays', async () => {
    await blobs.createTemp().then((t) => t.abort());
    fs.writeFileSync(path.join(blobs.tmpDir, 'a.tmp'), 'a');
    fs.writeFileSync(path.join(blobs.tmpDir, 'b.tmp'), 'b');
    expect(blobs.removeTemps()).toBe(2);
    expect(blobs.listTempFiles()).toEqual([]);
    fs.mkdirSync(path.join(blobs.blobsDir, 'zz'));
    fs.writeFileSync(path.join(blobs.blobsDir, 'zz', 'notes.txt'), '');
    expect(blobs.listBlobFiles()).toEqual([]);
  });

  it('storeWhole writes a blob through a temp file, and leaves stored content alone', async () => {
    const stored = await blobs.storeWhole([Buffer.from('hello '), Buffer.from('world')], SHA_A);
    expect(stored).toEqual({ existed: false, storedSize: 11 });
    expect(fs.readFileSync(blobs.pathFor(SHA_A), 'utf8')).toBe('hello world');
    expect(blobs.listTempFiles()).toEqual([]);
    // The same content again: the file in place is kept as it is.
    expect(await blobs.storeWhole([Buffer.from('other')], SHA_A)).toEqual({
      existed: true,
      storedSize: 5,
    });
    expect(fs.readFileSync(blobs.pathFor(SHA_A), 'utf8')).toBe('hello world');
    await blobs.syncDirs();
    expect(blobs.listBlobFiles()).toEqual([SHA_A]);
  });

  it('a directory sync resolves only after every sync that took directories before it', async () => {
    // Two committers share the store: a second call must not find the dirty set taken by a
    // first whose fsync is still running, and resolve before the folder is durable.
    await blobs.storeWhole([Buffer.from('hello world')], SHA_A);
    const order: string[] = [];
    const first = blobs.syncDirs().then(() => order.push('first'));
    const second = blobs.syncDirs().then(() => order.push('second'));
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
  });

  it('storeWhole fails without creating the blob when its temp file cannot be written', async () => {
    fs.rmSync(blobs.tmpDir, { recursive: true });
    await expect(blobs.storeWhole([Buffer.from('x')], SHA_A)).rejects.toMatchObject({
      code: 'ENOENT',
    });
    expect(fs.existsSync(blobs.pathFor(SHA_A))).toBe(false);
    fs.mkdirSync(blobs.tmpDir);
  });

  it('storeWhole is serialised with remove and makes a vanished blobs folder again', async () => {
    await blobs.storeWhole([Buffer.from('x')], SHA_A);
    const removing = blobs.remove(SHA_A);
    const storing = blobs.storeWhole([Buffer.from('x')], SHA_A);
    expect(await removing).toBe(true);
    expect(await storing).toEqual({ existed: false, storedSize: 1 });
    fs.rmSync(blobs.blobsDir, { recursive: true });
    expect(await blobs.storeWhole([Buffer.from('y')], SHA_B)).toEqual({
      existed: false,
      storedSize: 1,
    });
    expect(blobs.listBlobFiles()).toEqual([SHA_B]);
    await blobs.syncDirs();
  });

  it('storeWhole puts back a missing blob and keeps one in place', async () => {
    expect(await blobs.storeWhole([Buffer.from('again')], SHA_A)).toEqual({
      existed: false,
      storedSize: 5,
    });
    expect(fs.readFileSync(blobs.pathFor(SHA_A), 'utf8')).toBe('again');
    expect(await blobs.storeWhole([Buffer.from('other')], SHA_A)).toMatchObject({ existed: true });
    expect(fs.readFileSync(blobs.pathFor(SHA_A), 'utf8')).toBe('again');
    expect(blobs.listTempFiles()).toEqual([]);
    // The blobs folder removed behind the store's back is made again.
    fs.rmSync(blobs.blobsDir, { recursive: true });
    await blobs.storeWhole([Buffer.from('b')], SHA_B);
    expect(blobs.listBlobFiles()).toEqual([SHA_B]);
    expect(blobs.listTempFiles()).toEqual([]);
  });

  it('moves blobs of the earlier blobs/<first two hex>/ layout up at start', async () => {
    await blobs.close();
    const old = (sha: string): string => path.join(blobs.blobsDir, sha.slice(0, 2), sha);
    for (const [sha, content] of [
      [SHA_A, 'a'],
      [SHA_B, 'b'],
    ] as const) {
      fs.mkdirSync(path.dirname(old(sha)), { recursive: true });
      fs.writeFileSync(old(sha), content);
    }
    // A stray folder that is no fan-out folder stays where it is.
    fs.mkdirSync(path.join(blobs.blobsDir, 'notes'));
    blobs = new BlobStore(path.join(dir, 'quarantine'));
    expect(blobs.listBlobFiles()).toEqual([SHA_A, SHA_B]);
    expect(fs.readFileSync(blobs.pathFor(SHA_B), 'utf8')).toBe('b');
    expect(fs.existsSync(path.dirname(old(SHA_A)))).toBe(false);
    expect(fs.existsSync(path.join(blobs.blobsDir, 'notes'))).toBe(true);
  });
});
