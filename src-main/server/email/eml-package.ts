/**
 * Definitions returned by email (SPEC §9): find the definitions package an `.eml` carries — an
 * attachment named like `00000678.all.zip` or `00000678.incr.zip` — with mailparser.
 */
import { simpleParser } from 'mailparser';
import { parsePackageName } from '../../../src-shared/definitions/manifest.js';

/** The package found in a message, or why there is none. */
export type EmlPackage =
  | { readonly ok: true; readonly name: string; readonly sequence: number; readonly bytes: Buffer }
  | { readonly ok: false; readonly reason: string };

/** Largest `.eml` accepted (a package plus its base64 overhead and the message around it). */
export const MAX_EML_BYTES = 64 * 1024 * 1024;

/** Extract the definitions package from an email message; never throws for bad input. */
export async function packageFromEml(eml: Buffer): Promise<EmlPackage> {
  if (eml.length === 0) return { ok: false, reason: 'the message is empty' };
  if (eml.length > MAX_EML_BYTES)
    return { ok: false, reason: `the message is larger than ${MAX_EML_BYTES} bytes` };
  let parsed;
  try {
    parsed = await simpleParser(eml, { skipHtmlToText: true, skipTextToHtml: true });
  } catch (error) {
    return { ok: false, reason: `the message cannot be read: ${(error as Error).message}` };
  }
  const packages = parsed.attachments
    .map((a) => {
      const name = (a.filename ?? '').split(/[\\/]/).pop() ?? '';
      const named = parsePackageName(name);
      return named ? { name, sequence: named.sequence, bytes: a.content } : null;
    })
    .filter((p) => p !== null);
  if (packages.length === 0) {
    const names = parsed.attachments.map((a) => a.filename ?? '(unnamed)');
    return {
      ok: false,
      reason: `the message carries no definitions package (an attachment named NNNNNNNN.all.zip or NNNNNNNN.incr.zip)${names.length ? `; its attachments: ${names.join(', ')}` : '; it has no attachments'}`,
    };
  }
  if (packages.length > 1) {
    return {
      ok: false,
      reason: `the message carries ${packages.length} definitions packages (${packages.map((p) => p.name).join(', ')}); import them one at a time`,
    };
  }
  const [only] = packages;
  return { ok: true, name: only!.name, sequence: only!.sequence, bytes: only!.bytes };
}
