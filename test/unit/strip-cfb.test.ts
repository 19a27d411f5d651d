import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compareCfbNames, writeCfb } from '../../src-main/strip/cfb-writer.js';
import { CfbError, isCfb, readCfb, type CfbNode } from '../../src-main/strip/cfb.js';
import { tempDir } from '../helpers/temp.js';
import { cfbNode as node } from '../fixtures/cfb-node.js';

/**
 * A Word-like compound file written by libgsf (`gsf createole`), deflated and base64-encoded:
 * an independent writer, so reading it checks the reader against someone else's layout
 * (mini stream, regular sectors, nested storages).
 */
const GSF_MACRO_DOC = [
  '7Zx5dBNVFMa/pC1tA+kClKUUeEStRWV3RYumTZSipdjE1h0nk6kJTPLKZEZaEHBBccV9X3HfFfd930XBBcEFLYob',
  '7oq7NDqTF83hHGLS/oH03HtOzpn5nXnvm++d++a+f25WLC/tWLK0fC02iUnIQWe8EL1SmA1ARfKmBBgiWGc8HjfR',
  'cABxiq0qYLPn5Ob1yi8odPTu4ywqLint269/2YCBgwaXD6kYOmw4G+HaZtvtKrevGrnDjjuNGj1m7LjxE3beZdfd',
  'dt9j4p57VU/aex93Ta3Hu+9+k+um7H9A/dSGaQc2+vwHNTUffMihhx1+xJHTj5ICclBpOToUnjFTjUR56ywtphvH',
  'zG5rnzP32HnzFxx3/AknLjzp5EWnnHra6Wecufiss88597zzL7jwoosvufSyy6+48qqrl1xz7XXX33DjTTffcutt',
  't99x511L777n3vvuf+DBhx5+5NHHHn/iyaeefubZ555/4cWXXn5l2auvLV/x+htvvrXy7VWr33n3vffXfPBhx9qP',
  'Pl73yaefff7F+i+/+vqbb7/7/ocfN/z08y+//vb7H39u7CT/5J/8k3/yT/7JP/kn/+Sf/JN/8k/+yT/5J//kv0f7',
  '93lrG71+ZsQUjelKmz6aESFChAgRIkSIECFChAgRIkSIECFChAgRIkSIECFCpKcSUPToqA/LGo/xFp01cy04ysNn',
  'GhElqqPeZ957uPwf4yVDD3FtInOrYVlh3jYp0qoqWejrUkBVWFDSJUaXdLmZy83nj1vXtXDA0BXWVDN9qhRRWDVz',
  '+UPhmIfLVia7nA6fEWBuQ+cNrUq0aqTTwXwhRVWZS5ZU2eV0eKNB5jMCTsf/da50+6fOU+2aO1bEPJfTkZy/OlVs',
  'TOXk5DObTGf27pm/HAC5APIAq+cvH0ABgEIADvFcHwBOAEUp4yi27mgEB4cOBi+i0KGhPav6MQB5tuRcORmOGQyR',
  'bFb/aC04ImhFAwKYkXX96gu7pV8oek/TPbuQr+xYPH+N2bKKEYLlwQcDEUQgWd7rEEULODSL6AiDI5pmziqh/08/',
  'ZZpYFknomy9QJtg4+CEhABVKl+p3kdDPzcD/eDWhbwdQaRf1HxJkaOCIdVHfZunbxLcjk+hMec8m1MDdjfNLgdAv',
  'EN+tbPWDCEPrln5i/fMzWP857f/mH/onmB8hhBGDBxyylYmKtQ8zjfIs8m/97IR+7799rxNsGhrRgCnwohb+Lvgv',
  'yUK/alZCvxjABMGarb0W7LZ/ewbrvyGU0DfrGaugs3+yp99cu3T139wvZs6k1v/ixF8AoNT6BgP9REqXWTUBGAhg',
  'kBhbnnJeGApgmLjfSOV3i8df',
].join('');
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

const stream = (name: string, data: Buffer): CfbNode => node(name, 'stream', { data });
const storage = (name: string, children: CfbNode[]): CfbNode =>
  node(name, 'storage', { children, clsid: Buffer.alloc(16, 7) });

function find(root: CfbNode, pathText: string): CfbNode | undefined {
  let current: CfbNode | undefined = root;
  for (const part of pathText.split('/')) current = current?.children.find((c) => c.name === part);
  return current;
}

/** Every stream as path → MD5, for comparing trees. */
function flatten(root: CfbNode, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const child of root.children) {
    const p = prefix + child.name;
    if (child.kind === 'stream') out[p] = `${child.data.length}:${md5(child.data)}`;
    else Object.assign(out, { [p + '/']: 'storage' }, flatten(child, p + '/'));
  }
  return out;
}

function pattern(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

function hasGsf(): boolean {
  try {
    execFileSync('gsf', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('compound file reader', () => {
  const fixture = inflateRawSync(Buffer.from(GSF_MACRO_DOC, 'base64'));

  it('recognises the signature', () => {
    expect(isCfb(fixture)).toBe(true);
    expect(isCfb(Buffer.from('PK\u0003\u0004'.padEnd(600, '\0')))).toBe(false);
  });

  it('reads a file written by libgsf: storages, mini-stream and regular streams', () => {
    const root = readCfb(fixture);
    expect(root.kind).toBe('root');
    expect(find(root, 'Macros')?.kind).toBe('storage');
    expect(find(root, 'Macros/VBA')?.kind).toBe('storage');
    // 5120 bytes: above the mini-stream cutoff, in regular sectors.
    expect(find(root, 'Macros/VBA/dir')?.data.toString('hex')).toBe(
      Buffer.concat(
        Array.from({ length: 20 }, () => Buffer.from(Array.from({ length: 256 }, (_, i) => i))),
      ).toString('hex'),
    );
    // Small streams come from the mini stream.
    expect(find(root, 'Macros/VBA/ThisDocument')?.data.toString('latin1')).toContain(
      'Sub AutoOpen()',
    );
    expect(find(root, 'Macros/PROJECT')?.data.toString('latin1')).toBe(
      'ID="{00000000}"\r\nDocument=ThisDocument/&H00000000\r\n',
    );
    expect(find(root, 'WordDocument')?.data.length).toBe(7200);
    expect(find(root, 'WordDocument')?.data.toString('latin1')).toMatch(/^SECRET user text\. /);
    expect(find(root, '1Table')?.data.length).toBe(550);
  });

  it.each([
    ['a bad signature', (b: Buffer) => b.fill(0, 0, 8), /signature/],
    ['a bad byte order mark', (b: Buffer) => b.writeUInt16LE(0x1234, 0x1c), /byte order/],
    ['an unsupported version', (b: Buffer) => b.writeUInt16LE(5, 0x1a), /unsupported version/],
    [
      'a directory chain pointing outside the file',
      (b: Buffer) => b.writeUInt32LE(100_000, 0x30),
      /outside the file|broken sector chain/,
    ],
    [
      'more FAT sectors than the file holds',
      (b: Buffer) => b.writeUInt32LE(1000, 0x2c),
      /exceeds the file/,
    ],
  ])('refuses %s', (_what, damage, message) => {
    const copy = Buffer.from(fixture);
    damage(copy);
    expect(() => readCfb(copy)).toThrow(CfbError);
    expect(() => readCfb(copy)).toThrow(message);
  });

  it('refuses a FAT chain that loops', () => {
    const root = node('Root Entry', 'root', { children: [stream('Big', pattern(5000, 1))] });
    const bytes = writeCfb(root);
    // The big stream starts at sector 0; point its second sector back at the first.
    const fatSector = bytes.readUInt32LE(0x4c);
    bytes.writeUInt32LE(0, (fatSector + 1) * 512 + 4);
    expect(() => readCfb(bytes)).toThrow(/loops|longer than its sector chain/);
  });
});

describe('compound file writer', () => {
  const tree = node('Root Entry', 'root', {
    children: [
      stream('WordDocument', pattern(9000, 3)),
      stream('\u0005SummaryInformation', pattern(300, 4)),
      stream('Empty', Buffer.alloc(0)),
      storage('Macros', [
        stream('PROJECT', pattern(64, 5)),
        stream('PROJECTwm', pattern(65, 6)),
        storage('VBA', [
          stream('dir', pattern(4096, 7)),
          stream('ThisDocument', pattern(4095, 8)),
          stream('_VBA_PROJECT', pattern(7, 9)),
        ]),
      ]),
      ...Array.from({ length: 40 }, (_, i) => stream(`S${i}`, pattern(i * 37, i))),
    ],
  });

  it('writes what it reads back, stream for stream', () => {
    const bytes = writeCfb(tree);
    expect(bytes.length % 512).toBe(0);
    const back = readCfb(bytes);
    expect(flatten(back)).toEqual(flatten(tree));
    expect(find(back, 'Macros')?.clsid).toEqual(Buffer.alloc(16, 7));
  });

  it('survives a second round trip unchanged', () => {
    const once = writeCfb(tree);
    expect(writeCfb(readCfb(once)).equals(once)).toBe(true);
  });

  it('writes files with more FAT sectors than the header lists (DIFAT)', () => {
    // 110 FAT sectors cover 14 080 sectors of 512 bytes: a stream of 7.5 MB needs more.
    const big = pattern(7_500_000, 11);
    const bytes = writeCfb(
      node('Root Entry', 'root', {
        children: [stream('Big', big), stream('Small', pattern(10, 1))],
      }),
    );
    expect(bytes.readUInt32LE(0x2c)).toBeGreaterThan(109);
    expect(bytes.readUInt32LE(0x48)).toBeGreaterThan(0);
    const back = readCfb(bytes);
    expect(md5(find(back, 'Big')!.data)).toBe(md5(big));
    expect(find(back, 'Small')!.data).toEqual(pattern(10, 1));
  });

  it('orders siblings as [MS-CFB] requires', () => {
    const names = ['b', 'A', 'aa', 'C', 'Ba'];
    expect([...names].sort(compareCfbNames)).toEqual(['A', 'b', 'C', 'aa', 'Ba']);
  });

  it('refuses names longer than 31 characters', () => {
    const root = node('Root Entry', 'root', {
      children: [stream('x'.repeat(32), Buffer.alloc(1))],
    });
    expect(() => writeCfb(root)).toThrow(/name too long/);
  });

  it.skipIf(!hasGsf())('writes files libgsf can read', () => {
    const file = path.join(tempDir('cq-cfb-'), 'written.doc');
    writeFileSync(file, writeCfb(tree));
    const listing = execFileSync('gsf', ['list', file], { encoding: 'utf8' });
    expect(listing).toMatch(/Macros\/VBA\/ThisDocument/);
    const dir = execFileSync('gsf', ['cat', file, 'Macros/VBA/dir']);
    expect(md5(dir)).toBe(md5(pattern(4096, 7)));
    const doc = execFileSync('gsf', ['cat', file, 'WordDocument']);
    expect(md5(doc)).toBe(md5(pattern(9000, 3)));
  });
});
