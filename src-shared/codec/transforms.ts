/**
 * Pure parts of the content transforms of SPEC §4.1 (no Node imports: the renderer and the
 * Node streaming pipeline share them).
 */

/** The `xor-vampish` key: XOR with the repeating ASCII bytes of "vampish". */
const VAMPISH = new TextEncoder().encode('vampish');

/**
 * XOR `chunk` with the repeating key, starting at byte `offset` of the whole stream (so a stream
 * can be scrambled chunk by chunk). Returns a new array; the transform is its own inverse.
 */
export function xorVampish(chunk: Uint8Array, offset: number): Uint8Array {
  const out = new Uint8Array(chunk.length);
  const keyLength = VAMPISH.length;
  let k = offset % keyLength;
  for (let i = 0; i < chunk.length; i++) {
    out[i] = chunk[i]! ^ VAMPISH[k]!;
    k = k + 1 === keyLength ? 0 : k + 1;
  }
  return out;
}
