import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WireError } from '../../src-shared/catalog/errors.js';
import { base64Decode, base64Encode } from '../../src-shared/codec/base64.js';
import {
  Base64Decoder,
  Base64Encoder,
  Base64Error,
  contentPlanFromHeaders,
  xorVampish,
  xorVampishInPlace,
} from '../../src-shared/codec/transforms.js';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

function concat(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

/** Byte-by-byte reference of xor-vampish. */
function referenceXor(bytes: Uint8Array, offset: number): Uint8Array {
  const key = ascii('vampish');
  return bytes.map((b, i) => b ^ key[(offset + i) % 7]!);
}

describe('base64 (pure TypeScript)', () => {
  it.each([0, 1, 2, 3, 4, 5, 57, 58, 59, 100, 1000])('encodes %i bytes like MIME does', (n) => {
    const bytes = randomBytes(n);
    expect(base64Encode(bytes)).toBe(bytes.toString('base64'));
    expect(Buffer.from(base64Decode(bytes.toString('base64')))).toEqual(bytes);
  });

  it.each([
    ['', ''],
    ['Zg==', 'f'],
    ['Zm8=', 'fo'],
    ['Zm9v', 'foo'],
    ['Zm9vYg==', 'foob'],
    ['Zm9v\r\nYmFy', 'foobar'],
    [' Zm 9v YmE= \r\n', 'fooba'],
  ])('decodes %j to %j', (input, output) => {
    expect(text(base64Decode(input))).toBe(output);
  });

  it.each([
    ['invalid character', 'Zm9v*mFy', /invalid character 0x2a at offset 4/],
    ['non-Latin-1 character', 'Zm9vЖ', /invalid character/],
    ['padding too early', 'Z===', /misplaced padding/],
    ['padding at group start', 'Zm9v=', /misplaced padding/],
    ['data after padding', 'Zg==Zg==', /data after padding/],
    ['missing padding', 'Zg', /truncated final group/],
    ['half the padding', 'Zg=', /incomplete padding/],
    ['a lone character', 'Zm9vY', /truncated final group/],
  ])('refuses %s', (_, input, message) => {
    expect(() => base64Decode(input)).toThrow(Base64Error);
    expect(() => base64Decode(input)).toThrow(message);
  });
});

describe('Base64Decoder (streaming)', () => {
  const source = randomBytes(300);
  const encoded = source.toString('base64').replace(/.{76}/g, '$&\r\n');

  it.each([1, 2, 3, 4, 5, 7, 64, 1000])('decodes text pushed in slices of %i', (size) => {
    const decoder = new Base64Decoder();
    const parts: Uint8Array[] = [];
    for (let i = 0; i < encoded.length; i += size)
      parts.push(decoder.push(ascii(encoded.slice(i, i + size))));
    parts.push(decoder.end());
    expect(Buffer.from(concat(parts))).toEqual(source);
  });

  it('accepts padding split across slices', () => {
    const decoder = new Base64Decoder();
    const out = concat([
      decoder.push(ascii('Zm9vYg=')),
      decoder.push(ascii('=\r\n')),
      decoder.end(),
    ]);
    expect(text(out)).toBe('foob');
  });

  it.each([
    ['data after padding in a later slice', ['Zg==', 'Zg==']],
    ['a bad character in a later slice', ['Zm9v', 'Y-Fy']],
    ['padding followed by data', ['Zg=', 'g=']],
  ])('throws on %s', (_, slices) => {
    const decoder = new Base64Decoder();
    expect(() => {
      for (const slice of slices) decoder.push(ascii(slice));
      decoder.end();
    }).toThrow(Base64Error);
  });

  it('throws at the end when the last group is incomplete', () => {
    const decoder = new Base64Decoder();
    expect(text(decoder.push(ascii('Zm9vYm')))).toBe('foo');
    expect(() => decoder.end()).toThrow(/truncated/);
  });
});

describe('Base64Encoder (streaming)', () => {
  const source = randomBytes(1000);

  it.each([1, 2, 3, 10, 999])('matches one-shot encoding when fed %i bytes at a time', (size) => {
    const encoder = new Base64Encoder();
    const parts: Uint8Array[] = [];
    for (let i = 0; i < source.length; i += size)
      parts.push(encoder.push(source.subarray(i, i + size)));
    parts.push(encoder.end());
    expect(text(concat(parts))).toBe(source.toString('base64'));
  });

  it('breaks lines at the requested length with CRLF', () => {
    const encoder = new Base64Encoder(76);
    const out = text(
      concat([
        encoder.push(source.subarray(0, 500)),
        encoder.push(source.subarray(500)),
        encoder.end(),
      ]),
    );
    const lines = out.split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -2).every((l) => l.length === 76)).toBe(true);
    expect(out.replace(/\r\n/g, '')).toBe(source.toString('base64'));
    expect(Buffer.from(base64Decode(out))).toEqual(source);
  });

  it('refuses line lengths that would split a group', () => {
    expect(() => new Base64Encoder(75)).toThrow(RangeError);
  });
});

describe('xor-vampish', () => {
  it('XORs with the repeating key "vampish"', () => {
    expect([...xorVampish(ascii('vampishvampish'), 0)]).toEqual(new Array(14).fill(0));
    expect([...xorVampish(new Uint8Array(3), 5)]).toEqual([...ascii('shv')]);
  });

  it('is its own inverse and does not touch its input', () => {
    const input = randomBytes(1000);
    const copy = Buffer.from(input);
    const scrambled = xorVampish(input, 3);
    expect(Buffer.from(scrambled)).not.toEqual(input);
    expect(input).toEqual(copy);
    expect(Buffer.from(xorVampish(scrambled, 3))).toEqual(input);
  });

  it('matches the byte-wise reference for every length, offset and alignment', () => {
    const backing = randomBytes(400);
    for (let start = 0; start < 4; start++) {
      for (const length of [0, 1, 6, 7, 63, 64, 65, 100, 301]) {
        for (let offset = 0; offset < 15; offset++) {
          const view = new Uint8Array(backing.buffer, backing.byteOffset + start, length);
          const expected = referenceXor(view, offset);
          const inPlace = Uint8Array.from(view);
          xorVampishInPlace(inPlace, offset);
          expect(inPlace).toEqual(expected);
          expect(xorVampish(view, offset)).toEqual(expected);
        }
      }
    }
  });

  it('continues the key across chunks', () => {
    const whole = randomBytes(1000);
    const parts = [whole.subarray(0, 333), whole.subarray(333, 334), whole.subarray(334)];
    let offset = 0;
    const pieces = parts.map((p) => {
      const out = xorVampish(p, offset);
      offset += p.length;
      return out;
    });
    expect(concat(pieces)).toEqual(xorVampish(whole, 0));
  });
});

describe('contentPlanFromHeaders', () => {
  const plan = (headers: Record<string, string>) => contentPlanFromHeaders((name) => headers[name]);

  it('reads absent headers as "not applied"', () => {
    expect(plan({})).toEqual({
      compression: null,
      scrambling: null,
      encoding: null,
      checksumMethod: 'md5',
    });
  });

  it('reads every method, in any case', () => {
    expect(
      plan({
        'X-Checksum-Method': 'MD5',
        'X-Content-Compression': 'deflate',
        'X-Content-Scrambling': ' XOR-Vampish ',
        'X-Content-Encoding': 'Base64',
      }),
    ).toEqual({
      compression: 'deflate',
      scrambling: 'xor-vampish',
      encoding: 'base64',
      checksumMethod: 'md5',
    });
  });

  it.each([
    ['X-Content-Compression', 'zip'],
    ['X-Content-Compression', 'gzip'],
    ['X-Content-Scrambling', 'xor'],
    ['X-Content-Encoding', 'quoted-printable'],
    ['X-Checksum-Method', 'sha1'],
  ])('refuses %s: %s as malformed', (name, value) => {
    let caught: unknown;
    try {
      plan({ [name]: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(WireError);
    expect(caught).toMatchObject({ code: 'malformed', params: [name], httpStatus: 400 });
  });
});
