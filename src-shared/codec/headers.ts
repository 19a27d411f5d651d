/**
 * RFC 822-style header blocks and RFC 2047 encoded-words: how attributes are written to text
 * (email attributes, `attributes.txt`) and how Unicode values (file paths, user names) travel in
 * ASCII-only header values (SPEC §3.1).
 */
import { Base64Error, base64Decode, base64Encode } from './base64.js';

/** One header line: its name as written and its unfolded, trimmed value. */
export interface HeaderEntry {
  readonly name: string;
  readonly value: string;
}

/** A header block that cannot be parsed or written; `line` is 1-based (0 when not a line). */
export class HeaderSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'HeaderSyntaxError';
  }
}

/** RFC 5322 field name: printable ASCII except the colon. */
const FIELD_NAME = /^[!-9;-~]+$/;
const WSP = /^[ \t]/;

function excerpt(line: string): string {
  const short = line.length > 40 ? `${line.slice(0, 40)}…` : line;
  return JSON.stringify(short);
}

/**
 * Parse a header block (CRLF or LF line ends). Continuation lines starting with space or tab
 * are unfolded into the previous value; the first empty line ends the block, so a whole
 * message can be passed without its body being read as headers. A line without a colon, a bad
 * field name, a stray CR or a continuation with nothing to continue throws HeaderSyntaxError.
 */
export function parseHeaderBlock(text: string): HeaderEntry[] {
  const lines = text.split(/\r?\n/);
  const entries: { name: string; value: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const lineNumber = i + 1;
    if (line === '') break;
    if (line.includes('\r')) {
      throw new HeaderSyntaxError(`line ${lineNumber}: carriage return inside a line`, lineNumber);
    }
    if (WSP.test(line)) {
      const last = entries[entries.length - 1];
      if (!last) {
        throw new HeaderSyntaxError(
          `line ${lineNumber}: continuation line ${excerpt(line)} has no header to continue`,
          lineNumber,
        );
      }
      last.value += line;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0) {
      throw new HeaderSyntaxError(
        `line ${lineNumber}: no colon in header line ${excerpt(line)}`,
        lineNumber,
      );
    }
    const name = line.slice(0, colon);
    if (!FIELD_NAME.test(name)) {
      throw new HeaderSyntaxError(
        `line ${lineNumber}: invalid header name ${excerpt(name)}`,
        lineNumber,
      );
    }
    entries.push({ name, value: line.slice(colon + 1) });
  }
  return entries.map(({ name, value }) => ({ name, value: value.replace(/^[ \t]+|[ \t]+$/g, '') }));
}

/** Longest line `formatHeaderBlock` aims for (RFC 5322's recommended limit). */
const FOLD_AT = 78;

function fold(line: string, valueStart: number): string {
  const out: string[] = [];
  let rest = line;
  let minBreak = valueStart + 1;
  while (rest.length > FOLD_AT) {
    // Break before a blank, and never where the piece before it would hold only blanks.
    let at = rest.lastIndexOf(' ', FOLD_AT);
    if (at < minBreak) at = rest.indexOf(' ', minBreak);
    if (at < minBreak) break;
    out.push(rest.slice(0, at));
    rest = rest.slice(at);
    minBreak = rest.search(/[^ ]/) + 1;
    if (minBreak <= 0) break;
  }
  out.push(rest);
  return out.join('\r\n');
}

/**
 * Write entries as a header block: one `Name: value` line each, CRLF line ends, long lines
 * folded at blanks. Values go through `encodeHeaderValue`, so Unicode and control characters
 * are carried as encoded-words and can never break a line or inject a header.
 */
export function formatHeaderBlock(entries: readonly HeaderEntry[]): string {
  let out = '';
  for (const { name, value } of entries) {
    if (!FIELD_NAME.test(name)) {
      throw new HeaderSyntaxError(`invalid header name ${excerpt(name)}`, 0);
    }
    const encoded = encodeHeaderValue(value);
    out += fold(`${name}: ${encoded}`, name.length + 1) + '\r\n';
  }
  return out;
}

/** Longest encoded-word RFC 2047 allows. */
const MAX_ENCODED_WORD = 75;
/** `=?UTF-8?B?` + `?=`. */
const ENCODED_WORD_OVERHEAD = 12;
/** Bytes per encoded-word: the largest multiple of 3 whose base64 fits in the limit. */
const BYTES_PER_WORD = Math.floor((MAX_ENCODED_WORD - ENCODED_WORD_OVERHEAD) / 4) * 3;

const ENCODED_WORD_LIKE = /=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=/;

function needsEncoding(value: string): boolean {
  // Outside printable ASCII; or blanks at either end, which unfolding and trimming would lose;
  // or text that a decoder would mistake for an encoded-word.
  return /[^\x20-\x7e]/.test(value) || /^ | $/.test(value) || ENCODED_WORD_LIKE.test(value);
}

/**
 * Make a value safe for a header. Printable ASCII is returned as it is; anything else becomes
 * a sequence of `=?UTF-8?B?…?=` encoded-words of at most 75 characters each, separated by
 * blanks, each holding whole UTF-8 characters only.
 */
export function encodeHeaderValue(value: string): string {
  if (!needsEncoding(value)) return value;
  const encoder = new TextEncoder();
  const words: string[] = [];
  let pending: number[] = [];
  const flush = (): void => {
    words.push(`=?UTF-8?B?${base64Encode(Uint8Array.from(pending))}?=`);
    pending = [];
  };
  for (const char of value) {
    const bytes = encoder.encode(char);
    if (pending.length + bytes.length > BYTES_PER_WORD) flush();
    for (const b of bytes) pending.push(b);
  }
  if (pending.length > 0) flush();
  return words.join(' ');
}

type Charset = 'utf-8' | 'iso-8859-1' | 'us-ascii';

const CHARSETS: Readonly<Record<string, Charset>> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  'iso-8859-1': 'iso-8859-1',
  'iso8859-1': 'iso-8859-1',
  latin1: 'iso-8859-1',
  'us-ascii': 'us-ascii',
  ascii: 'us-ascii',
};

function bytesToText(bytes: Uint8Array, charset: Charset): string | null {
  if (charset === 'utf-8') {
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      return null;
    }
  }
  let text = '';
  for (const b of bytes) {
    if (charset === 'us-ascii' && b > 0x7f) return null;
    // ISO-8859-1 maps every byte to the code point of the same number.
    text += String.fromCharCode(b);
  }
  return text;
}

function decodeQ(text: string): Uint8Array | null {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5f) {
      out.push(0x20);
    } else if (c === 0x3d) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
      out.push(parseInt(hex, 16));
      i += 2;
    } else if (c > 0x20 && c < 0x7f) {
      out.push(c);
    } else {
      return null;
    }
  }
  return Uint8Array.from(out);
}

interface Word {
  readonly raw: string;
  readonly charset: Charset;
  readonly bytes: Uint8Array;
}

function parseWord(raw: string): Word | null {
  const match = /^=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=$/.exec(raw);
  if (!match) return null;
  // RFC 2231 allows a language after the charset (`UTF-8*en`); it changes nothing here.
  const charset = CHARSETS[match[1]!.split('*')[0]!.toLowerCase()];
  if (!charset) return null;
  let bytes: Uint8Array | null;
  if (match[2]!.toUpperCase() === 'B') {
    try {
      bytes = base64Decode(match[3]!);
    } catch (error) {
      if (!(error instanceof Base64Error)) throw error;
      bytes = null;
    }
  } else {
    bytes = decodeQ(match[3]!);
  }
  return bytes ? { raw, charset, bytes } : null;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const part of parts) {
    out.set(part, o);
    o += part.length;
  }
  return out;
}

/**
 * Decode RFC 2047 encoded-words (B and Q; UTF-8, ISO-8859-1, US-ASCII) in a header value.
 * Blanks between two adjacent encoded-words are dropped, as the RFC requires, and the bytes of
 * adjacent words in one charset are joined before decoding so a character split across words
 * survives. Encoded-words that are malformed, in another charset, or glued to other text are
 * left exactly as written.
 */
export function decodeHeaderValue(value: string): string {
  if (!value.includes('=?')) return value;
  // Even indexes hold the blank-free pieces (possibly empty at the ends), odd ones the blanks.
  const pieces = value.split(/([ \t]+)/);
  let out = '';
  /** Adjacent decodable words, each with the blank written before it. */
  let run: { word: Word; gap: string }[] = [];

  const flushRun = (): void => {
    // Adjacent words in one charset are decoded together; when that fails (one bad word among
    // good ones), each word is tried on its own so only the bad one stays literal.
    const units: { words: { word: Word; gap: string }[]; text: string | null }[] = [];
    let k = 0;
    while (k < run.length) {
      const charset = run[k]!.word.charset;
      let m = k + 1;
      while (m < run.length && run[m]!.word.charset === charset) m++;
      const group = run.slice(k, m);
      const text = bytesToText(concat(group.map((g) => g.word.bytes)), charset);
      if (text !== null || group.length === 1) units.push({ words: group, text });
      else
        for (const g of group) units.push({ words: [g], text: bytesToText(g.word.bytes, charset) });
      k = m;
    }
    units.forEach((unit, index) => {
      if (unit.text === null) {
        out += unit.words.map((g) => g.gap + g.word.raw).join('');
        return;
      }
      // The blank before a run separates it from plain text and is kept; blanks between two
      // decoded words are not part of the value.
      if (index === 0 || units[index - 1]!.text === null) out += unit.words[0]!.gap;
      out += unit.text;
    });
    run = [];
  };

  for (let i = 0; i < pieces.length; i += 2) {
    const gap = i > 0 ? pieces[i - 1]! : '';
    const piece = pieces[i]!;
    const word = piece === '' ? null : parseWord(piece);
    if (word) {
      run.push({ word, gap });
      continue;
    }
    flushRun();
    out += gap + piece;
  }
  flushRun();
  return out;
}
