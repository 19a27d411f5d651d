/**
 * Restore and repair destinations (SPEC §6): an endpoint's `X-Sample-File` is untrusted. Each
 * hostile value below is sanitised to a plain name and written — for real — strictly inside the
 * chosen folder, or refused; nothing lands anywhere else and nothing is overwritten unasked.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkDestination,
  safeFileName,
  targetPath,
  writeIntoFolder,
} from '../../src-main/server/control/restore.js';
import { tempDir } from '../helpers/temp.js';

const FALLBACK = 'sample-7.bin';
const DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$|clock\$)$/i;

/** [what, reported X-Sample-File, expected name or a check of it]. */
const HOSTILE: [string, string, string | RegExp][] = [
  ['parent segments', '..\\..\\Windows\\System32\\evil.dll', 'evil.dll'],
  ['POSIX parent segments', '../../../etc/passwd', 'passwd'],
  ['bare ..', '..', FALLBACK],
  ['bare .', '.', FALLBACK],
  ['only dots', '.....', FALLBACK],
  ['dots then a separator', '..\\', FALLBACK],
  ['empty', '', FALLBACK],
  ['only spaces', '    ', FALLBACK],
  ['drive-relative', 'C:foo.exe', 'foo.exe'],
  ['bare drive', 'C:', FALLBACK],
  ['drive root path', 'C:\\autoexec.bat', 'autoexec.bat'],
  ['UNC path', '\\\\server\\share\\x.doc', 'x.doc'],
  ['UNC share only', '\\\\server\\share\\', FALLBACK],
  ['\\\\?\\ long path', '\\\\?\\C:\\dir\\x.exe', 'x.exe'],
  ['\\\\.\\ device path', '\\\\.\\PhysicalDrive0', 'PhysicalDrive0'],
  ['\\\\.\\ device name', '\\\\.\\CON', '_CON'],
  ['alternate data stream', 'a.txt:evil.exe', 'a.txt_evil.exe'],
  ['ADS with stream type', 'report.doc:Zone.Identifier:$DATA', 'report.doc_Zone.Identifier_$DATA'],
  ['reserved CON', 'CON', '_CON'],
  ['reserved with trailing space', 'COM1 ', '_COM1'],
  ['reserved with extension', 'NUL.txt', '_NUL.txt'],
  ['reserved LPT9 with extension', 'C:\\logs\\LPT9.log', '_LPT9.log'],
  ['reserved lower case', 'aux.c', '_aux.c'],
  ['reserved superscript port', 'COM¹.txt', '_COM¹.txt'],
  ['reserved CONIN$', 'CONIN$', '_CONIN$'],
  ['reserved before a space and extension', 'PRN .txt', '_PRN .txt'],
  ['trailing dots', 'invoice.exe...', 'invoice.exe'],
  ['trailing spaces', 'invoice.exe   ', 'invoice.exe'],
  ['trailing dots and spaces', 'invoice.exe. . .', 'invoice.exe'],
  ['leading dot (hidden)', '.bashrc', 'bashrc'],
  ['absolute POSIX path', '/etc/cron.d/job', 'job'],
  ['absolute POSIX directory', '/etc/', FALLBACK],
  ['mixed separators', 'C:/Users\\bob/..\\..//x.js', 'x.js'],
  ['URL-encoded dots', '%2e%2e', '%2e%2e'],
  ['URL-encoded traversal', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '%2e%2e%2f%2e%2e%2fetc%2fpasswd'],
  ['NUL byte', 'a.txt\0.exe', 'a.txt_.exe'],
  ['newline', 'a\nb.txt', 'a_b.txt'],
  ['control characters', '\x01\x02evil\x7f.exe', '__evil_.exe'],
  ['right-to-left override', 'invoice\u202Etxt.exe', 'invoice_txt.exe'],
  ['zero-width characters', 'a\u200Bb.exe', 'a_b.exe'],
  ['reserved punctuation', 'a<b>c"d|e?f*.exe', 'a_b_c_d_e_f_.exe'],
  ['name of 300 characters', 'x'.repeat(300) + '.docx', /^x{195}\.docx$/],
  ['300 characters and no extension', 'y'.repeat(300), /^y{200}$/],
  ['300 multibyte characters', 'é'.repeat(300) + '.txt', /^é{98}\.txt$/],
  ['long extension', 'a.' + 'b'.repeat(299), /^a\.b{198}$/],
  ['Windows path with trailing dot directory', 'C:\\dir.\\file', 'file'],
];

describe('hostile X-Sample-File values', () => {
  it('has at least 30 cases', () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(30);
  });

  it.each(HOSTILE)('%s is sanitised to a plain name', (_what, reported, expected) => {
    const name = safeFileName(reported, FALLBACK);
    if (typeof expected === 'string') expect(name).toBe(expected);
    else expect(name).toMatch(expected);
    expect(name).not.toMatch(/[\\/:\0<>"|?*\p{Cc}\p{Cf}]/u);
    expect(name).not.toMatch(/^[.\s]|[.\s]$/);
    expect(DEVICE.test(name.split('.')[0]!.trimEnd())).toBe(false);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(200);
  });

  it.each(HOSTILE)('%s is written strictly inside the chosen folder', async (_what, reported) => {
    const root = tempDir('cq-restore-');
    const folder = path.join(root, 'chosen');
    fs.mkdirSync(folder);
    const name = safeFileName(reported, FALLBACK);
    const written = await writeIntoFolder(folder, name, Buffer.from('content'), {
      overwrite: false,
    });
    expect(path.dirname(fs.realpathSync(written))).toBe(fs.realpathSync(folder));
    expect(fs.readdirSync(folder)).toEqual([name]);
    expect(fs.readdirSync(root)).toEqual(['chosen']);
    expect(fs.readFileSync(written, 'utf8')).toBe('content');
  });
});

describe('writing into the folder', () => {
  it.each([
    ['empty', ''],
    ['dot', '.'],
    ['dot dot', '..'],
    ['a separator', 'a/b'],
    ['a backslash', 'a\\b'],
    ['a NUL', 'a\0b'],
  ])('refuses a raw name that is %s', (_what, name) => {
    expect(() => targetPath('/srv/restore', name)).toThrow(/refusing the file name/);
  });

  it('never overwrites unasked, and replaces when asked', async () => {
    const folder = tempDir('cq-restore-');
    await writeIntoFolder(folder, 'a.bin', Buffer.from('first'), { overwrite: false });
    await expect(
      writeIntoFolder(folder, 'a.bin', Buffer.from('second'), { overwrite: false }),
    ).rejects.toThrow(/already exists/);
    expect(fs.readFileSync(path.join(folder, 'a.bin'), 'utf8')).toBe('first');
    await writeIntoFolder(folder, 'a.bin', Buffer.from('third'), { overwrite: true });
    expect(fs.readFileSync(path.join(folder, 'a.bin'), 'utf8')).toBe('third');
    expect(fs.readdirSync(folder)).toEqual(['a.bin']);
  });

  it('replaces a planted symbolic link itself, never the file it points to', async () => {
    const folder = tempDir('cq-restore-');
    const outside = path.join(tempDir('cq-outside-'), 'victim.txt');
    fs.writeFileSync(outside, 'keep me');
    fs.symlinkSync(outside, path.join(folder, 'x.txt'));
    await expect(
      writeIntoFolder(folder, 'x.txt', Buffer.from('evil'), { overwrite: false }),
    ).rejects.toThrow(/already exists/);
    await writeIntoFolder(folder, 'x.txt', Buffer.from('evil'), { overwrite: true });
    expect(fs.readFileSync(outside, 'utf8')).toBe('keep me');
    expect(fs.lstatSync(path.join(folder, 'x.txt')).isSymbolicLink()).toBe(false);
  });
});

describe('destination folders', () => {
  it.each([
    ['a relative folder', 'restore', /absolute/],
    [
      'a Windows path on this host',
      'C:\\Restore',
      process.platform === 'win32' ? /exist/ : /absolute/,
    ],
    ['a missing folder', '/nonexistent/cq/restore', /does not exist/],
  ])('refuses %s', (_what, folder, reason) => {
    expect(checkDestination(folder)).toMatch(reason);
  });

  it('refuses a file, the protected folders and anything inside them', () => {
    const data = tempDir('cq-data-');
    const file = path.join(data, 'f');
    fs.writeFileSync(file, '');
    fs.mkdirSync(path.join(data, 'quarantine', 'blobs'), { recursive: true });
    expect(checkDestination(file)).toMatch(/not a folder/);
    expect(checkDestination(data, [data])).toMatch(/server's own data/);
    expect(checkDestination(path.join(data, 'quarantine', 'blobs'), [data])).toMatch(
      /server's own data/,
    );
    const elsewhere = tempDir('cq-restore-');
    expect(checkDestination(elsewhere, [data])).toBeNull();
  });
});
