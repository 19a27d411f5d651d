/**
 * Recognising a sample's target type from its first bytes, and the text normaliser that ClamAV
 * applies before matching target 7 (ASCII text) signatures. Both follow ClamAV's rules so that
 * the builtin and clamd engines agree on which signatures apply:
 * - `MZ` at offset 0 is a PE target (ClamAV types by that magic alone, PE header or not);
 * - `\x7fELF` is ELF; the four Mach-O magics and fat (`CAFEBABE` with a plausible arch count)
 *   are Mach-O;
 * - otherwise the first 1024 bytes decide text: printable ASCII plus BEL BS HT LF FF CR ESC, or
 *   valid UTF-8 made of those and multi-byte characters. ClamAV also guesses UTF-16 text from
 *   byte pairs and feeds it to its HTML normaliser; the builtin engine treats such content as
 *   binary (a documented difference, absent from the shared test corpus).
 */

/** What a sample is, as far as signature targets go. */
export type FileKind = 'pe' | 'elf' | 'macho' | 'text' | 'binary';

/** How many leading bytes type recognition reads (ClamAV's magic buffer). */
export const SNIFF_BYTES = 1024;

/** Text larger than this is not normalised (ClamAV's default MaxScriptNormalize, 5 MiB). */
export const MAX_NORMALISE_BYTES = 5 * 1024 * 1024;

const TEXT_BYTE = new Uint8Array(256);
for (const b of [7, 8, 9, 10, 12, 13, 27]) TEXT_BYTE[b] = 1;
for (let b = 0x20; b < 0x7f; b++) TEXT_BYTE[b] = 1;

function isAsciiText(head: Uint8Array): boolean {
  for (const byte of head) if (TEXT_BYTE[byte] !== 1) return false;
  return true;
}

/** Valid UTF-8 with at least one multi-byte character; a sequence cut by the end counts. */
function isUtf8Text(head: Uint8Array): boolean {
  let multibyte = false;
  for (let i = 0; i < head.length; i++) {
    const byte = head[i]!;
    if (byte < 0x80) {
      if (TEXT_BYTE[byte] !== 1) return false;
      continue;
    }
    let following: number;
    if ((byte & 0xe0) === 0xc0) following = 1;
    else if ((byte & 0xf0) === 0xe0) following = 2;
    else if ((byte & 0xf8) === 0xf0) following = 3;
    else if ((byte & 0xfc) === 0xf8) following = 4;
    else if ((byte & 0xfe) === 0xfc) following = 5;
    else return false;
    for (let j = 0; j < following; j++) {
      i += 1;
      if (i >= head.length) return multibyte;
      if ((head[i]! & 0xc0) !== 0x80) return false;
    }
    multibyte = true;
  }
  return multibyte;
}

function startsWith(head: Uint8Array, magic: readonly number[]): boolean {
  return head.length >= magic.length && magic.every((b, i) => head[i] === b);
}

/** The kind of content whose first bytes (up to SNIFF_BYTES of them) are `head`. */
export function detectFileKind(head: Uint8Array): FileKind {
  if (head.length === 0) return 'binary';
  if (startsWith(head, [0x4d, 0x5a])) return 'pe';
  if (startsWith(head, [0x7f, 0x45, 0x4c, 0x46])) return 'elf';
  const machO = [
    [0xfe, 0xed, 0xfa, 0xce],
    [0xce, 0xfa, 0xed, 0xfe],
    [0xfe, 0xed, 0xfa, 0xcf],
    [0xcf, 0xfa, 0xed, 0xfe],
  ];
  if (machO.some((magic) => startsWith(head, magic))) return 'macho';
  if (startsWith(head, [0xca, 0xfe, 0xba, 0xbe]) && head.length >= 8) {
    // Java classes share the magic; their next word (a class version) is far above any arch count.
    const arches = ((head[4]! << 24) | (head[5]! << 16) | (head[6]! << 8) | head[7]!) >>> 0;
    if (arches >= 1 && arches <= 20) return 'macho';
  }
  const sniff = head.subarray(0, SNIFF_BYTES);
  if (isAsciiText(sniff) || isUtf8Text(sniff)) return 'text';
  return 'binary';
}

// What normalisation does to each byte: -1 drop, -2 whitespace, otherwise the output byte.
const NORMALISED = new Int16Array(256).fill(-1);
for (let b = 0x21; b < 0x80; b++) NORMALISED[b] = b >= 0x41 && b <= 0x5a ? b + 32 : b;
for (const b of [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20]) NORMALISED[b] = -2;

/**
 * ClamAV's text normalisation, streaming: upper case folded to lower, every run of whitespace
 * (HT LF VT FF CR space) written as one space, other control bytes and bytes above 0x7f dropped
 * (a dropped byte does not end a whitespace run).
 *
 * Where a match in the normalised text lies in the raw content (for repairs) is kept cheaply:
 * a normalised byte's raw position is its own position plus the raw bytes dropped before it,
 * and that count is recorded only where it changes.
 */
export class TextNormaliser {
  private spaceWritten = false;
  private out = new Uint8Array(0);
  /** Normalised bytes produced so far. */
  private produced = 0;
  /** Raw bytes that produced nothing so far. */
  private dropped = 0;
  /** Pairs (normalised position, dropped before it), one where the count changed. */
  private readonly marks: number[] = [0, 0];

  /** Normalise the next raw bytes; the result is a buffer the next call reuses. */
  normalise(input: Uint8Array): Uint8Array {
    if (this.out.length < input.length) this.out = new Uint8Array(input.length);
    const out = this.out;
    const marks = this.marks;
    let n = 0;
    let spaceWritten = this.spaceWritten;
    let dropped = this.dropped;
    let marked = marks[marks.length - 1]!;
    for (let i = 0; i < input.length; i++) {
      let action = NORMALISED[input[i]!]!;
      if (action === -2) {
        if (spaceWritten) action = -1;
        else {
          spaceWritten = true;
          action = 0x20;
        }
      } else if (action !== -1) {
        spaceWritten = false;
      }
      if (action === -1) {
        dropped += 1;
        continue;
      }
      if (dropped !== marked) {
        marks.push(this.produced + n, dropped);
        marked = dropped;
      }
      out[n++] = action;
    }
    this.spaceWritten = spaceWritten;
    this.dropped = dropped;
    this.produced += n;
    return out.subarray(0, n);
  }

  /** The raw position of normalised byte `position` (one already produced). */
  rawPosition(position: number): number {
    const marks = this.marks;
    let lo = 0;
    let hi = marks.length / 2 - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (marks[mid * 2]! <= position) lo = mid;
      else hi = mid - 1;
    }
    return position + marks[lo * 2 + 1]!;
  }
}
