/**
 * The hex body of a ClamAV `.ndb` signature, parsed into segments of elements. Unbounded
 * wildcards (`*`, `{n-}`) split a signature into segments that are matched separately and
 * chained in order; everything inside a segment has a bounded length.
 *
 * Supported: hex bytes, `??`, nibbles `a?` / `?a`, `{n}`, `{n-m}`, `{-n}`, `{n-}`, `[n-m]`, `*`,
 * alternatives `(aa|bbcc|d?)` of any lengths and negated single-length `!(aa|bb)`. The anchors
 * `(B)`, `(L)` and `(W)` are refused with a reason.
 */

/** A run of bytes, each compared under its mask (0xff exact, 0xf0/0x0f a nibble, 0 any). */
export interface ByteRun {
  readonly kind: 'bytes';
  readonly values: Uint8Array;
  readonly masks: Uint8Array;
}

/** Any `min`..`max` bytes. */
export interface Gap {
  readonly kind: 'gap';
  readonly min: number;
  readonly max: number;
}

/** One of several byte strings (or, negated, any string of that length that is none of them). */
export interface Alternatives {
  readonly kind: 'alt';
  readonly options: readonly { readonly values: Uint8Array; readonly masks: Uint8Array }[];
  readonly negated: boolean;
  readonly minLength: number;
  readonly maxLength: number;
}

/** One element of a segment. */
export type PatternElement = ByteRun | Gap | Alternatives;

/** A bounded part of a signature; `gapBefore` is the least distance from the previous segment. */
export interface PatternSegment {
  readonly elements: readonly PatternElement[];
  readonly gapBefore: number;
}

/** Parse result: the segments, or why the text is not a usable signature. */
export type HexPatternResult =
  | { readonly ok: true; readonly segments: readonly PatternSegment[] }
  | { readonly ok: false; readonly reason: string };

/** Longest hex body accepted; real signatures are far shorter. */
const MAX_HEX_LENGTH = 64 * 1024;
/** Largest bound of a `{n-m}` gap; larger ones are not bounded in any useful sense. */
const MAX_GAP = 1024 * 1024;

class PatternError extends Error {}

function nibble(c: string): number {
  const v = parseInt(c, 16);
  if (Number.isNaN(v) || c.length !== 1) throw new PatternError(`"${c}" is not a hex digit`);
  return v;
}

/** Parse one hex pair (`4f`, `??`, `4?`, `?f`) into value and mask. */
function pair(text: string, at: number): { value: number; mask: number } {
  const hi = text[at];
  const lo = text[at + 1];
  if (hi === undefined || lo === undefined) throw new PatternError('odd number of hex digits');
  if (hi === '?' && lo === '?') return { value: 0, mask: 0 };
  if (hi === '?') return { value: nibble(lo), mask: 0x0f };
  if (lo === '?') return { value: nibble(hi) << 4, mask: 0xf0 };
  return { value: (nibble(hi) << 4) | nibble(lo), mask: 0xff };
}

function parseBytes(text: string): { values: Uint8Array; masks: Uint8Array } {
  if (text.length === 0) throw new PatternError('empty alternative');
  if (text.length % 2 !== 0) throw new PatternError('odd number of hex digits in an alternative');
  const values = new Uint8Array(text.length / 2);
  const masks = new Uint8Array(text.length / 2);
  for (let i = 0; i < values.length; i++) {
    const p = pair(text, i * 2);
    values[i] = p.value;
    masks[i] = p.mask;
  }
  return { values, masks };
}

function parseGap(inner: string): { min: number; max: number | null } {
  let match: RegExpExecArray | null;
  let min: number;
  let max: number | null;
  if ((match = /^(\d+)$/.exec(inner))) {
    min = Number(match[1]);
    max = min;
  } else if ((match = /^-(\d+)$/.exec(inner))) {
    min = 0;
    max = Number(match[1]);
  } else if ((match = /^(\d+)-$/.exec(inner))) {
    min = Number(match[1]);
    max = null;
  } else if ((match = /^(\d+)-(\d+)$/.exec(inner))) {
    min = Number(match[1]);
    max = Number(match[2]);
  } else {
    throw new PatternError(`"{${inner}}" is not a gap`);
  }
  if (max !== null && max < min) throw new PatternError(`gap {${inner}} has its bounds reversed`);
  if (min > MAX_GAP || (max !== null && max > MAX_GAP)) {
    throw new PatternError(`gap {${inner}} is larger than ${MAX_GAP} bytes`);
  }
  return { min, max };
}

/** Builds segments while the text is read. */
class SegmentBuilder {
  readonly segments: PatternSegment[] = [];
  private elements: PatternElement[] = [];
  private values: number[] = [];
  private masks: number[] = [];
  private gapBefore = 0;

  byte(value: number, mask: number): void {
    this.values.push(value);
    this.masks.push(mask);
  }

  private flushBytes(): void {
    if (this.values.length === 0) return;
    this.elements.push({
      kind: 'bytes',
      values: Uint8Array.from(this.values),
      masks: Uint8Array.from(this.masks),
    });
    this.values = [];
    this.masks = [];
  }

  element(element: Gap | Alternatives): void {
    this.flushBytes();
    if (element.kind === 'gap') {
      if (this.elements.length === 0) throw new PatternError('a segment cannot start with a gap');
      const last = this.elements[this.elements.length - 1];
      if (last?.kind === 'gap') {
        this.elements[this.elements.length - 1] = {
          kind: 'gap',
          min: last.min + element.min,
          max: last.max + element.max,
        };
        return;
      }
    }
    this.elements.push(element);
  }

  /** End the current segment at an unbounded wildcard of at least `minGap` bytes. */
  split(minGap: number): void {
    this.endSegment('an unbounded wildcard needs bytes on both sides');
    this.gapBefore = minGap;
  }

  private endSegment(emptyReason: string): void {
    this.flushBytes();
    if (this.elements.length === 0) throw new PatternError(emptyReason);
    if (this.elements[this.elements.length - 1]?.kind === 'gap') {
      throw new PatternError('a segment cannot end with a gap');
    }
    this.segments.push({ elements: this.elements, gapBefore: this.gapBefore });
    this.elements = [];
  }

  finish(): PatternSegment[] {
    this.endSegment('the signature ends with an unbounded wildcard or is empty');
    return this.segments;
  }
}

function closing(text: string, from: number, close: string): number {
  const end = text.indexOf(close, from);
  if (end < 0) throw new PatternError(`missing "${close}"`);
  return end;
}

function parseAlternatives(inner: string, negated: boolean): Alternatives {
  if (/^[blw]$/.test(inner)) {
    throw new PatternError(`the (${inner.toUpperCase()}) anchor is not supported`);
  }
  const options = inner.split('|').map(parseBytes);
  const lengths = options.map((o) => o.values.length);
  const minLength = Math.min(...lengths);
  const maxLength = Math.max(...lengths);
  if (negated && minLength !== maxLength) {
    throw new PatternError('negated alternatives must all have the same length');
  }
  return { kind: 'alt', options, negated, minLength, maxLength };
}

/** Parse the hex body of an `.ndb` signature. */
export function parseHexPattern(source: string): HexPatternResult {
  const text = source.trim().toLowerCase();
  if (text.length === 0) return { ok: false, reason: 'empty signature' };
  if (text.length > MAX_HEX_LENGTH) {
    return { ok: false, reason: `signature longer than ${MAX_HEX_LENGTH} characters` };
  }
  const builder = new SegmentBuilder();
  try {
    let i = 0;
    while (i < text.length) {
      const c = text[i]!;
      if (c === '*') {
        builder.split(0);
        i += 1;
      } else if (c === '{') {
        const end = closing(text, i, '}');
        const gap = parseGap(text.slice(i + 1, end));
        if (gap.max === null) builder.split(gap.min);
        else builder.element({ kind: 'gap', min: gap.min, max: gap.max });
        i = end + 1;
      } else if (c === '[') {
        const end = closing(text, i, ']');
        const match = /^(\d+)-(\d+)$/.exec(text.slice(i + 1, end));
        if (!match) throw new PatternError(`"${text.slice(i, end + 1)}" is not a range`);
        const gap = parseGap(`${match[1]}-${match[2]}`);
        builder.element({ kind: 'gap', min: gap.min, max: gap.max ?? gap.min });
        i = end + 1;
      } else if (c === '(' || (c === '!' && text[i + 1] === '(')) {
        const negated = c === '!';
        const open = negated ? i + 1 : i;
        const end = closing(text, open, ')');
        builder.element(parseAlternatives(text.slice(open + 1, end), negated));
        i = end + 1;
      } else {
        const p = pair(text, i);
        builder.byte(p.value, p.mask);
        i += 2;
      }
    }
    return { ok: true, segments: builder.finish() };
  } catch (error) {
    if (error instanceof PatternError) return { ok: false, reason: error.message };
    throw error;
  }
}

/** Least and most bytes an element covers. */
export function elementLength(element: PatternElement): { min: number; max: number } {
  switch (element.kind) {
    case 'bytes':
      return { min: element.values.length, max: element.values.length };
    case 'gap':
      return { min: element.min, max: element.max };
    case 'alt':
      return { min: element.minLength, max: element.maxLength };
  }
}
