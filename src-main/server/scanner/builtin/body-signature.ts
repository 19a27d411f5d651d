/**
 * One `.ndb` line (`name:target:offset:hexsig[:min_flevel[:max_flevel]]`) compiled for the
 * builtin engine: its target, its offset rule, and per segment the literal anchor that the
 * automaton looks for plus the elements to verify on either side of it.
 */
import { elementLength, parseHexPattern, type PatternElement } from './hex-pattern.js';

/** Targets the builtin engine recognises by content (ClamAV target numbers). */
export const TARGETS = { any: 0, pe: 1, elf: 6, text: 7, macho: 9 } as const;

/** A supported target number. */
export type TargetType = (typeof TARGETS)[keyof typeof TARGETS];

/** ClamAV's engine functionality level of the version the clamd engine runs (1.4). */
export const BUILTIN_FLEVEL = 216;

/** Where a signature must start. */
export type OffsetRule =
  | { readonly kind: 'any' }
  /** Start in `start`..`start + shift`. */
  | { readonly kind: 'absolute'; readonly start: number; readonly shift: number }
  /** Start in `size - back`..`size - back + shift`. */
  | { readonly kind: 'eof'; readonly back: number; readonly shift: number };

/** One bounded part of a body signature, anchored on a literal. */
export interface CompiledSegment {
  readonly signature: number;
  readonly index: number;
  readonly last: boolean;
  readonly anchor: Uint8Array;
  /** Elements before the anchor, in forward order. */
  readonly prefix: readonly PatternElement[];
  /** Elements after the anchor, in forward order. */
  readonly suffix: readonly PatternElement[];
  readonly prefixMin: number;
  readonly prefixMax: number;
  readonly suffixMin: number;
  readonly suffixMax: number;
  /** Least distance from the end of the previous segment to the start of this one. */
  readonly gapBefore: number;
}

/** A compiled body signature. */
export interface BodySignature {
  readonly id: number;
  readonly name: string;
  readonly target: TargetType;
  readonly offset: OffsetRule;
  readonly segments: readonly CompiledSegment[];
}

/** A line that compiled, or why it cannot be used. */
export type CompileResult =
  | { readonly ok: true; readonly signature: BodySignature }
  | { readonly ok: false; readonly name: string; readonly reason: string };

/** Longest anchor handed to the automaton; longer literals are verified, not indexed. */
export const MAX_ANCHOR = 16;
/** Shortest literal a segment needs so that the automaton does not fire on every other byte. */
export const MIN_ANCHOR = 2;
/** Largest bounded span of one segment: the streaming window keeps twice this much history. */
export const MAX_SEGMENT_SPAN = 64 * 1024;

const SUPPORTED_TARGETS = new Set<number>(Object.values(TARGETS));

// How common a byte is in ordinary content (padding, text): anchors made of common bytes fire
// often and keep the automaton in deep states, so the rarest window of a literal is indexed.
const COMMONNESS = new Uint8Array(256);
for (let b = 0x21; b < 0x7f; b++) COMMONNESS[b] = 1;
for (let b = 0x30; b <= 0x39; b++) COMMONNESS[b] = 2;
for (let b = 0x41; b <= 0x5a; b++) COMMONNESS[b] = 2;
for (let b = 0x61; b <= 0x7a; b++) COMMONNESS[b] = 3;
for (const b of [0x09, 0x0a, 0x0d, 0x90, 0xcc]) COMMONNESS[b] = 4;
for (const b of [0x20, 0xff]) COMMONNESS[b] = 6;
COMMONNESS[0x00] = 8;

/** Parse an offset field; a string is the reason it cannot be used. */
export function parseOffset(field: string): OffsetRule | string {
  if (field === '*') return { kind: 'any' };
  let match = /^(\d+)(?:,(\d+))?$/.exec(field);
  if (match) return { kind: 'absolute', start: Number(match[1]), shift: Number(match[2] ?? 0) };
  match = /^EOF-(\d+)(?:,(\d+))?$/.exec(field);
  if (match) return { kind: 'eof', back: Number(match[1]), shift: Number(match[2] ?? 0) };
  if (/^(EP[+-]\d+|S\d+\+\d+|SE\d+|SL\+\d+|VI|\$\d+\$)(,\d+)?$/.test(field)) {
    return `offset ${field} needs executable parsing, which the builtin engine does not do`;
  }
  return `offset ${JSON.stringify(field)} is not valid`;
}

/**
 * The anchor of a segment: among its runs of exact bytes, the window (at most MAX_ANCHOR long)
 * that is longest and made of the rarest bytes.
 */
function chooseAnchor(
  elements: readonly PatternElement[],
): { element: number; start: number; length: number } | null {
  let best: { element: number; start: number; length: number; value: number } | null = null;
  elements.forEach((element, index) => {
    if (element.kind !== 'bytes') return;
    const { values, masks } = element;
    let runStart = -1;
    for (let i = 0; i <= masks.length; i++) {
      const exact = i < masks.length && masks[i] === 0xff;
      if (exact && runStart < 0) runStart = i;
      if (exact || runStart < 0) continue;
      const length = Math.min(MAX_ANCHOR, i - runStart);
      for (let start = runStart; start + length <= i; start++) {
        let score = 0;
        for (let k = start; k < start + length; k++) score += COMMONNESS[values[k]!]!;
        // Length makes an anchor specific, common bytes make it fire: weigh one against the other.
        const value = 8 * length - score;
        if (!best || value > best.value) best = { element: index, start, length, value };
      }
      runStart = -1;
    }
  });
  return best;
}

function sliceRun(element: PatternElement, from: number, to: number): PatternElement[] {
  if (element.kind !== 'bytes' || to <= from) return [];
  return [
    { kind: 'bytes', values: element.values.slice(from, to), masks: element.masks.slice(from, to) },
  ];
}

function lengths(elements: readonly PatternElement[]): { min: number; max: number } {
  let min = 0;
  let max = 0;
  for (const element of elements) {
    const l = elementLength(element);
    min += l.min;
    max += l.max;
  }
  return { min, max };
}

function checkFlevel(fields: readonly string[]): string | null {
  const [min, max] = fields;
  if (min !== undefined && min !== '') {
    if (!/^\d+$/.test(min)) return `functionality level ${JSON.stringify(min)} is not a number`;
    if (Number(min) > BUILTIN_FLEVEL) return `needs functionality level ${min}`;
  }
  if (max !== undefined && max !== '') {
    if (!/^\d+$/.test(max)) return `functionality level ${JSON.stringify(max)} is not a number`;
    if (Number(max) < BUILTIN_FLEVEL) return `only for functionality levels up to ${max}`;
  }
  return null;
}

/** Compile one `.ndb` line; `id` numbers the signature within the loaded set. */
export function compileNdbLine(line: string, id: number): CompileResult {
  const fields = line.split(':');
  const name = fields[0] ?? '';
  const fail = (reason: string): CompileResult => ({
    ok: false,
    name: name || '(unnamed)',
    reason,
  });
  if (fields.length < 4 || fields.length > 6) {
    return fail('expected name:target:offset:hexsig[:min_flevel[:max_flevel]]');
  }
  if (!/^[^\s]+$/.test(name)) return fail('signature name is empty or has spaces');
  const [, targetField = '', offsetField = '', hex = ''] = fields;
  const flevel = checkFlevel(fields.slice(4));
  if (flevel) return fail(flevel);
  if (!/^\d+$/.test(targetField))
    return fail(`target ${JSON.stringify(targetField)} is not a number`);
  const target = Number(targetField);
  if (!SUPPORTED_TARGETS.has(target)) {
    return fail(`target ${target} is not one the builtin engine recognises (0, 1, 6, 7, 9)`);
  }
  const offset = parseOffset(offsetField);
  if (typeof offset === 'string') return fail(offset);
  if (target === TARGETS.text && offset.kind === 'eof') {
    return fail('EOF offsets on normalised text are not supported');
  }
  const pattern = parseHexPattern(hex);
  if (!pattern.ok) return fail(pattern.reason);

  const segments: CompiledSegment[] = [];
  for (const [index, segment] of pattern.segments.entries()) {
    const anchor = chooseAnchor(segment.elements);
    if (!anchor || anchor.length < MIN_ANCHOR) {
      return fail(`segment ${index + 1} has no run of ${MIN_ANCHOR} exact bytes to anchor on`);
    }
    const holder = segment.elements[anchor.element] as { values: Uint8Array; masks: Uint8Array };
    const run = segment.elements[anchor.element]!;
    const prefix = [
      ...segment.elements.slice(0, anchor.element),
      ...sliceRun(run, 0, anchor.start),
    ];
    const suffix = [
      ...sliceRun(run, anchor.start + anchor.length, holder.values.length),
      ...segment.elements.slice(anchor.element + 1),
    ];
    const pre = lengths(prefix);
    const post = lengths(suffix);
    if (pre.max + anchor.length + post.max > MAX_SEGMENT_SPAN) {
      return fail(`a segment can span more than ${MAX_SEGMENT_SPAN} bytes`);
    }
    segments.push({
      signature: id,
      index,
      last: index === pattern.segments.length - 1,
      anchor: holder.values.slice(anchor.start, anchor.start + anchor.length),
      prefix,
      suffix,
      prefixMin: pre.min,
      prefixMax: pre.max,
      suffixMin: post.min,
      suffixMax: post.max,
      gapBefore: segment.gapBefore,
    });
  }
  return {
    ok: true,
    signature: { id, name, target: target as TargetType, offset, segments },
  };
}
