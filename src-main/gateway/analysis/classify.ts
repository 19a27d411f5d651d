/**
 * Classification (the `classifying` stage, SPEC §7): is the sample a program (binary), a
 * document carrying macros (macro), or data that holds no code and so cannot be infected?
 * Decided from magic numbers and macro markers in the content, and from the file extension the
 * endpoint reported, because a DOS `.com` program or a script has no magic number of its own.
 */
import type { Classification, SampleHints } from '../model.js';

const MAGIC_BINARY: readonly Buffer[] = [
  Buffer.from('MZ', 'latin1'), // PE and DOS executables
  Buffer.from([0x7f, 0x45, 0x4c, 0x46]), // ELF
  Buffer.from([0xfe, 0xed, 0xfa, 0xce]), // Mach-O 32-bit
  Buffer.from([0xfe, 0xed, 0xfa, 0xcf]), // Mach-O 64-bit
  Buffer.from([0xce, 0xfa, 0xed, 0xfe]), // Mach-O 32-bit, little-endian
  Buffer.from([0xcf, 0xfa, 0xed, 0xfe]), // Mach-O 64-bit, little-endian
  Buffer.from([0xca, 0xfe, 0xba, 0xbe]), // Mach-O universal
  Buffer.from('#!', 'latin1'), // scripts with an interpreter line
];

const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/** Word keeps macros under `Macros/VBA`, Excel under `_VBA_PROJECT_CUR`; both name this stream. */
const OLE_MACRO_MARKERS: readonly Buffer[] = [Buffer.from('_VBA_PROJECT', 'utf16le')];
/** OOXML stores macros in `vbaProject.bin`; ODF in a `Basic/` folder. Zip names are plain text. */
const ZIP_MACRO_MARKERS: readonly Buffer[] = [
  Buffer.from('vbaProject.bin', 'latin1'),
  Buffer.from('Basic/', 'latin1'),
];

/** Extensions of programs and scripts, which count as binary whatever their first bytes. */
export const CODE_EXTENSIONS: ReadonlySet<string> = new Set([
  'exe',
  'com',
  'dll',
  'sys',
  'scr',
  'cpl',
  'ocx',
  'drv',
  'pif',
  'elf',
  'so',
  'dylib',
  'js',
  'jse',
  'vbs',
  'vbe',
  'wsf',
  'wsh',
  'hta',
  'bat',
  'cmd',
  'ps1',
  'sh',
  'py',
  'pl',
]);

/** How much of a text file is searched for an embedded script. */
const SCRIPT_WINDOW = 64 * 1024;

/** The file extension the endpoint reported, lower case, or undefined. */
export function extensionOf(hints: SampleHints): string | undefined {
  if (hints.extension) return hints.extension.toLowerCase();
  const base = hints.fileName?.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot > 0 && dot < base.length - 1 ? base.slice(dot + 1).toLowerCase() : undefined;
}

function startsWith(bytes: Buffer, magic: Buffer): boolean {
  return bytes.length >= magic.length && bytes.subarray(0, magic.length).equals(magic);
}

/** Classify decoded sample content. */
export function classifyContent(bytes: Buffer, hints: SampleHints): Classification {
  // Boot sectors are code by definition.
  if (hints.type === 'sector') return 'binary';
  if (MAGIC_BINARY.some((magic) => startsWith(bytes, magic))) return 'binary';
  if (startsWith(bytes, OLE_MAGIC)) {
    return OLE_MACRO_MARKERS.some((m) => bytes.includes(m)) ? 'macro' : 'data';
  }
  if (startsWith(bytes, ZIP_MAGIC)) {
    return ZIP_MACRO_MARKERS.some((m) => bytes.includes(m)) ? 'macro' : 'data';
  }
  const extension = extensionOf(hints);
  if (extension !== undefined && CODE_EXTENSIONS.has(extension)) return 'binary';
  if (/<script[\s>]/i.test(bytes.subarray(0, SCRIPT_WINDOW).toString('latin1'))) return 'binary';
  return 'data';
}
