/**
 * A stored sample's decoded bytes as a stream, for scanning, restore and repair: the at-rest
 * blob (deflated, scrambled) read from the quarantine folder and decoded on the fly, bounded by
 * the size recorded at intake and checked against the blob's SHA-256 at the end, so damaged
 * content is an error rather than something scanned or restored. Nothing runnable touches the
 * disk here.
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { WireError } from '../../../src-shared/catalog/errors.js';
import { createBlobDecoder } from '../../codec/content.js';
import type { BlobStore } from '../store/index.js';

/** Passes bytes through, then fails unless their length and SHA-256 are the expected ones. */
class ContentCheck extends Transform {
  private readonly hash = createHash('sha256');
  private bytes = 0;

  constructor(
    private readonly sha256: string,
    private readonly size: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.bytes < this.size) {
      callback(new WireError('underrun', [this.size, this.bytes]));
      return;
    }
    const actual = this.hash.digest('hex');
    callback(actual === this.sha256 ? null : new WireError('sample', [this.sha256, actual]));
  }
}

/**
 * Open the decoded content of blob `sha256`. Content longer than `size` fails with `overrun`,
 * shorter with `underrun`, different with `sample`; a missing file fails with ENOENT. Destroy
 * the stream when stopping early.
 */
export function openDecodedSample(blobs: BlobStore, sha256: string, size: number): Readable {
  const source = blobs.openStored(sha256);
  const decoder = createBlobDecoder(size);
  const check = new ContentCheck(sha256, size);
  source.on('error', (error) => decoder.destroy(error));
  decoder.on('error', (error) => check.destroy(error));
  check.on('close', () => {
    decoder.destroy();
    source.destroy();
  });
  return source.pipe(decoder).pipe(check);
}

/** Read a stored sample's decoded, checked bytes into memory. */
export async function readDecodedSample(
  blobs: BlobStore,
  sha256: string,
  size: number,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of openDecodedSample(blobs, sha256, size)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
