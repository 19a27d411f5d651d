/**
 * Pure parts of the content transforms of SPEC §4.1 (no Node imports: the renderer and the
 * Node streaming pipeline share them).
 */
import { WireError } from '../catalog/errors.js';

export { Base64Decoder, Base64Encoder, Base64Error } from './base64.js';

/** The `xor-vampish` key: XOR with the repeating ASCII bytes of "vampish". */
const VAMPISH = new TextEncoder().encode('vampish');
const KEY_LENGTH = VAMPISH.length;

/**
 * The key as 32-bit words, one row per starting phase: 7 words cover 28 bytes, the least
 * common multiple of the key length and the word size, so a row repeats exactly. Words are
 * read through a byte view, so the platform's endianness does not matter.
 */
const KEY_WORDS: readonly Uint32Array[] = Array.from({ length: KEY_LENGTH }, (_, phase) => {
  const bytes = new Uint8Array(4 * KEY_LENGTH);
  for (let i = 0; i < bytes.length; i++) bytes[i] = VAMPISH[(phase + i) % KEY_LENGTH]!;
  return new Uint32Array(bytes.buffer);
});

/** Below this length the word loop's setup costs more than it saves. */
const WORD_LOOP_THRESHOLD = 64;

/**
 * XOR `bytes` in place with the repeating key, as if they started at byte `offset` of the whole
 * stream. Works a word at a time because this runs over every byte of every sample.
 */
export function xorVampishInPlace(bytes: Uint8Array, offset: number): void {
  const length = bytes.length;
  let k = offset % KEY_LENGTH;
  let i = 0;
  if (length >= WORD_LOOP_THRESHOLD) {
    // Bytes up to the first 4-byte aligned address, so a Uint32Array view can take over.
    const head = (4 - (bytes.byteOffset % 4)) % 4;
    for (; i < head; i++) {
      bytes[i] = bytes[i]! ^ VAMPISH[k]!;
      k = k + 1 === KEY_LENGTH ? 0 : k + 1;
    }
    const wordCount = (length - head) >>> 2;
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset + head, wordCount);
    const key = KEY_WORDS[k]!;
    const k0 = key[0]!;
    const k1 = key[1]!;
    const k2 = key[2]!;
    const k3 = key[3]!;
    const k4 = key[4]!;
    const k5 = key[5]!;
    const k6 = key[6]!;
    let w = 0;
    const unrolled = wordCount - (wordCount % 7);
    for (; w < unrolled; w += 7) {
      words[w] = words[w]! ^ k0;
      words[w + 1] = words[w + 1]! ^ k1;
      words[w + 2] = words[w + 2]! ^ k2;
      words[w + 3] = words[w + 3]! ^ k3;
      words[w + 4] = words[w + 4]! ^ k4;
      words[w + 5] = words[w + 5]! ^ k5;
      words[w + 6] = words[w + 6]! ^ k6;
    }
    for (let j = 0; w < wordCount; w++, j++) words[w] = words[w]! ^ key[j]!;
    i = head + wordCount * 4;
    k = (k + wordCount * 4) % KEY_LENGTH;
  }
  for (; i < length; i++) {
    bytes[i] = bytes[i]! ^ VAMPISH[k]!;
    k = k + 1 === KEY_LENGTH ? 0 : k + 1;
  }
}

/**
 * XOR `chunk` with the repeating key, starting at byte `offset` of the whole stream (so a stream
 * can be scrambled chunk by chunk). Returns a new array; the transform is its own inverse.
 */
export function xorVampish(chunk: Uint8Array, offset: number): Uint8Array {
  const out = new Uint8Array(chunk.length);
  out.set(chunk);
  xorVampishInPlace(out, offset);
  return out;
}

/** How a message body was transformed, read from its `X-Content-*` headers. */
export interface ContentPlan {
  readonly compression: 'deflate' | null;
  readonly scrambling: 'xor-vampish' | null;
  readonly encoding: 'base64' | null;
  readonly checksumMethod: 'md5';
}

/**
 * Read the content headers of a sample message. Absent headers mean "not applied" (and md5 for
 * the checksum method); any other value than the one method this project applies for a single
 * sample is refused as `malformed <header>` — `zip` is a valid compression token, but only for
 * folders, never for a sample body.
 */
export function contentPlanFromHeaders(get: (name: string) => string | undefined): ContentPlan {
  const read = (name: string): string | null => {
    const value = get(name)?.trim().toLowerCase();
    return value === undefined || value === '' ? null : value;
  };
  const pick = <T extends string>(name: string, allowed: T): T | null => {
    const value = read(name);
    if (value === null) return null;
    if (value !== allowed) throw new WireError('malformed', [name]);
    return allowed;
  };
  const checksum = pick('X-Checksum-Method', 'md5');
  return {
    compression: pick('X-Content-Compression', 'deflate'),
    scrambling: pick('X-Content-Scrambling', 'xor-vampish'),
    encoding: pick('X-Content-Encoding', 'base64'),
    checksumMethod: checksum ?? 'md5',
  };
}
