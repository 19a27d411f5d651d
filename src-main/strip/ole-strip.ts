/**
 * Stripping OLE compound documents (SPEC §9): the macro storages (`Macros`, `_VBA_PROJECT_CUR`,
 * `VBA`) are kept whole, every other stream is emptied, and the storage tree stays as it was so
 * the file still has the shape of the original document.
 */
import { CfbError, readCfb, withContent, type CfbNode } from './cfb.js';
import { writeCfb } from './cfb-writer.js';

/** Storages that hold VBA projects in Word, Excel and other Office 97-2003 files. */
const MACRO_STORAGES = new Set(['MACROS', '_VBA_PROJECT_CUR', '_VBA_PROJECT', 'VBA']);
// Class information only (which application wrote the file): no user data.
const STRUCTURE_STREAMS = new Set(['\u0001COMPOBJ']);

/** Outcome of stripping a compound file. */
export type OleStripResult =
  | { readonly ok: true; readonly bytes: Buffer; readonly removed: string[] }
  | { readonly ok: false; readonly reason: string };

function isMacroStorage(node: CfbNode): boolean {
  return node.kind === 'storage' && MACRO_STORAGES.has(node.name.toUpperCase());
}

/** A stream name for messages: control characters (`\u0005SummaryInformation`) spelled out. */
function printable(name: string): string {
  let out = '';
  for (const c of name) {
    const code = c.charCodeAt(0);
    out += code < 0x20 ? `\\x${code.toString(16).padStart(2, '0')}` : c;
  }
  return out;
}

/** Keep macro storages, empty every other stream (recording its path in `removed`). */
function strip(node: CfbNode, prefix: string, removed: string[]): CfbNode {
  if (node.kind === 'stream') {
    if (STRUCTURE_STREAMS.has(node.name.toUpperCase()) || node.data.length === 0) return node;
    removed.push(`${prefix}${printable(node.name)}`);
    return withContent(node, { data: Buffer.alloc(0) });
  }
  if (isMacroStorage(node)) return node;
  const base = node.kind === 'root' ? '' : `${prefix}${printable(node.name)}/`;
  return withContent(node, { children: node.children.map((c) => strip(c, base, removed)) });
}

function hasMacros(node: CfbNode): boolean {
  return node.children.some(
    (c) => (isMacroStorage(c) && c.children.length > 0) || (c.kind === 'storage' && hasMacros(c)),
  );
}

/** Strip an OLE compound document down to its macro streams. */
export function stripOleDocument(bytes: Uint8Array): OleStripResult {
  let root: CfbNode;
  try {
    root = readCfb(bytes);
  } catch (error) {
    if (error instanceof CfbError)
      return { ok: false, reason: `the OLE compound file cannot be read: ${error.message}` };
    throw error;
  }
  if (!hasMacros(root)) {
    return {
      ok: false,
      reason:
        'the OLE compound file has no macro storage (Macros, _VBA_PROJECT_CUR or VBA): stripping would leave nothing to analyse',
    };
  }
  const removed: string[] = [];
  const stripped = strip(root, '', removed);
  return { ok: true, bytes: writeCfb(stripped), removed };
}
