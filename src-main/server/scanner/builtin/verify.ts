/**
 * The verify step after the automaton found an anchor: match a segment's elements backwards
 * from the anchor start and forwards from the anchor end, inside the bytes the streaming window
 * still holds. Gaps and alternatives of different lengths are tried exhaustively, with pruning
 * once a shorter forward match is known.
 */
import type { PatternElement } from './hex-pattern.js';

/** Bytes `[base, end)` of a stream, held at `buf[position - base]`. */
export interface ByteWindow {
  readonly buf: Uint8Array;
  readonly base: number;
  readonly end: number;
}

function bytesMatch(win: ByteWindow, at: number, values: Uint8Array, masks: Uint8Array): boolean {
  const buf = win.buf;
  const offset = at - win.base;
  for (let i = 0; i < values.length; i++) {
    if ((buf[offset + i]! & masks[i]!) !== values[i]) return false;
  }
  return true;
}

/** Whether option `index` of an alternative (negated: none of its options) matches at `at`. */
function optionMatches(
  win: ByteWindow,
  at: number,
  element: Extract<PatternElement, { kind: 'alt' }>,
  index: number,
): boolean {
  if (!element.negated) {
    const option = element.options[index]!;
    return bytesMatch(win, at, option.values, option.masks);
  }
  return element.options.every((option) => !bytesMatch(win, at, option.values, option.masks));
}

/**
 * The smallest end of a match of `elements[k..]` starting at `pos`, or -1. Only matches ending
 * before `limit` are of interest (a shorter one is already known).
 */
export function matchForward(
  elements: readonly PatternElement[],
  k: number,
  pos: number,
  win: ByteWindow,
  limit = Infinity,
): number {
  if (k === elements.length) return pos < limit ? pos : -1;
  const element = elements[k]!;
  switch (element.kind) {
    case 'bytes': {
      const end = pos + element.values.length;
      if (end > win.end || end >= limit) return -1;
      return bytesMatch(win, pos, element.values, element.masks)
        ? matchForward(elements, k + 1, end, win, limit)
        : -1;
    }
    case 'gap': {
      let best = -1;
      for (let g = element.min; g <= element.max; g++) {
        const at = pos + g;
        if (at > win.end || at >= (best >= 0 ? best : limit)) break;
        const end = matchForward(elements, k + 1, at, win, best >= 0 ? best : limit);
        if (end >= 0) best = end;
      }
      return best;
    }
    case 'alt': {
      let best = -1;
      const count = element.negated ? 1 : element.options.length;
      for (let i = 0; i < count; i++) {
        const length = element.options[i]!.values.length;
        const at = pos + length;
        if (at > win.end || at >= (best >= 0 ? best : limit)) continue;
        if (!optionMatches(win, pos, element, i)) continue;
        const end = matchForward(elements, k + 1, at, win, best >= 0 ? best : limit);
        if (end >= 0) best = end;
      }
      return best;
    }
  }
}

/**
 * A start of a match of `elements[0..k]` ending at `pos` that `accept` takes, or -1. Starts are
 * tried nearest first, so the answer is the latest acceptable start.
 */
export function matchBackward(
  elements: readonly PatternElement[],
  k: number,
  pos: number,
  win: ByteWindow,
  accept: (start: number) => boolean,
): number {
  if (k < 0) return accept(pos) ? pos : -1;
  const element = elements[k]!;
  switch (element.kind) {
    case 'bytes': {
      const start = pos - element.values.length;
      if (start < win.base) return -1;
      return bytesMatch(win, start, element.values, element.masks)
        ? matchBackward(elements, k - 1, start, win, accept)
        : -1;
    }
    case 'gap': {
      for (let g = element.min; g <= element.max; g++) {
        const at = pos - g;
        if (at < win.base) break;
        const start = matchBackward(elements, k - 1, at, win, accept);
        if (start >= 0) return start;
      }
      return -1;
    }
    case 'alt': {
      const count = element.negated ? 1 : element.options.length;
      for (let i = 0; i < count; i++) {
        const at = pos - element.options[i]!.values.length;
        if (at < win.base || !optionMatches(win, at, element, i)) continue;
        const start = matchBackward(elements, k - 1, at, win, accept);
        if (start >= 0) return start;
      }
      return -1;
    }
  }
}
