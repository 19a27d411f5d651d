/**
 * What kind of file a sample is, from its first bytes and (for scripts) its file name: enough
 * for the strippers to pick a method, and for nothing else.
 */
import { isCfb } from './cfb.js';

/** The families the strippers tell apart. */
export type ContentKind =
  'pe' | 'elf' | 'macho' | 'java-class' | 'script' | 'ole' | 'zip' | 'other';

/** What the sample's attributes say about it (X-Sample-File, X-Sample-Extension). */
export interface StripHint {
  readonly fileName?: string;
  readonly extension?: string;
}

/** Extensions of script languages an endpoint may quarantine. */
export const SCRIPT_EXTENSIONS: ReadonlySet<string> = new Set([
  'bat',
  'cmd',
  'js',
  'jse',
  'vbs',
  'vbe',
  'wsf',
  'wsh',
  'hta',
  'ps1',
  'psm1',
  'sh',
  'bash',
  'py',
  'pl',
  'rb',
  'php',
  'lua',
  'applescript',
]);

const MACHO_MAGICS = new Set([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe]);

/** The lower-case extension named by the hint (X-Sample-Extension wins over the file name). */
export function hintExtension(hint: StripHint | undefined): string | undefined {
  const explicit = hint?.extension?.trim().replace(/^\./, '').toLowerCase();
  if (explicit) return explicit;
  const name = hint?.fileName ?? '';
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : undefined;
}

function isPe(b: Uint8Array): boolean {
  if (b.length < 64 || b[0] !== 0x4d || b[1] !== 0x5a) return false;
  const view = Buffer.from(b.buffer, b.byteOffset, b.length);
  const peOffset = view.readUInt32LE(0x3c);
  // A bare MZ header (DOS programs) is an executable too.
  if (peOffset + 4 > b.length) return true;
  return view.readUInt32LE(peOffset) === 0x00004550 || peOffset < 64;
}

/** Text content: no NUL bytes near the start, unless it declares UTF-16 with a byte order mark. */
function looksLikeText(b: Uint8Array): boolean {
  if (b.length >= 2 && ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff)))
    return true;
  const end = Math.min(b.length, 64 * 1024);
  for (let i = 0; i < end; i++) if (b[i] === 0) return false;
  return true;
}

/** Classify sample content. */
export function contentKind(bytes: Uint8Array, hint?: StripHint): ContentKind {
  const b = bytes;
  if (isPe(b)) return 'pe';
  if (b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46)
    return 'elf';
  if (b.length >= 8) {
    const view = Buffer.from(b.buffer, b.byteOffset, b.length);
    const magic = view.readUInt32BE(0);
    if (MACHO_MAGICS.has(magic)) return 'macho';
    // 0xCAFEBABE starts both universal Mach-O binaries and Java classes: a universal binary
    // lists a handful of architectures where a class file has its version (45 and up).
    if (magic === 0xcafebabe) return view.readUInt32BE(4) < 45 ? 'macho' : 'java-class';
  }
  if (isCfb(b)) return 'ole';
  if (b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04)
    return 'zip';
  const shebang = b.length >= 2 && b[0] === 0x23 && b[1] === 0x21;
  const extension = hintExtension(hint);
  if (
    (shebang || (extension !== undefined && SCRIPT_EXTENSIONS.has(extension))) &&
    looksLikeText(b)
  )
    return 'script';
  return 'other';
}
