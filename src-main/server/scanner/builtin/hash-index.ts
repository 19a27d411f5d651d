/**
 * Hash signatures (`.hdb` MD5, `.hsb` SHA-1/SHA-256) keyed by file size: a scan looks up its
 * size first and computes a digest only when some signature of that algorithm has that size
 * (or `*`). The digests of one size sit sorted in one Buffer and are found by binary search,
 * which keeps a hundred thousand signatures to a few megabytes.
 */

/** Digest algorithms of hash signatures. */
export type HashAlgorithm = 'md5' | 'sha1' | 'sha256';

/** Digest length in bytes by algorithm. */
export const DIGEST_BYTES: Readonly<Record<HashAlgorithm, number>> = {
  md5: 16,
  sha1: 20,
  sha256: 32,
};

/** One hash signature; `size` null means any size (`*`). */
export interface HashSignature {
  readonly algorithm: HashAlgorithm;
  readonly digest: Buffer;
  readonly size: number | null;
  readonly name: string;
}

/** Sorted digests of one size and the names in the same order. */
interface Bucket {
  readonly digests: Buffer;
  readonly names: readonly string[];
}

function bucketOf(entries: HashSignature[], width: number): Bucket {
  entries.sort((a, b) => Buffer.compare(a.digest, b.digest));
  const unique: HashSignature[] = [];
  for (const entry of entries) {
    const last = unique[unique.length - 1];
    // The same digest twice matches the first name, as a lookup can only return one.
    if (!last || !last.digest.equals(entry.digest)) unique.push(entry);
  }
  const digests = Buffer.allocUnsafe(unique.length * width);
  unique.forEach((entry, i) => entry.digest.copy(digests, i * width));
  return { digests, names: unique.map((e) => e.name) };
}

function search(bucket: Bucket, digest: Uint8Array, width: number): string | null {
  let lo = 0;
  let hi = bucket.names.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const order = bucket.digests.compare(digest, 0, width, mid * width, mid * width + width);
    if (order === 0) return bucket.names[mid]!;
    // `order` compares the bucket's digest with the one sought.
    if (order < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return null;
}

/** Hash signatures of a loaded set. */
export class HashIndex {
  private readonly bySize: Record<HashAlgorithm, Map<number, Bucket>>;
  private readonly anySize: Record<HashAlgorithm, Bucket | null>;
  /** Number of distinct signatures indexed. */
  readonly count: number;

  constructor(signatures: readonly HashSignature[]) {
    const groups: Record<HashAlgorithm, Map<number | null, HashSignature[]>> = {
      md5: new Map(),
      sha1: new Map(),
      sha256: new Map(),
    };
    for (const signature of signatures) {
      const byAlgorithm = groups[signature.algorithm];
      const list = byAlgorithm.get(signature.size);
      if (list) list.push(signature);
      else byAlgorithm.set(signature.size, [signature]);
    }
    this.bySize = { md5: new Map(), sha1: new Map(), sha256: new Map() };
    this.anySize = { md5: null, sha1: null, sha256: null };
    let count = 0;
    for (const algorithm of Object.keys(groups) as HashAlgorithm[]) {
      for (const [size, list] of groups[algorithm]) {
        const bucket = bucketOf(list, DIGEST_BYTES[algorithm]);
        count += bucket.names.length;
        if (size === null) this.anySize[algorithm] = bucket;
        else this.bySize[algorithm].set(size, bucket);
      }
    }
    this.count = count;
  }

  /** Whether a file of `size` bytes needs its `algorithm` digest computed. */
  needs(algorithm: HashAlgorithm, size: number): boolean {
    return this.anySize[algorithm] !== null || this.bySize[algorithm].has(size);
  }

  /** The name of the signature for this digest and size, or null. */
  lookup(algorithm: HashAlgorithm, size: number, digest: Uint8Array): string | null {
    const width = DIGEST_BYTES[algorithm];
    const sized = this.bySize[algorithm].get(size);
    const hit = sized ? search(sized, digest, width) : null;
    if (hit !== null) return hit;
    const any = this.anySize[algorithm];
    return any ? search(any, digest, width) : null;
  }
}
