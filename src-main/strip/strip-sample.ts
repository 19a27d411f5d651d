/**
 * "Strip user data from sample" (SPEC §9, guide ch. 4): reduce a sample to the part that can
 * carry the infection before it leaves the organisation. Used by the Quarantine Agent before
 * submission and by the email Scan and Deliver wizard. The method name becomes
 * `X-Sample-Strip`; checksum and size of the result describe what is sent.
 */
import { contentKind, type StripHint } from './content-kind.js';
import { stripOleDocument } from './ole-strip.js';
import { stripZipDocument } from './zip-strip.js';

export type { StripHint } from './content-kind.js';

/** `X-Sample-Strip` values, one per method. */
export const STRIP_METHODS = {
  /** Office Open XML: macro parts plus content types and relationships. */
  ooxml: 'ooxml-macro-parts',
  /** OpenDocument: Basic/ and Scripts/ plus mimetype and manifest. */
  odf: 'odf-macro-parts',
  /** OLE compound file: macro storages kept, other streams emptied. */
  ole: 'ole-macro-streams',
  /** Executables and scripts: the code is what is infected, so nothing is removed. */
  whole: 'none-needed',
} as const;

/** One of the strip method names. */
export type StripMethod = (typeof STRIP_METHODS)[keyof typeof STRIP_METHODS];

/** What stripping produced, or why the content cannot be stripped. */
export type StripResult =
  | {
      readonly ok: true;
      /** What to send instead of the original. */
      readonly bytes: Buffer;
      readonly method: StripMethod;
      /** Parts or streams that were dropped or emptied. */
      readonly removed: string[];
    }
  | { readonly ok: false; readonly reason: string };

/** Strip `bytes`; never throws for bad content (the reason says what is wrong). */
export async function stripSample(bytes: Uint8Array, hint?: StripHint): Promise<StripResult> {
  const kind = contentKind(bytes, hint);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  switch (kind) {
    case 'pe':
    case 'elf':
    case 'macho':
    case 'java-class':
    case 'script':
      return { ok: true, bytes: buffer, method: STRIP_METHODS.whole, removed: [] };
    case 'ole': {
      const result = stripOleDocument(buffer);
      return result.ok ? { ...result, method: STRIP_METHODS.ole } : result;
    }
    case 'zip': {
      const result = await stripZipDocument(buffer);
      if (!result.ok) return result;
      const method = result.family === 'odf' ? STRIP_METHODS.odf : STRIP_METHODS.ooxml;
      return { ok: true, bytes: result.bytes, method, removed: result.removed };
    }
    case 'other':
      return {
        ok: false,
        reason:
          'only Office documents (OLE, Office Open XML, OpenDocument), executables and scripts can be stripped; this content is none of them',
      };
  }
}
