/**
 * One streaming pass of the body signatures over one stream (the raw content, or its normalised
 * text). Bytes arrive in pieces and are kept in a window just long enough for verification:
 * the automaton carries its state across pieces, so an anchor split between two chunks is found
 * like any other.
 *
 * Anchor hits queue in the order the automaton finds them (by anchor end) and are verified in
 * that order once the window holds their longest possible suffix. That order makes the result
 * independent of how the content was chunked, and makes chaining `*`-separated segments exact:
 * a segment that ends before another starts has its anchor found, and so is verified, first.
 * The window therefore keeps at most twice the largest segment span (64 KiB each at most) plus
 * one piece; `*` spans are unbounded because a chain only remembers the earliest end of each
 * segment, never the bytes.
 */
import { runAutomaton } from './automaton.js';
import { appliesTo, type BodyDatabase, type StreamClass } from './body-database.js';
import type { BodySignature, CompiledSegment } from './body-signature.js';
import { matchBackward, matchForward, type ByteWindow } from './verify.js';

/** A body signature match; positions are in raw content bytes. */
export interface BodyMatch {
  readonly signature: BodySignature;
  readonly start: number;
  readonly end: number;
}

/** Which stream this is. */
export interface StreamRules {
  /** Total raw content size (for `EOF-n` offsets). */
  readonly size: number;
  /**
   * Raw content of a kind of file, or normalised text (where only target 7 and `*`-offset
   * target 0 signatures apply, as in ClamAV).
   */
  readonly kind: StreamClass;
  /** Raw position of a stream position (normalised text); identity when absent. */
  readonly toRaw?: (position: number) => number;
}

/** Largest piece of input processed at once (bounds the window). */
const PIECE = 256 * 1024;

/**
 * Full-size windows kept for reuse: allocating (and zeroing) a few hundred KiB per scan would
 * otherwise be a large share of the work of scanning many small and medium samples.
 */
export class WindowPool {
  private readonly free: Uint8Array[] = [];
  constructor(
    /** Size of a full window. */
    readonly size: number,
    private readonly keep = 8,
  ) {}

  /** A window for a stream of `streamSize` bytes. */
  acquire(streamSize: number): Uint8Array {
    const pooled = this.free.pop();
    if (pooled) return pooled;
    // A small sample gets a small window rather than a full one that would outlive it.
    return new Uint8Array(Math.min(this.size, streamSize + 1));
  }

  /** Hand a window back once its scan is over. */
  release(buf: Uint8Array): void {
    if (buf.length === this.size && this.free.length < this.keep) this.free.push(buf);
  }
}

/** The window pool suited to `db` (one per loaded set). */
export function windowPoolFor(db: BodyDatabase): WindowPool {
  return new WindowPool(historyOf(db) + PIECE);
}

function historyOf(db: BodyDatabase): number {
  return 2 * Math.max(64, db.maxSpan);
}

/** Per-signature progress of a `*`-separated chain. */
interface Chain {
  /** Earliest end of a valid chain through segment i (Infinity: none yet). */
  readonly bestEnd: Float64Array;
  /** Raw start of the chain that gives `bestEnd[i]`. */
  readonly rawStart: Float64Array;
}

/** A streaming matcher over one stream. */
export class StreamMatcher {
  private buf: Uint8Array;
  /** Stream position of `buf[0]`, and how many bytes `buf` holds. */
  private base = 0;
  private length = 0;
  private state = 0;
  private readonly history: number;
  private readonly hits: number[] = [];
  private queueSeg: number[] = [];
  private queueEnd: number[] = [];
  private head = 0;
  private readonly chains = new Map<number, Chain>();
  private found: BodyMatch | null = null;

  constructor(
    private readonly db: BodyDatabase,
    private readonly rules: StreamRules,
    private readonly pool: WindowPool,
  ) {
    this.history = historyOf(db);
    this.buf = pool.acquire(rules.size);
  }

  /** Give the window back; the matcher is not used after this. */
  release(): void {
    this.pool.release(this.buf);
    this.buf = new Uint8Array(0);
  }

  /** The first match, once found (the matcher stops working then). */
  get match(): BodyMatch | null {
    return this.found;
  }

  /** Feed the next bytes. Returns the match once one is found; later calls do nothing. */
  push(bytes: Uint8Array): BodyMatch | null {
    for (let from = 0; from < bytes.length && !this.found; from += PIECE) {
      const to = Math.min(bytes.length, from + PIECE);
      this.append(bytes.subarray(from, to));
      const start = this.length - (to - from);
      this.hits.length = 0;
      this.state = runAutomaton(
        this.db.automaton,
        this.db.filters[this.rules.kind],
        this.buf,
        start,
        this.length,
        this.state,
        this.hits,
      );
      if (this.hits.length > 0) this.enqueue();
      this.drain(false);
    }
    return this.found;
  }

  /** The content ended: verify what is still queued against the bytes there are. */
  finish(): BodyMatch | null {
    if (!this.found) this.drain(true);
    return this.found;
  }

  private get end(): number {
    return this.base + this.length;
  }

  private append(piece: Uint8Array): void {
    if (this.length + piece.length > this.buf.length) {
      // Keep what queued hits may still read, and at least `history` bytes.
      let keepFrom = this.end - this.history;
      for (let i = this.head; i < this.queueSeg.length; i++) {
        const segment = this.db.segments[this.queueSeg[i]!]!;
        keepFrom = Math.min(
          keepFrom,
          this.queueEnd[i]! - segment.anchor.length - segment.prefixMax,
        );
      }
      const drop = Math.max(0, Math.min(this.length, keepFrom - this.base));
      const kept = this.length - drop;
      if (kept + piece.length > this.buf.length) {
        const bigger = new Uint8Array(kept + piece.length + this.history);
        bigger.set(this.buf.subarray(drop, this.length));
        this.buf = bigger;
      } else {
        this.buf.copyWithin(0, drop, this.length);
      }
      this.base += drop;
      this.length = kept;
    }
    this.buf.set(piece, this.length);
    this.length += piece.length;
  }

  /** Whether the first segment of `signature`, anchored to end at `anchorEnd`, can meet its offset. */
  private offsetReachable(segment: CompiledSegment, anchorEnd: number): boolean {
    const offset = this.db.signatures[segment.signature]!.offset;
    if (offset.kind === 'any' || segment.index > 0) return true;
    const anchorStart = anchorEnd - segment.anchor.length;
    const earliest = anchorStart - segment.prefixMax;
    const latest = anchorStart - segment.prefixMin;
    const from = offset.kind === 'absolute' ? offset.start : this.rules.size - offset.back;
    return latest >= from && earliest <= from + offset.shift;
  }

  private enqueue(): void {
    const { automaton, patternStart, patternSegments, segments, signatures } = this.db;
    const hits = this.hits;
    for (let h = 0; h < hits.length; h += 2) {
      const anchorEnd = this.base + hits[h + 1]!;
      for (let o = hits[h]!; o >= 0; o = automaton.dictLink[o]!) {
        const pattern = automaton.patternAt[o]!;
        for (let p = patternStart[pattern]!; p < patternStart[pattern + 1]!; p++) {
          const index = patternSegments[p]!;
          const segment = segments[index]!;
          if (!appliesTo(signatures[segment.signature]!, this.rules.kind)) continue;
          if (!this.offsetReachable(segment, anchorEnd)) continue;
          this.queueSeg.push(index);
          this.queueEnd.push(anchorEnd);
        }
      }
    }
  }

  private drain(atEnd: boolean): void {
    const end = this.end;
    while (this.head < this.queueSeg.length && !this.found) {
      const segment = this.db.segments[this.queueSeg[this.head]!]!;
      const anchorEnd = this.queueEnd[this.head]!;
      if (!atEnd && anchorEnd + segment.suffixMax > end) break;
      this.head += 1;
      this.found = this.verify(segment, anchorEnd);
    }
    if (this.head === this.queueSeg.length) {
      this.queueSeg = [];
      this.queueEnd = [];
      this.head = 0;
    }
  }

  private raw(position: number): number {
    return this.rules.toRaw ? this.rules.toRaw(position) : position;
  }

  private verify(segment: CompiledSegment, anchorEnd: number): BodyMatch | null {
    const signature = this.db.signatures[segment.signature]!;
    const win: ByteWindow = { buf: this.buf, base: this.base, end: this.end };
    let chain = this.chains.get(signature.id);
    let accept: (start: number) => boolean;
    if (segment.index === 0) {
      const offset = signature.offset;
      if (offset.kind === 'any') accept = () => true;
      else {
        const from = offset.kind === 'absolute' ? offset.start : this.rules.size - offset.back;
        accept = (start) => start >= from && start <= from + offset.shift;
      }
    } else {
      const previous = chain?.bestEnd[segment.index - 1] ?? Infinity;
      if (previous === Infinity) return null;
      const threshold = previous + segment.gapBefore;
      accept = (start) => start >= threshold;
    }
    const anchorStart = anchorEnd - segment.anchor.length;
    const start = matchBackward(
      segment.prefix,
      segment.prefix.length - 1,
      anchorStart,
      win,
      accept,
    );
    if (start < 0) return null;
    const end = matchForward(segment.suffix, 0, anchorEnd, win);
    if (end < 0) return null;
    const rawEnd = this.raw(end - 1) + 1;
    if (segment.index === 0 && segment.last)
      return { signature, start: this.raw(start), end: rawEnd };

    const count = signature.segments.length;
    if (!chain) {
      chain = {
        bestEnd: new Float64Array(count).fill(Infinity),
        rawStart: new Float64Array(count),
      };
      this.chains.set(signature.id, chain);
    }
    const i = segment.index;
    if (end < chain.bestEnd[i]!) {
      chain.bestEnd[i] = end;
      chain.rawStart[i] = i === 0 ? this.raw(start) : chain.rawStart[i - 1]!;
    }
    return segment.last ? { signature, start: chain.rawStart[i]!, end: rawEnd } : null;
  }
}
