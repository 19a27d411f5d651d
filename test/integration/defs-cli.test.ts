/** `cq defs build` and `cq defs verify` as administrators run them (the built `cq`). */
import fs from 'node:fs';
import path from 'node:path';
import { TextReader, Uint8ArrayWriter, ZipWriter } from '@zip.js/zip.js';
import { describe, expect, it } from 'vitest';
import { runCq } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

function signatureFolder(): string {
  const dir = tempDir('cq-defs-cli-');
  fs.writeFileSync(path.join(dir, 'main.ndb'), 'Cli.Test:0:*:434c4954455354\n');
  fs.writeFileSync(path.join(dir, 'repair.json'), '{"Cli.Test":{"action":"excise"}}\n');
  return dir;
}

describe('cq defs', () => {
  it.each([[['defs']], [['defs', 'build']], [['defs', 'verify']]])('%j --help', async (words) => {
    const result = await runCq([...words, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Usage: cq defs/);
  });

  it('builds a package that verify accepts and describes', async () => {
    const from = signatureFolder();
    const out = tempDir('cq-defs-out-');
    const built = await runCq([
      'defs',
      'build',
      '--sequence',
      '12',
      '--from',
      from,
      '--out',
      out,
      '--certified',
      '--produced',
      '2026-03-14T10:00:00Z',
    ]);
    expect(built.code).toBe(0);
    const file = path.join(out, '00000012.all.zip');
    expect(built.stdout).toMatch(
      /^built .*00000012\.all\.zip: sequence 12, version 2026\.03\.14\.001, all, certified, 2 files, md5 [0-9a-f]{32}\n$/,
    );
    const checked = await runCq(['defs', 'verify', file]);
    expect(checked.code).toBe(0);
    expect(checked.stdout).toContain('sequence 12\n');
    expect(checked.stdout).toContain('version 2026.03.14.001 (260314a)\n');
    expect(checked.stdout).toContain('certified yes\n');
    expect(checked.stdout).toMatch(/ {2}[0-9a-f]{32} {2}main\.ndb\n/);
    expect(checked.stdout).toMatch(/ {2}[0-9a-f]{32} {2}repair\.json\n/);
  });

  it('builds an incr set with its base', async () => {
    const file = path.join(tempDir('cq-defs-out-'), 'incr.zip');
    const built = await runCq([
      'defs',
      'build',
      '--sequence',
      '13',
      '--from',
      signatureFolder(),
      '--out',
      file,
      '--kind',
      'incr',
      '--base',
      '12',
    ]);
    expect(built.code).toBe(0);
    expect((await runCq(['defs', 'verify', file])).stdout).toContain('kind incr (base 12)\n');
  });

  it.each([
    [['--kind', 'incr'], /--kind incr needs --base N/],
    [['--base', '3'], /--base is only for --kind incr/],
    [['--set-version', '2026.02.30.001'], /invalid manifest: version/],
    [['--kind', 'full'], /expected all or incr/],
  ])('refuses to build with %j', async (extra, reason) => {
    const out = path.join(tempDir('cq-defs-out-'), 'x.zip');
    const result = await runCq([
      'defs',
      'build',
      '--sequence',
      '4',
      '--from',
      signatureFolder(),
      '--out',
      out,
      ...extra,
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(reason);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('refuses a folder holding something that is not a signature file', async () => {
    const from = signatureFolder();
    fs.writeFileSync(path.join(from, 'notes.txt'), 'hello');
    const result = await runCq([
      'defs',
      'build',
      '--sequence',
      '4',
      '--from',
      from,
      '--out',
      tempDir('cq-defs-out-'),
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'cq: cannot package "notes.txt": not a flat signature file name (letters, digits, ".", "_", "-"; .hdb .hsb .ndb .ldb .yar .json)\n',
    );
  });

  it('prints unpackage and its reason, exiting non-zero, for a hostile package', async () => {
    const writer = new ZipWriter(new Uint8ArrayWriter(), { useWebWorkers: false });
    await writer.add('manifest.json', new TextReader('{}'));
    await writer.add('../evil.ndb', new TextReader('Evil:0:*:41414141\n'));
    const file = path.join(tempDir('cq-defs-out-'), 'evil.zip');
    fs.writeFileSync(file, await writer.close());
    const result = await runCq(['defs', 'verify', file]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'cq: unpackage entry "../evil.ndb" points outside the package (zip-slip)\n',
    );
  });

  it('checks the package MD5 when given', async () => {
    const out = tempDir('cq-defs-out-');
    await runCq(['defs', 'build', '--sequence', '2', '--from', signatureFolder(), '--out', out]);
    const result = await runCq([
      'defs',
      'verify',
      path.join(out, '00000002.all.zip'),
      '--md5',
      'ffffffffffffffffffffffffffffffff',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^cq: unpackage package MD5 [0-9a-f]{32} differs from the expected f{32}\n$/,
    );
  });
});
