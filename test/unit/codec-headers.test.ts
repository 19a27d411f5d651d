import { describe, expect, it } from 'vitest';
import {
  HeaderSyntaxError,
  decodeHeaderValue,
  encodeHeaderValue,
  formatHeaderBlock,
  parseHeaderBlock,
} from '../../src-shared/codec/headers.js';

const PATH = 'C:\\Users\\Jürgen\\Документы\\файл.doc';

describe('parseHeaderBlock', () => {
  it('reads CRLF and LF blocks alike, trimming values', () => {
    const expected = [
      { name: 'X-Sample-Type', value: 'file' },
      { name: 'X-Platform-Host', value: 'pc1.example.com' },
      { name: 'X-Empty', value: '' },
    ];
    const lines = ['X-Sample-Type: file', 'X-Platform-Host:pc1.example.com  ', 'X-Empty:'];
    expect(parseHeaderBlock(lines.join('\r\n') + '\r\n')).toEqual(expected);
    expect(parseHeaderBlock(lines.join('\n'))).toEqual(expected);
  });

  it('unfolds continuation lines', () => {
    const text = 'X-Platform-Owner: Jim Hill,\r\n Symantec\r\n\tCorp\r\nX-Next: 1\r\n';
    expect(parseHeaderBlock(text)).toEqual([
      { name: 'X-Platform-Owner', value: 'Jim Hill, Symantec\tCorp' },
      { name: 'X-Next', value: '1' },
    ]);
  });

  it('stops at the first empty line', () => {
    expect(parseHeaderBlock('A: 1\r\n\r\nbody without colon\r\n')).toEqual([
      { name: 'A', value: '1' },
    ]);
  });

  it('keeps repeated names as separate entries', () => {
    expect(parseHeaderBlock('A: 1\nA: 2')).toHaveLength(2);
  });

  it.each([
    ['A: 1\r\nno colon here\r\n', 2, /line 2: no colon in header line "no colon here"/],
    [' starts folded\r\n', 1, /line 1: continuation line/],
    ['Bad Name: x\r\n', 1, /line 1: invalid header name "Bad Name"/],
    [': no name\r\n', 1, /line 1: invalid header name ""/],
    ['A: 1\rB: 2\r\n', 1, /line 1: carriage return/],
  ])('refuses %j at line %i', (text, line, message) => {
    let caught: unknown;
    try {
      parseHeaderBlock(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HeaderSyntaxError);
    expect((caught as HeaderSyntaxError).line).toBe(line);
    expect((caught as Error).message).toMatch(message);
  });
});

describe('encodeHeaderValue', () => {
  it.each(['file', 'C:\\Memos\\December.doc', 'Jim Hill, Symantec Corp', '', 'a  b'])(
    'keeps printable ASCII %j as it is',
    (value) => {
      expect(encodeHeaderValue(value)).toBe(value);
    },
  );

  it.each([
    PATH,
    'tab\there',
    'line\r\nbreak',
    ' leading blank',
    'trailing blank ',
    '=?UTF-8?B?YQ==?=',
    '😀 emoji',
  ])('encodes %j as encoded-words that decode back', (value) => {
    const encoded = encodeHeaderValue(value);
    expect(encoded).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=( =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=)*$/);
    expect(decodeHeaderValue(encoded)).toBe(value);
  });

  it('splits long values into words of at most 75 characters without cutting a character', () => {
    const value = `${'Документы\\'.repeat(20)}${'😀'.repeat(30)}${'ü'.repeat(50)}`;
    const words = encodeHeaderValue(value).split(' ');
    expect(words.length).toBeGreaterThan(5);
    const strict = new TextDecoder('utf-8', { fatal: true });
    let joined = '';
    for (const word of words) {
      expect(word.length).toBeLessThanOrEqual(75);
      const base64 = /^=\?UTF-8\?B\?(.*)\?=$/.exec(word)![1]!;
      // Each word on its own must be valid UTF-8: no character was split between words.
      joined += strict.decode(Buffer.from(base64, 'base64'));
    }
    expect(joined).toBe(value);
  });
});

describe('decodeHeaderValue', () => {
  it.each([
    ['plain text', 'plain text'],
    ['=?ISO-8859-1?Q?a?=', 'a'],
    ['=?ISO-8859-1?Q?a?= b', 'a b'],
    ['=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=', 'ab'],
    ['=?ISO-8859-1?Q?a?=  \t =?ISO-8859-1?Q?b?=', 'ab'],
    ['=?ISO-8859-1?Q?a_b?=', 'a b'],
    ['=?ISO-8859-1?Q?J=FCrgen?=', 'Jürgen'],
    ['=?iso-8859-1?q?J=fcrgen?=', 'Jürgen'],
    ['=?UTF-8?B?SsO8cmdlbg==?=', 'Jürgen'],
    ['=?utf-8?b?SsO8cmdlbg==?=', 'Jürgen'],
    ['=?UTF-8*de?B?SsO8cmdlbg==?=', 'Jürgen'],
    ['=?US-ASCII?Q?Keith_Moore?=', 'Keith Moore'],
    [
      'Hello =?UTF-8?B?SsO8cmdlbg==?= and =?UTF-8?Q?J=C3=BCrgen?= bye',
      'Hello Jürgen and Jürgen bye',
    ],
    // One character split over two words survives because their bytes are joined first.
    ['=?UTF-8?B?ww==?= =?UTF-8?B?vA==?=', 'ü'],
    ['=?UTF-8?B?SsO8?= =?ISO-8859-1?Q?=FC?=', 'Jüü'],
  ])('%j → %j', (input, output) => {
    expect(decodeHeaderValue(input)).toBe(output);
  });

  it.each([
    ['unknown charset', '=?ISO-8859-2?Q?_b?='],
    ['unknown encoding', '=?UTF-8?X?abc?='],
    ['bad base64', '=?UTF-8?B?@@@@?='],
    ['truncated base64', '=?UTF-8?B?SsO?='],
    ['bad Q escape', '=?UTF-8?Q?a=ZZ?='],
    ['invalid UTF-8', '=?UTF-8?B?/w==?='],
    ['8-bit byte in US-ASCII', '=?US-ASCII?Q?=FC?='],
    ['glued to text', 'abc=?UTF-8?B?YQ==?='],
    ['not closed', '=?UTF-8?B?YQ=='],
  ])('leaves %s literal', (_, input) => {
    expect(decodeHeaderValue(input)).toBe(input);
  });

  it('keeps the blank between a decoded word and a malformed one', () => {
    expect(decodeHeaderValue('=?UTF-8?Q?a?= =?UTF-8?B?/w==?= =?UTF-8?Q?b?=')).toBe(
      'a =?UTF-8?B?/w==?= b',
    );
  });
});

describe('formatHeaderBlock', () => {
  it('writes CRLF lines and encodes values that need it', () => {
    const text = formatHeaderBlock([
      { name: 'X-Sample-Type', value: 'file' },
      { name: 'X-Sample-File', value: PATH },
    ]);
    expect(text.startsWith('X-Sample-Type: file\r\nX-Sample-File: =?UTF-8?B?')).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(text).not.toMatch(/[^\x20-\x7e\r\n]/);
  });

  it('folds long lines at blanks', () => {
    const value = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
    const text = formatHeaderBlock([{ name: 'X-Platform-Owner', value }]);
    const lines = text.split('\r\n').slice(0, -1);
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(78);
    for (const line of lines.slice(1)) expect(line.startsWith(' ')).toBe(true);
    expect(parseHeaderBlock(text)).toEqual([{ name: 'X-Platform-Owner', value }]);
  });

  it('leaves a line long when it has no blank to fold at', () => {
    const value = 'x'.repeat(120);
    expect(formatHeaderBlock([{ name: 'X-Long', value }])).toBe(`X-Long: ${value}\r\n`);
  });

  it('refuses a header name that would break the block', () => {
    expect(() => formatHeaderBlock([{ name: 'X-Bad\r\nInjected', value: 'v' }])).toThrow(
      HeaderSyntaxError,
    );
    expect(() => formatHeaderBlock([{ name: 'X Bad', value: 'v' }])).toThrow(HeaderSyntaxError);
  });

  const roundTrips = [
    ['ASCII', 'C:\\Memos\\December.doc'],
    ['Unicode path', PATH],
    ['long Unicode path', `${PATH}\\${'подкаталог\\'.repeat(15)}file.doc`],
    ['control characters', 'evil\r\nX-Injected: yes'],
    ['blanks around', '  padded  '],
    ['long ASCII text', 'The quick brown fox jumps over the lazy dog. '.repeat(5).trim()],
    ['encoded-word lookalike', 'see =?UTF-8?B?YQ==?= here'],
    ['empty', ''],
  ] as const;

  it.each(roundTrips)('round-trips %s through format, parse and decode', (_, value) => {
    const entries = [
      { name: 'X-Sample-File', value },
      { name: 'X-Other', value: 'after' },
    ];
    const parsed = parseHeaderBlock(formatHeaderBlock(entries));
    expect(parsed.map((e) => ({ name: e.name, value: decodeHeaderValue(e.value) }))).toEqual(
      entries,
    );
  });
});
