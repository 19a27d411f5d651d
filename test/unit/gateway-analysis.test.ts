/** Classification, research-rule conventions and generated signatures of the back office (SPEC §7). */
import { describe, expect, it } from 'vitest';
import { classifyContent, extensionOf } from '../../src-main/gateway/analysis/classify.js';
import { generatedCorpus } from '../../src-main/gateway/analysis/clean-corpus.js';
import { categoryOf, ruleNameOf } from '../../src-main/gateway/analysis/research-rules.js';
import {
  signaturesForFinding,
  signaturesForVerdict,
} from '../../src-main/gateway/sets/generate-signatures.js';

const b = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(
    parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))),
  );

describe('classification', () => {
  it.each([
    ['PE', b('MZ', [0x90, 0, 3]), {}, 'binary'],
    ['ELF', b([0x7f, 0x45, 0x4c, 0x46, 2]), {}, 'binary'],
    ['Mach-O 64', b([0xcf, 0xfa, 0xed, 0xfe, 7]), {}, 'binary'],
    ['Mach-O universal', b([0xca, 0xfe, 0xba, 0xbe, 0]), {}, 'binary'],
    ['a script with an interpreter line', b('#!/bin/sh\necho hi\n'), {}, 'binary'],
    [
      'a .com program (no magic) by extension',
      b('X5O!P'),
      { fileName: 'C:\\TEMP\\TEST.COM' },
      'binary',
    ],
    ['a VBScript by X-Sample-Extension', b('MsgBox "hi"'), { extension: 'VBS' }, 'binary'],
    [
      'HTML with a script',
      b('<html><SCRIPT>alert(1)</SCRIPT></html>'),
      { fileName: 'a.htm' },
      'binary',
    ],
    ['a boot sector', b([0xeb, 0x3c, 0x90]), { type: 'sector' }, 'binary'],
    [
      'OLE with a VBA project',
      b(
        [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1],
        [0, 0],
        Buffer.from('_VBA_PROJECT', 'utf16le').toJSON().data,
      ),
      { fileName: 'x.doc' },
      'macro',
    ],
    [
      'OLE without macros',
      b(
        [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1],
        Buffer.from('WordDocument', 'utf16le').toJSON().data,
      ),
      { fileName: 'x.doc' },
      'data',
    ],
    [
      'OOXML with vbaProject.bin',
      b('PK', [3, 4], 'word/vbaProject.bin'),
      { fileName: 'x.docm' },
      'macro',
    ],
    ['ODF with Basic macros', b('PK', [3, 4], 'Basic/Standard/Module1.xml'), {}, 'macro'],
    ['OOXML without macros', b('PK', [3, 4], 'word/document.xml'), { fileName: 'x.docx' }, 'data'],
    ['text', b('Dear customer, thank you.'), { fileName: 'letter.txt' }, 'data'],
    ['an image', b([0xff, 0xd8, 0xff, 0xe0]), { fileName: 'photo.jpg' }, 'data'],
  ])('%s → %s', (_label, bytes, hints, expected) => {
    expect(classifyContent(bytes, hints)).toBe(expected);
  });

  it.each([
    [{ extension: 'EXE' }, 'exe'],
    [{ fileName: 'C:\\Users\\a\\report.final.PDF' }, 'pdf'],
    [{ fileName: '/home/a/.bashrc' }, undefined],
    [{ fileName: 'C:\\noext' }, undefined],
    [{}, undefined],
  ])('extensionOf(%j) → %s', (hints, expected) => {
    expect(extensionOf(hints)).toBe(expected);
  });

  it('the generated clean corpus has programs, scripts, documents and data', () => {
    const kinds = generatedCorpus().map((f) => classifyContent(f.bytes, { fileName: f.name }));
    expect(new Set(kinds)).toEqual(new Set(['binary', 'data']));
    // Deterministic, so every gateway tests its sets against the same files.
    expect(generatedCorpus()).toEqual(generatedCorpus());
  });
});

describe('research rule conventions', () => {
  it.each([
    ['threats.ndb', 'threat'],
    ['Defer-markers.ndb', 'defer'],
    ['defer.hdb', 'defer'],
    ['unsubmittable-trojans.hsb', 'unsubmittable'],
    ['deferred-is-a-prefix-too.ndb', 'defer'],
    ['my-unsubmittable.ndb', 'threat'],
  ])('%s holds %s rules', (file, category) => {
    expect(categoryOf(file)).toBe(category);
  });

  it.each([
    ['.ndb', 'Name.A-1:0:*:41424344', 'Name.A-1'],
    ['.hdb', '44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test', 'Eicar-Test'],
    ['.hsb', `${'a'.repeat(64)}:12:Sha.Rule`, 'Sha.Rule'],
    ['.ndb', '   ', null],
    ['.ndb', '# a comment', null],
    ['.hdb', 'abc:12', null],
  ])('%s line %j declares %s', (extension, line, name) => {
    expect(ruleNameOf(extension, line)).toBe(name);
  });
});

describe('generated signatures', () => {
  it('a body rule gives an .hdb line for the sample, the rule body and its recipe', () => {
    const sigs = signaturesForFinding('ABCDEF0123456789ABCDEF0123456789', 4242, {
      category: 'threat',
      rule: 'Rule.Body-1',
      kind: 'body',
      line: 'Rule.Body-1:0:*:41424344',
      repair: { action: 'truncate' },
    });
    expect(sigs).toEqual({
      virusName: 'Rule.Body-1',
      hdb: ['abcdef0123456789abcdef0123456789:4242:Rule.Body-1'],
      ndb: ['Rule.Body-1:0:*:41424344'],
      repair: { 'Rule.Body-1': { action: 'truncate' } },
    });
  });

  it('a hash rule gives the .hdb line only, without a recipe when the rules have none', () => {
    const sigs = signaturesForFinding('00112233445566778899AABBCCDDEEFF', 10, {
      category: 'threat',
      rule: 'Rule.Hash-1',
      kind: 'hash',
      line: null,
      repair: null,
    });
    expect(sigs.ndb).toEqual([]);
    expect(sigs.repair).toEqual({});
    expect(sigs.hdb).toEqual(['00112233445566778899aabbccddeeff:10:Rule.Hash-1']);
  });

  it("an expert's verdict names the virus in an .hdb line", () => {
    expect(signaturesForVerdict('AA'.repeat(16), 7, 'Expert.X').hdb).toEqual([
      `${'aa'.repeat(16)}:7:Expert.X`,
    ]);
  });
});
