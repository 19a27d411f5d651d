/**
 * The one multi-pattern automaton of the builtin engine: Aho-Corasick over the anchors of every
 * body signature, built once per load and run once over each stream.
 *
 * States are numbered breadth-first. The shallow ones (root and depth 1, more while they fit
 * `maxDenseRows`) get a full 256-entry transition row; deeper states, which content reaches
 * rarely, keep their few children sorted and fall back along failure links to a dense row.
 *
 * A walk from state to state is one dependent memory load per byte, which caps its speed. So a
 * run takes a prefilter: a hashed bitmap of the 3-byte sequences that occur in the patterns the
 * stream cares about. Where the last three bytes are not one of them, no such pattern can be in
 * progress beyond its first two bytes, nor end: the run skips those stretches with independent
 * bitmap tests and resumes the walk, from the state the last two bytes give, where a listed
 * 3-byte sequence appears. Patterns the stream does not care about may be lost track of while
 * skipping; their hits are of no use to that stream anyway.
 */

/** A built automaton; every array is indexed by state unless said otherwise. */
export interface Automaton {
  readonly states: number;
  /** States `0 .. denseStates - 1` have a row in `dense`. */
  readonly denseStates: number;
  /** `dense[(state << 8) | byte]` = next state, for dense states. */
  readonly dense: Int32Array;
  /** Children of state s are `childByte/childNext[childStart[s] .. childStart[s + 1]]`. */
  readonly childStart: Int32Array;
  readonly childByte: Uint8Array;
  readonly childNext: Int32Array;
  readonly fail: Int32Array;
  /** Pattern ending exactly at the state, or -1. */
  readonly patternAt: Int32Array;
  /** Next state along the failure chain where a pattern ends, or -1. */
  readonly dictLink: Int32Array;
  /** The state itself when a pattern ends there, else `dictLink`: -1 means "no match here". */
  readonly outHead: Int32Array;
}

/** The 3-byte sequences of some patterns, hashed into a bitmap (false hits, never misses). */
export interface TrigramFilter {
  readonly bits: Int32Array;
  /** `32 - log2(bit count)`: the hash keeps the top bits. */
  readonly shift: number;
  /**
   * Shortest pattern length minus 2 (at least 1): every occurrence of a pattern covers that
   * many consecutive 3-byte sequences, so two listed-miss positions this far apart prove that
   * no pattern ends between them, and a skip can test only every `stride`-th position.
   */
  readonly stride: number;
}

/** Options of `buildAutomaton`. */
export interface AutomatonOptions {
  /** Most states given a dense row (1 KiB each); depth 0 and 1 always get one. */
  readonly maxDenseRows?: number;
}

// Depth 0 and 1 only for real sets: a table beyond a few hundred rows leaves the CPU caches and
// makes every byte slower than the sparse steps it saves.
const DEFAULT_MAX_DENSE_ROWS = 1024;

function compare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Build the automaton for `patterns` (each at least one byte; pattern ids are their indexes). */
export function buildAutomaton(
  patterns: readonly Uint8Array[],
  options: AutomatonOptions = {},
): Automaton {
  // 1. A trie built from the patterns in sorted order: each pattern shares its common prefix
  //    with the previous one, so nodes are created in depth-first, byte-sorted order.
  const order = patterns.map((_, i) => i).sort((a, b) => compare(patterns[a]!, patterns[b]!));
  const parent: number[] = [-1];
  const byteOf: number[] = [0];
  const depthOf: number[] = [0];
  const endsHere: number[] = [-1];
  let path: number[] = [0];
  let previous: Uint8Array = new Uint8Array(0);
  for (const id of order) {
    const pattern = patterns[id]!;
    if (pattern.length === 0) throw new RangeError('empty pattern');
    let common = 0;
    while (
      common < pattern.length &&
      common < previous.length &&
      pattern[common] === previous[common]
    ) {
      common++;
    }
    path = path.slice(0, common + 1);
    for (let d = common; d < pattern.length; d++) {
      const node = parent.length;
      parent.push(path[d]!);
      byteOf.push(pattern[d]!);
      depthOf.push(d + 1);
      endsHere.push(-1);
      path.push(node);
    }
    const last = path[pattern.length]!;
    if (endsHere[last] === -1) endsHere[last] = id;
    previous = pattern;
  }
  const n = parent.length;

  // 2. Breadth-first numbering: depth d states form one contiguous block.
  const byDepth = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => depthOf[a]! - depthOf[b]! || a - b,
  );
  const newId = new Int32Array(n);
  byDepth.forEach((old, index) => (newId[old] = index));

  // Children in the new numbering, sorted by byte (creation order within a parent is sorted).
  const childCount = new Int32Array(n + 1);
  for (let old = 1; old < n; old++) childCount[newId[parent[old]!]! + 1]! += 1;
  const childStart = new Int32Array(n + 1);
  for (let s = 0; s < n; s++) childStart[s + 1] = childStart[s]! + childCount[s + 1]!;
  const fillAt = childStart.slice(0, n);
  const childByte = new Uint8Array(Math.max(0, n - 1));
  const childNext = new Int32Array(Math.max(0, n - 1));
  for (let old = 1; old < n; old++) {
    const p = newId[parent[old]!]!;
    const slot = fillAt[p]!;
    fillAt[p] = slot + 1;
    childByte[slot] = byteOf[old]!;
    childNext[slot] = newId[old]!;
  }
  const patternAt = new Int32Array(n);
  for (let old = 0; old < n; old++) patternAt[newId[old]!] = endsHere[old]!;

  // 3. Dense rows for whole depth levels while they fit.
  const maxDense = options.maxDenseRows ?? DEFAULT_MAX_DENSE_ROWS;
  let denseStates = 0;
  for (let depth = 0, s = 0; s < n; depth++) {
    let end = s;
    while (end < n && depthOf[byDepth[end]!] === depth) end++;
    if (depth > 1 && end > maxDense) break;
    denseStates = end;
    s = end;
  }
  const dense = new Int32Array(denseStates * 256);
  const fail = new Int32Array(n);

  const child = (s: number, b: number): number => {
    for (let j = childStart[s]!; j < childStart[s + 1]!; j++)
      if (childByte[j] === b) return childNext[j]!;
    return -1;
  };
  const step = (s: number, b: number): number => {
    let state = s;
    for (;;) {
      if (state < denseStates) return dense[(state << 8) | b]!;
      const next = child(state, b);
      if (next >= 0) return next;
      state = fail[state]!;
    }
  };

  // 4. Failure links and dense rows, level by level (a state's failure is shallower).
  for (let s = 0; s < n; s++) {
    if (s > 0) {
      const old = byDepth[s]!;
      const p = newId[parent[old]!]!;
      fail[s] = p === 0 ? 0 : step(fail[p]!, byteOf[old]!);
    }
    if (s < denseStates) {
      for (let b = 0; b < 256; b++) {
        const next = child(s, b);
        dense[(s << 8) | b] = next >= 0 ? next : s === 0 ? 0 : dense[(fail[s]! << 8) | b]!;
      }
    }
  }

  const dictLink = new Int32Array(n).fill(-1);
  const outHead = new Int32Array(n).fill(-1);
  for (let s = 1; s < n; s++) {
    const f = fail[s]!;
    dictLink[s] = patternAt[f]! >= 0 ? f : dictLink[f]!;
    outHead[s] = patternAt[s]! >= 0 ? s : dictLink[s]!;
  }
  return {
    states: n,
    denseStates,
    dense,
    childStart,
    childByte,
    childNext,
    fail,
    patternAt,
    dictLink,
    outHead,
  };
}

const HASH = 0x9e3779b1;

/**
 * The prefilter for a stream that cares about `patterns` (a subset of the automaton's); null
 * when one of them is a single byte, which no 3-byte test can announce. The bitmap is sized for
 * about one false hit in forty random positions, and no larger than it must be, so that it stays
 * in the CPU caches.
 */
export function buildTrigramFilter(patterns: readonly Uint8Array[]): TrigramFilter | null {
  let count = 0;
  let shortest = Infinity;
  for (const pattern of patterns) {
    if (pattern.length < 2) return null;
    count += pattern.length === 2 ? 256 : pattern.length - 2;
    shortest = Math.min(shortest, pattern.length);
  }
  let log = 16;
  while (log < 24 && 1 << log < count * 40) log++;
  const bits = new Int32Array(1 << (log - 5));
  const shift = 32 - log;
  const set = (trigram: number): void => {
    const k = Math.imul(trigram, HASH) >>> shift;
    bits[k >>> 5] = bits[k >>> 5]! | (1 << (k & 31));
  };
  for (const pattern of patterns) {
    if (pattern.length === 2) {
      // Whatever precedes a 2-byte pattern, the 3 bytes ending with it must stop the skip.
      for (let x = 0; x < 256; x++) set((x << 16) | (pattern[0]! << 8) | pattern[1]!);
      continue;
    }
    for (let i = 2; i < pattern.length; i++) {
      set((pattern[i - 2]! << 16) | (pattern[i - 1]! << 8) | pattern[i]!);
    }
  }
  return { bits, shift, stride: Math.max(1, Math.min(shortest, 1 << 20) - 2) };
}

/**
 * Run the automaton over `buf[from .. to)` starting in `state`, skipping what `filter` (built
 * from the patterns this stream cares about; null: skip nothing) rules out. `buf[from - 2 ..
 * from)` must hold the bytes before `from` when `from >= 2` (the streaming window keeps them).
 * For every
 * position where a pattern ends, pushes the output state and the index just past the match onto
 * `hits`; the caller walks `patternAt`/`dictLink` from that state. Returns the state after the
 * last byte.
 */
export function runAutomaton(
  ac: Automaton,
  filter: TrigramFilter | null,
  buf: Uint8Array,
  from: number,
  to: number,
  state: number,
  hits: number[],
): number {
  const dense = ac.dense;
  let s = state;
  let i = from;
  // The first two bytes of a stream have no 3-byte sequence ending at them: walk them.
  const walkedTo = filter === null ? to : Math.min(to, Math.max(from, 2));
  if (i < walkedTo) {
    s = walk(ac, buf, i, walkedTo, s, hits);
    i = walkedTo;
  }
  if (filter === null || i >= to) return s;
  const bits = filter.bits;
  const shift = filter.shift;
  const stride = filter.stride;
  // `exact`: `s` is the state after byte i - 1 (as far as the filtered patterns go).
  let exact = true;
  while (i < to) {
    const skipFrom = i;
    let h = (buf[i - 2]! << 8) | buf[i - 1]!;
    for (; i < to; i++) {
      h = ((h << 8) | buf[i]!) & 0xffffff;
      const k = Math.imul(h, HASH) >>> shift;
      if ((bits[k >>> 5]! & (1 << (k & 31))) !== 0) break;
      // Position i is a miss: while the position `stride` further on is one too, no filtered
      // pattern ends in between (it would cover one of the two), so jump there.
      for (let j = i + stride; j < to; j += stride) {
        const t = (buf[j - 2]! << 16) | (buf[j - 1]! << 8) | buf[j]!;
        const kj = Math.imul(t, HASH) >>> shift;
        if ((bits[kj >>> 5]! & (1 << (kj & 31))) !== 0) break;
        i = j;
        h = t;
      }
    }
    if (i > skipFrom) exact = false;
    if (i === to) break;
    // No filtered pattern is in progress beyond the last two bytes: they give the state.
    if (!exact) s = dense[(dense[buf[i - 2]!]! << 8) | buf[i - 1]!]!;
    s = walk(ac, buf, i, i + 1, s, hits);
    i += 1;
    exact = true;
  }
  return exact ? s : dense[(dense[buf[to - 2]!]! << 8) | buf[to - 1]!]!;
}

/** Plain Aho-Corasick steps over `buf[from .. to)`. */
function walk(
  ac: Automaton,
  buf: Uint8Array,
  from: number,
  to: number,
  state: number,
  hits: number[],
): number {
  // Locals, so the loop reads typed arrays without property lookups.
  const dense = ac.dense;
  const denseStates = ac.denseStates;
  const childStart = ac.childStart;
  const childByte = ac.childByte;
  const childNext = ac.childNext;
  const fail = ac.fail;
  const outHead = ac.outHead;
  let s = state;
  for (let i = from; i < to; i++) {
    const byte = buf[i]!;
    if (s < denseStates) {
      s = dense[(s << 8) | byte]!;
    } else {
      for (;;) {
        let next = -1;
        const end = childStart[s + 1]!;
        for (let j = childStart[s]!; j < end; j++) {
          if (childByte[j] === byte) {
            next = childNext[j]!;
            break;
          }
        }
        if (next >= 0) {
          s = next;
          break;
        }
        s = fail[s]!;
        if (s < denseStates) {
          s = dense[(s << 8) | byte]!;
          break;
        }
      }
    }
    const out = outHead[s]!;
    if (out >= 0) hits.push(out, i + 1);
  }
  return s;
}
