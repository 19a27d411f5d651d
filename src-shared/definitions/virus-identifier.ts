/**
 * `X-Scan-Virus-Identifier` for engines whose signatures carry only a name (ClamAV formats): a
 * stable number derived from the name, so both engines and every server give a threat the same
 * identifier.
 */

/** A positive 31-bit identifier for a signature name (FNV-1a over its UTF-8 bytes). */
export function virusIdentifierFor(name: string): number {
  const bytes = new TextEncoder().encode(name);
  let hash = 0x811c9dc5;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  // Zero is kept for "no identifier" by some consumers, so the range starts at 1.
  return (hash >>> 1) % 0x7fffffff || 1;
}
