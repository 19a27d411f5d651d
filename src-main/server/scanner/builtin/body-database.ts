/**
 * Every body signature of a loaded set, indexed for the scan: the anchors of all segments go
 * into one automaton, and each anchor maps back to the segments that use it.
 */
import {
  buildAutomaton,
  buildTrigramFilter,
  type Automaton,
  type AutomatonOptions,
  type TrigramFilter,
} from './automaton.js';
import { TARGETS, type BodySignature, type CompiledSegment } from './body-signature.js';

/** The kinds of stream a scan runs: raw content by file kind, or normalised text. */
export type StreamClass = 'any' | 'pe' | 'elf' | 'macho' | 'text';

/** Whether `signature` applies to streams of `kind` (ClamAV's rules, see file-type.ts). */
export function appliesTo(signature: BodySignature, kind: StreamClass): boolean {
  if (kind === 'text') {
    return (
      signature.target === TARGETS.text ||
      (signature.target === TARGETS.any && signature.offset.kind === 'any')
    );
  }
  if (signature.target === TARGETS.any) return true;
  return (
    (kind === 'pe' && signature.target === TARGETS.pe) ||
    (kind === 'elf' && signature.target === TARGETS.elf) ||
    (kind === 'macho' && signature.target === TARGETS.macho)
  );
}

/**
 * Whether `anchor` can occur in normalised text (file-type.ts): its bytes are space, or 0x21 to
 * 0x7f but not upper case. Other anchors never end there, so the text prefilter leaves them out.
 */
function canBeNormalised(anchor: Uint8Array): boolean {
  for (const b of anchor) if (b < 0x20 || b > 0x7f || (b >= 0x41 && b <= 0x5a)) return false;
  return true;
}

const STREAM_CLASSES: readonly StreamClass[] = ['any', 'pe', 'elf', 'macho', 'text'];

/** Body signatures ready to scan with. */
export interface BodyDatabase {
  readonly signatures: readonly BodySignature[];
  /** All segments of all signatures; hits refer to them by index. */
  readonly segments: readonly CompiledSegment[];
  readonly automaton: Automaton;
  /** Segments anchored on pattern p: `patternSegments[patternStart[p] .. patternStart[p + 1]]`. */
  readonly patternStart: Int32Array;
  readonly patternSegments: Int32Array;
  /** Largest bounded span of any segment (prefix + anchor + suffix). */
  readonly maxSpan: number;
  /** Prefilter per kind of stream, from the anchors of the signatures that apply to it. */
  readonly filters: Readonly<Record<StreamClass, TrigramFilter | null>>;
}

function key(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
}

/** Index `signatures` (their ids must equal their positions). */
export function buildBodyDatabase(
  signatures: readonly BodySignature[],
  options: AutomatonOptions = {},
): BodyDatabase {
  const segments: CompiledSegment[] = [];
  const patternIds = new Map<string, number>();
  const patterns: Uint8Array[] = [];
  const uses: number[][] = [];
  let maxSpan = 0;
  for (const signature of signatures) {
    for (const segment of signature.segments) {
      const index = segments.length;
      segments.push(segment);
      const k = key(segment.anchor);
      let id = patternIds.get(k);
      if (id === undefined) {
        id = patterns.length;
        patternIds.set(k, id);
        patterns.push(segment.anchor);
        uses.push([]);
      }
      uses[id]!.push(index);
      maxSpan = Math.max(maxSpan, segment.prefixMax + segment.anchor.length + segment.suffixMax);
    }
  }
  const patternStart = new Int32Array(patterns.length + 1);
  for (let p = 0; p < patterns.length; p++)
    patternStart[p + 1] = patternStart[p]! + uses[p]!.length;
  const patternSegments = Int32Array.from(uses.flat());
  const filters = Object.fromEntries(
    STREAM_CLASSES.map((kind) => [
      kind,
      buildTrigramFilter(
        segments
          .filter(
            (segment) =>
              appliesTo(signatures[segment.signature]!, kind) &&
              (kind !== 'text' || canBeNormalised(segment.anchor)),
          )
          .map((segment) => segment.anchor),
      ),
    ]),
  ) as Record<StreamClass, TrigramFilter | null>;
  return {
    filters,
    signatures,
    segments,
    automaton: buildAutomaton(patterns, options),
    patternStart,
    patternSegments,
    maxSpan,
  };
}
