import { deflateRawSync } from 'node:zlib';
import {
  configure,
  TextReader,
  Uint8ArrayReader,
  Uint8ArrayWriter,
  ZipReader,
  ZipWriter,
} from '@zip.js/zip.js';
import { describe, expect, it } from 'vitest';
import { writeCfb } from '../../src-main/strip/cfb-writer.js';
import { readCfb, type CfbNode } from '../../src-main/strip/cfb.js';
import { contentKind } from '../../src-main/strip/content-kind.js';
import { STRIP_METHODS, stripSample, type StripResult } from '../../src-main/strip/strip-sample.js';
import { cfbNode } from '../fixtures/cfb-node.js';

configure({ useWebWorkers: false });

/** The reason of a refused strip (fails the test when it was not refused). */
function reasonOf(result: StripResult): string {
  if (result.ok) throw new Error(`expected a refusal, got ${result.method}`);
  return result.reason;
}

const SECRET = 'Quarterly results: confidential, do not forward';
const AUTHOR = 'Alice Example';
const VBA = Buffer.from('\u0001VBA project: Sub AutoOpen() Shell "calc" End Sub', 'latin1');

async function zip(entries: [string, string | Buffer][]): Promise<Buffer> {
  const writer = new ZipWriter(new Uint8ArrayWriter());
  for (const [name, data] of entries) {
    await writer.add(
      name,
      typeof data === 'string' ? new TextReader(data) : new Uint8ArrayReader(data),
    );
  }
  return Buffer.from(await writer.close());
}

async function unzip(bytes: Buffer): Promise<Map<string, Buffer>> {
  const reader = new ZipReader(new Uint8ArrayReader(bytes));
  const out = new Map<string, Buffer>();
  for (const entry of await reader.getEntries()) {
    if (!entry.directory)
      out.set(entry.filename, Buffer.from(await entry.getData(new Uint8ArrayWriter())));
  }
  await reader.close();
  return out;
}

const CONTENT_TYPES = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/>
<Override PartName="/word/vbaData.xml" ContentType="application/vnd.ms-word.vbaData+xml"/>
<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>
</Types>`;

const PACKAGE_RELS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>
</Relationships>`;

const DOCUMENT_RELS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://intranet.example/${encodeURIComponent(SECRET)}" TargetMode="External"/>
</Relationships>`;

const VBA_RELS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.microsoft.com/office/2006/relationships/wordVbaData" Target="vbaData.xml"/>
</Relationships>`;

function docm(withMacros = true): Promise<Buffer> {
  const entries: [string, string | Buffer][] = [
    ['[Content_Types].xml', CONTENT_TYPES],
    ['_rels/.rels', PACKAGE_RELS],
    [
      'word/document.xml',
      `<w:document><w:body><w:p><w:r><w:t>${SECRET}</w:t></w:r></w:p></w:body></w:document>`,
    ],
    ['word/styles.xml', '<w:styles/>'],
    ['word/media/image1.png', Buffer.from('\u0089PNG fake image bytes', 'latin1')],
    [
      'docProps/core.xml',
      `<cp:coreProperties><dc:creator>${AUTHOR}</dc:creator></cp:coreProperties>`,
    ],
  ];
  if (withMacros) {
    entries.push(
      ['word/_rels/document.xml.rels', DOCUMENT_RELS],
      ['word/vbaProject.bin', VBA],
      ['word/_rels/vbaProject.bin.rels', VBA_RELS],
      ['word/vbaData.xml', '<wne:vbaSuppData/>'],
    );
  }
  return zip(entries);
}

const MANIFEST = `<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="Basic/" manifest:media-type=""/>
 <manifest:file-entry manifest:full-path="Basic/Standard/" manifest:media-type=""/>
 <manifest:file-entry manifest:full-path="Basic/Standard/Module1.xml" manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="Basic/script-lc.xml" manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="Pictures/photo.jpg" manifest:media-type="image/jpeg"/>
</manifest:manifest>`;

const MODULE =
  '<script:module script:name="Module1">Sub Main\n Shell("calc")\nEnd Sub</script:module>';

function odt(withMacros = true): Promise<Buffer> {
  const entries: [string, string | Buffer][] = [
    ['mimetype', 'application/vnd.oasis.opendocument.text'],
    ['META-INF/manifest.xml', MANIFEST],
    [
      'content.xml',
      `<office:document-content><text:p>${SECRET}</text:p></office:document-content>`,
    ],
    [
      'meta.xml',
      `<office:meta><meta:initial-creator>${AUTHOR}</meta:initial-creator></office:meta>`,
    ],
    ['Pictures/photo.jpg', Buffer.from('JFIF fake', 'latin1')],
    ['Basic/script-lc.xml', '<library:libraries/>'],
  ];
  if (withMacros) entries.push(['Basic/Standard/Module1.xml', MODULE]);
  return zip(entries);
}

function oleDoc(withMacros = true): Buffer {
  const children = [
    cfbNode('WordDocument', 'stream', { data: Buffer.from(SECRET.repeat(200)) }),
    cfbNode('1Table', 'stream', { data: Buffer.from(SECRET.repeat(3)) }),
    cfbNode('\u0005SummaryInformation', 'stream', { data: Buffer.from(`author ${AUTHOR}`) }),
    cfbNode('\u0001CompObj', 'stream', { data: Buffer.from('Microsoft Word 97-2003 Document') }),
    cfbNode('ObjectPool', 'storage', {
      children: [cfbNode('Embedded', 'stream', { data: Buffer.from(`embedded ${SECRET}`) })],
    }),
  ];
  if (withMacros) {
    children.push(
      cfbNode('Macros', 'storage', {
        children: [
          cfbNode('PROJECT', 'stream', { data: Buffer.from('ID="{1}"\r\n') }),
          cfbNode('VBA', 'storage', {
            children: [
              cfbNode('dir', 'stream', { data: Buffer.alloc(5000, 3) }),
              cfbNode('ThisDocument', 'stream', { data: VBA }),
            ],
          }),
        ],
      }),
    );
  }
  return writeCfb(cfbNode('Root Entry', 'root', { children }));
}

function findNode(root: CfbNode, p: string): CfbNode | undefined {
  let n: CfbNode | undefined = root;
  for (const part of p.split('/')) n = n?.children.find((c) => c.name === part);
  return n;
}

describe('stripping Office Open XML', () => {
  it('keeps the macro parts and the structure that points at them', async () => {
    const result = await stripSample(await docm(), { fileName: 'C:\\Users\\alice\\report.docm' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.method).toBe(STRIP_METHODS.ooxml);
    const parts = await unzip(result.bytes);
    expect([...parts.keys()].sort()).toEqual([
      '[Content_Types].xml',
      '_rels/.rels',
      'word/_rels/document.xml.rels',
      'word/_rels/vbaProject.bin.rels',
      'word/vbaData.xml',
      'word/vbaProject.bin',
    ]);
    expect(parts.get('word/vbaProject.bin')).toEqual(VBA);
    expect(result.removed.sort()).toEqual([
      'docProps/core.xml',
      'word/document.xml',
      'word/media/image1.png',
      'word/styles.xml',
    ]);
    const rels = parts.get('word/_rels/document.xml.rels')!.toString();
    expect(rels).toContain('Target="vbaProject.bin"');
    expect(rels).not.toContain('styles.xml');
    expect(rels).not.toContain('intranet.example');
    expect(parts.get('_rels/.rels')!.toString()).not.toContain('<Relationship ');
    const types = parts.get('[Content_Types].xml')!.toString();
    expect(types).toContain('/word/vbaData.xml');
    expect(types).not.toContain('/word/document.xml');
    expect(types).toContain('Extension="bin"');
  });

  it('leaves no document text or author behind', async () => {
    const result = await stripSample(await docm());
    if (!result.ok) throw new Error(result.reason);
    const all = Buffer.concat([...(await unzip(result.bytes)).values()]).toString('latin1');
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(encodeURIComponent(SECRET));
    expect(all).not.toContain(AUTHOR);
  });

  it('refuses a document without macros', async () => {
    const result = await stripSample(await docm(false));
    expect(reasonOf(result)).toMatch(/has no macros/);
  });

  it('keeps Excel 4.0 macro sheets of a workbook', async () => {
    const bytes = await zip([
      ['[Content_Types].xml', CONTENT_TYPES],
      ['xl/workbook.xml', `<workbook>${SECRET}</workbook>`],
      ['xl/macrosheets/sheet1.xml', '<xm:macrosheet>=EXEC("calc")</xm:macrosheet>'],
      ['xl/worksheets/sheet1.xml', `<worksheet>${SECRET}</worksheet>`],
    ]);
    const result = await stripSample(bytes);
    if (!result.ok) throw new Error(result.reason);
    expect([...(await unzip(result.bytes)).keys()].sort()).toEqual([
      '[Content_Types].xml',
      'xl/macrosheets/sheet1.xml',
    ]);
  });
});

describe('stripping OpenDocument', () => {
  it('keeps Basic, mimetype (first, stored) and a filtered manifest', async () => {
    const result = await stripSample(await odt());
    if (!result.ok) throw new Error(result.reason);
    expect(result.method).toBe(STRIP_METHODS.odf);
    const parts = await unzip(result.bytes);
    expect([...parts.keys()]).toEqual([
      'mimetype',
      'META-INF/manifest.xml',
      'Basic/script-lc.xml',
      'Basic/Standard/Module1.xml',
    ]);
    // The mimetype entry must be first and uncompressed so readers can sniff the type.
    expect(result.bytes.subarray(30, 38).toString('latin1')).toBe('mimetype');
    expect(result.bytes.readUInt16LE(8)).toBe(0);
    expect(parts.get('Basic/Standard/Module1.xml')!.toString()).toBe(MODULE);
    const manifest = parts.get('META-INF/manifest.xml')!.toString();
    expect(manifest).toContain('full-path="/"');
    expect(manifest).toContain('full-path="Basic/Standard/"');
    expect(manifest).toContain('full-path="Basic/Standard/Module1.xml"');
    expect(manifest).not.toContain('content.xml');
    expect(manifest).not.toContain('Pictures');
    const all = Buffer.concat([...parts.values()]).toString('latin1');
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(AUTHOR);
    expect(result.removed.sort()).toEqual(['Pictures/photo.jpg', 'content.xml', 'meta.xml']);
  });

  it('refuses a document whose Basic folder holds only library indexes', async () => {
    const result = await stripSample(await odt(false));
    expect(reasonOf(result)).toMatch(/OpenDocument file has no macros/);
  });
});

describe('stripping OLE compound documents', () => {
  it('keeps the macro storages whole and empties every other stream', async () => {
    const result = await stripSample(oleDoc());
    if (!result.ok) throw new Error(result.reason);
    expect(result.method).toBe(STRIP_METHODS.ole);
    const root = readCfb(result.bytes);
    expect(findNode(root, 'Macros/VBA/ThisDocument')!.data).toEqual(VBA);
    expect(findNode(root, 'Macros/VBA/dir')!.data).toEqual(Buffer.alloc(5000, 3));
    expect(findNode(root, 'Macros/PROJECT')!.data.toString()).toBe('ID="{1}"\r\n');
    expect(findNode(root, 'WordDocument')!.data.length).toBe(0);
    expect(findNode(root, '1Table')!.data.length).toBe(0);
    expect(findNode(root, '\u0005SummaryInformation')!.data.length).toBe(0);
    expect(findNode(root, 'ObjectPool/Embedded')!.data.length).toBe(0);
    expect(findNode(root, '\u0001CompObj')!.data.toString()).toBe(
      'Microsoft Word 97-2003 Document',
    );
    expect(result.removed.sort()).toEqual([
      '1Table',
      'ObjectPool/Embedded',
      'WordDocument',
      '\\x05SummaryInformation',
    ]);
    expect(result.bytes.toString('latin1')).not.toContain(SECRET);
    expect(result.bytes.toString('latin1')).not.toContain(AUTHOR);
    expect(result.bytes.length).toBeLessThan(oleDoc().length);
  });

  it('refuses a compound file without macro storages', async () => {
    const result = await stripSample(oleDoc(false));
    expect(reasonOf(result)).toMatch(/no macro storage/);
  });

  it("refuses a damaged compound file with the reader's reason", async () => {
    const bytes = oleDoc();
    bytes.writeUInt32LE(0xffff, 0x30);
    const result = await stripSample(bytes);
    expect(reasonOf(result)).toMatch(/cannot be read/);
  });
});

function pe(): Buffer {
  const b = Buffer.alloc(512);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\0\0', 0x80, 'latin1');
  return b;
}

describe('content sent whole', () => {
  it.each([
    ['a PE executable', pe(), undefined],
    [
      'an ELF executable',
      Buffer.concat([Buffer.from('\u007fELF', 'latin1'), Buffer.alloc(60, 1)]),
      undefined,
    ],
    [
      'a Mach-O executable',
      Buffer.concat([Buffer.from([0xcf, 0xfa, 0xed, 0xfe]), Buffer.alloc(60)]),
      undefined,
    ],
    [
      'a universal Mach-O binary',
      Buffer.concat([Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2]), Buffer.alloc(60)]),
      undefined,
    ],
    ['a shell script', Buffer.from('#!/bin/sh\nrm -rf /tmp/x\n'), undefined],
    [
      'a VBScript by its extension',
      Buffer.from('CreateObject("WScript.Shell").Run "calc"'),
      { fileName: 'C:\\x\\run.vbs' },
    ],
    [
      'a PowerShell script named by X-Sample-Extension',
      Buffer.from('Start-Process calc'),
      { extension: 'PS1' },
    ],
  ])('sends %s unchanged', async (_what, bytes, hint) => {
    const result = await stripSample(bytes, hint);
    expect(result).toEqual({ ok: true, bytes, method: STRIP_METHODS.whole, removed: [] });
  });
});

describe('content that cannot be stripped', () => {
  it.each([
    ['a PDF', Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj'), { fileName: 'invoice.pdf' }],
    ['random data', Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff)), undefined],
    ['binary content named like a script', Buffer.from([0x41, 0, 0x42, 0]), { fileName: 'x.js' }],
    ['an empty sample', Buffer.alloc(0), undefined],
  ])('refuses %s', async (_what, bytes, hint) => {
    const result = await stripSample(bytes, hint);
    expect(reasonOf(result)).toMatch(/can be stripped/);
  });

  it('refuses a zip that is neither OOXML nor ODF', async () => {
    const result = await stripSample(await zip([['readme.txt', SECRET]]));
    expect(reasonOf(result)).toMatch(/neither an Office Open XML nor an OpenDocument/);
  });

  it('refuses a damaged zip', async () => {
    const bytes = await docm();
    const result = await stripSample(bytes.subarray(0, bytes.length - 40));
    expect(result.ok).toBe(false);
  });

  it('refuses a macro part that inflates beyond the limit (zip bomb)', async () => {
    const bomb = await zip([
      ['[Content_Types].xml', CONTENT_TYPES],
      ['word/vbaProject.bin', Buffer.alloc(65 * 1024 * 1024)],
    ]);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const result = await stripSample(bomb);
    expect(reasonOf(result)).toMatch(/too large to keep/);
  });
});

describe('content kinds', () => {
  it('tells a Java class from a universal Mach-O binary', () => {
    const java = Buffer.concat([
      Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52]),
      Buffer.alloc(20),
    ]);
    expect(contentKind(java)).toBe('java-class');
  });

  it('sees an OLE file and a zip by their signatures', async () => {
    expect(contentKind(oleDoc())).toBe('ole');
    expect(contentKind(await docm())).toBe('zip');
    expect(contentKind(deflateRawSync(Buffer.from('x')))).toBe('other');
  });
});
