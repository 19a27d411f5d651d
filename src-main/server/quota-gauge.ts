/**
 * In-memory view of quarantine usage: committed blob bytes plus bytes reserved by intakes in
 * flight, so that concurrent forwards cannot together overshoot the configured maximum.
 */

/** A reservation held while a sample is being received. */
export interface QuotaReservation {
  readonly bytes: number;
  release(): void;
}

/** Result of asking whether more bytes fit. */
export interface QuotaVerdict {
  readonly allowed: boolean;
  readonly remainingBytes: number;
}

/** Tracks used and reserved quarantine bytes against a changing maximum. */
export class QuotaGauge {
  private used: number;
  private reserved = 0;

  constructor(
    initialUsedBytes: number,
    private readonly maxBytes: () => number,
  ) {
    this.used = initialUsedBytes;
  }

  /** Committed blob bytes. */
  get usedBytes(): number {
    return this.used;
  }

  /** Bytes still free under the maximum, counting reservations. */
  get remainingBytes(): number {
    return Math.max(0, this.maxBytes() - this.used - this.reserved);
  }

  /**
   * Would `bytes` more fit? A reservation made for the same sample is not counted against
   * itself.
   */
  check(bytes: number, own?: QuotaReservation): QuotaVerdict {
    const remaining = this.maxBytes() - this.used - this.reserved + (own?.bytes ?? 0);
    return { allowed: bytes <= remaining, remainingBytes: Math.max(0, remaining) };
  }

  /** Hold `bytes` for an intake in flight until `release()`. */
  reserve(bytes: number): QuotaReservation {
    this.reserved += bytes;
    let released = false;
    return {
      bytes,
      release: () => {
        if (released) return;
        released = true;
        this.reserved -= bytes;
      },
    };
  }

  /** Count newly committed blob bytes. */
  add(bytes: number): void {
    this.used += bytes;
  }

  /** Forget bytes of blobs that were removed. */
  subtract(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}
