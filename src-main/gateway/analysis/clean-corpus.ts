/**
 * The clean corpus that every generated definitions set is unit-tested against (SPEC §7: a new
 * set must not hit any of these files). A gateway uses the folder given to it, or generates a
 * small deterministic one in its data folder: the kinds of harmless files (program stubs,
 * scripts, documents, text, zeros, noise) on which an over-broad signature would misfire.
 */
import fs from 'node:fs';
import path from 'node:path';

/** One file of the corpus. */
export interface CorpusFile {
  readonly name: string;
  readonly bytes: Buffer;
}

/** Deterministic pseudo-random bytes (xorshift32), so the corpus is the same on every host. */
function noise(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function peStub(): Buffer {
  const dos = Buffer.alloc(128);
  dos.write('MZ', 0, 'latin1');
  dos.writeUInt32LE(0x80, 0x3c);
  dos.write('This program cannot be run in DOS mode.\r\r\n$', 0x4e, 'latin1');
  const pe = Buffer.alloc(256);
  pe.write('PE\0\0', 0, 'latin1');
  pe.writeUInt16LE(0x014c, 4);
  pe.write('.text\0\0\0', 24, 'latin1');
  return Buffer.concat([dos, pe, noise(2048, 0x5eed)]);
}

function elfStub(): Buffer {
  const header = Buffer.alloc(64);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(header);
  header.writeUInt16LE(2, 16); // executable
  header.writeUInt16LE(0x3e, 18); // x86-64
  return Buffer.concat([
    header,
    Buffer.from('.text\0.data\0.bss\0GLIBC_2.2.5\0', 'latin1'),
    noise(2048, 0xe1f),
  ]);
}

function oleDocument(): Buffer {
  const header = Buffer.alloc(512);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(header);
  const entries = Buffer.from('Root Entry\0WordDocument\0SummaryInformation\0', 'utf16le');
  return Buffer.concat([header, entries, Buffer.alloc(1024)]);
}

/** The generated corpus, by file name. */
export function generatedCorpus(): CorpusFile[] {
  const lorem =
    'Quarterly figures were reviewed by the committee. Shipping resumes on Monday; ' +
    'please confirm the delivery address and the purchase order number.\n';
  return [
    { name: 'hello.exe', bytes: peStub() },
    { name: 'hello.elf', bytes: elfStub() },
    { name: 'install.sh', bytes: Buffer.from('#!/bin/sh\nset -e\necho "installing"\nexit 0\n') },
    {
      name: 'report.html',
      bytes: Buffer.from(
        '<!doctype html><html><head><title>Report</title>' +
          "<script>document.title = 'Report ' + new Date().getFullYear();</script>" +
          `</head><body><p>${lorem}</p></body></html>\n`,
      ),
    },
    { name: 'letter.doc', bytes: oleDocument() },
    { name: 'readme.txt', bytes: Buffer.from(lorem.repeat(40)) },
    {
      name: 'invoice.csv',
      bytes: Buffer.from('item,quantity,price\nwidget,4,2.50\nbolt,100,0.05\n'),
    },
    { name: 'zeros.bin', bytes: Buffer.alloc(64 * 1024) },
    { name: 'noise.bin', bytes: noise(64 * 1024, 0xc0ffee) },
  ];
}

/** Write the generated corpus into `dir` unless it already holds files. */
export function ensureCleanCorpus(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  if (fs.readdirSync(dir).length > 0) return;
  for (const file of generatedCorpus()) fs.writeFileSync(path.join(dir, file.name), file.bytes);
}

/** Every regular file directly inside `dir`, sorted by name. */
export function readCorpus(dir: string): CorpusFile[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name)
    .sort()
    .map((name) => ({ name, bytes: fs.readFileSync(path.join(dir, name)) }));
}
