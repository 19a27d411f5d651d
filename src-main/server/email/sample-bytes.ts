/**
 * What the email Scan and Deliver pieces share about one sample: its row, attributes and
 * decoded, checked bytes (kept in memory only; nothing runnable is written to disk), and the
 * strip hint its attributes give.
 */
import type { StripHint } from '../../strip/strip-sample.js';
import { readDecodedSample } from '../scanner/sample-content.js';
import type { SampleRow, Store } from '../store/index.js';

/** One sample loaded for analysis or submission. */
export interface LoadedSample {
  readonly row: SampleRow;
  readonly attributes: Readonly<Record<string, string>>;
  readonly bytes: Buffer;
}

/** Load a sample with its decoded bytes, or say why it cannot be used. */
export async function loadSample(
  store: Store,
  id: string,
): Promise<LoadedSample | { readonly reason: string }> {
  const row = store.samples.get(Number(id));
  if (!row) return { reason: 'no such sample' };
  try {
    const bytes = await readDecodedSample(store.blobs, row.blobSha256, row.size);
    return { row, attributes: store.samples.attributes(row.id), bytes };
  } catch (error) {
    return { reason: `the stored content cannot be read: ${(error as Error).message}` };
  }
}

/** The strip hint of a sample's attributes (file name and extension). */
export function stripHintOf(attributes: Readonly<Record<string, string>>): StripHint {
  return {
    ...(attributes['X-Sample-File'] !== undefined ? { fileName: attributes['X-Sample-File'] } : {}),
    ...(attributes['X-Sample-Extension'] !== undefined
      ? { extension: attributes['X-Sample-Extension'] }
      : {}),
  };
}
