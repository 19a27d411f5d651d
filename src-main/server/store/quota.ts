/** Quarantine quota arithmetic (SPEC §5) and the free-space probe behind its alerts. */
import fs from 'node:fs';

/** Inputs of a quota decision, in bytes. */
export interface QuotaInput {
  /** Stored bytes of all blobs now. */
  readonly usedBytes: number;
  /** The configured maximum size of the quarantine. */
  readonly maxBytes: number;
  /** Stored bytes the pending intake would add (0 to just evaluate the alerts). */
  readonly incomingBytes: number;
  /** Free space on the quarantine's disk; undefined when unknown. */
  readonly freeBytes?: number;
  /** "Disk quota remaining is low" below this fraction of the maximum. */
  readonly lowFraction?: number;
}

/** A quota decision plus the two alert conditions. */
export interface QuotaEvaluation {
  /** The incoming bytes fit under the maximum and on the disk. */
  readonly allowed: boolean;
  /** Bytes left under the maximum once the incoming bytes are counted (never negative). */
  readonly remainingBytes: number;
  /** Remaining quota is below `lowFraction` of the maximum. */
  readonly low: boolean;
  /** The disk could not hold the quarantine growing to its maximum. */
  readonly freeBelowMax: boolean;
}

/** Decide whether `incomingBytes` may be stored and whether the quota alerts hold. */
export function evaluateQuota(input: QuotaInput): QuotaEvaluation {
  const { usedBytes, maxBytes, incomingBytes, freeBytes, lowFraction = 0.1 } = input;
  const after = usedBytes + incomingBytes;
  const fitsDisk = freeBytes === undefined || incomingBytes <= freeBytes;
  const remainingBytes = Math.max(0, maxBytes - after);
  return {
    allowed: after <= maxBytes && fitsDisk,
    remainingBytes,
    low: remainingBytes < lowFraction * maxBytes,
    freeBelowMax: freeBytes !== undefined && freeBytes < maxBytes - usedBytes,
  };
}

/** Bytes available to this process on the file system holding `dir`. */
export async function diskFreeBytes(dir: string): Promise<number> {
  const stats = await fs.promises.statfs(dir);
  return stats.bavail * stats.bsize;
}
