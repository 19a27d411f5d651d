/** Scanning content held in memory with any engine of SPEC §6. */
import { Readable } from 'node:stream';
import type { ScanEngine, ScanVerdict } from '../../server/scanner/engine.js';

/** Scan `bytes` as one chunk. */
export function scanBytes(engine: ScanEngine, bytes: Buffer): Promise<ScanVerdict> {
  // objectMode keeps the buffer whole (and an empty one still a chunk-free stream).
  return engine.scan(Readable.from(bytes.length > 0 ? [bytes] : []), bytes.length);
}
