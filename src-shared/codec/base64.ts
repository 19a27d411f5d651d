/**
 * MIME base64 (RFC 2045) in plain TypeScript: src-shared may not use Node's Buffer, and the
 * renderer needs the same codec for encoded-words.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const ALPHABET_BYTES = new TextEncoder().encode(ALPHABET);
const CRLF = new Uint8Array([0x0d, 0x0a]);

/** Character code → 6-bit value; -1 invalid, -2 skippable white space, -3 padding. */
const DECODE_TABLE = (() => {
  const table = new Int8Array(256).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  for (const c of [0x0d, 0x0a, 0x20, 0x09]) table[c] = -2;
  table[0x3d] = -3;
  return table;
})();

/** Error raised for text that is not valid base64. */
export class Base64Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Base64Error';
  }
}

/** Encode bytes as one line of padded base64 ASCII bytes. */
export function base64EncodeBytes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  const full = bytes.length - (bytes.length % 3);
  let o = 0;
  for (let i = 0; i < full; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = ALPHABET_BYTES[n >>> 18]!;
    out[o++] = ALPHABET_BYTES[(n >>> 12) & 63]!;
    out[o++] = ALPHABET_BYTES[(n >>> 6) & 63]!;
    out[o++] = ALPHABET_BYTES[n & 63]!;
  }
  const rest = bytes.length - full;
  if (rest > 0) {
    const n = (bytes[full]! << 16) | (rest === 2 ? bytes[full + 1]! << 8 : 0);
    out[o++] = ALPHABET_BYTES[n >>> 18]!;
    out[o++] = ALPHABET_BYTES[(n >>> 12) & 63]!;
    out[o++] = rest === 2 ? ALPHABET_BYTES[(n >>> 6) & 63]! : 0x3d;
    out[o++] = 0x3d;
  }
  return out;
}

/** Encode bytes as one line of padded base64 text. */
export function base64Encode(bytes: Uint8Array): string {
  const ascii = base64EncodeBytes(bytes);
  let text = '';
  // Chunked so String.fromCharCode never gets more arguments than the engine allows.
  for (let i = 0; i < ascii.length; i += 8192) {
    text += String.fromCharCode(...ascii.subarray(i, i + 8192));
  }
  return text;
}

/**
 * Streaming base64 decoder: feed ASCII bytes in any slicing, get whole bytes out. CR, LF, space
 * and tab are skipped; any other non-alphabet character, padding in the wrong place, data after
 * padding, or a final group that is not complete throws Base64Error.
 */
export class Base64Decoder {
  private bits = 0;
  /** Alphabet characters in the current 4-character group. */
  private count = 0;
  /** Padding characters seen; once non-zero only white space and more padding may follow. */
  private padding = 0;
  /** Characters consumed so far, for error positions. */
  private position = 0;

  /** Decode the next slice of base64 text given as ASCII bytes. */
  push(chunk: Uint8Array): Uint8Array {
    const out = new Uint8Array(Math.floor(((this.count + chunk.length) * 3) / 4) + 3);
    let o = 0;
    let bits = this.bits;
    let count = this.count;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      const v = DECODE_TABLE[c]!;
      if (v >= 0) {
        if (this.padding > 0) this.fail('data after padding', i);
        bits = (bits << 6) | v;
        if (++count === 4) {
          out[o++] = bits >>> 16;
          out[o++] = (bits >>> 8) & 0xff;
          out[o++] = bits & 0xff;
          bits = 0;
          count = 0;
        }
      } else if (v === -2) {
        continue;
      } else if (v === -3) {
        // A group may end in "==" after two characters or "=" after three, nothing else.
        this.padding++;
        if (count < 2 || count + this.padding > 4) this.fail('misplaced padding', i);
        if (count + this.padding === 4) {
          out[o++] = bits >>> (count === 2 ? 4 : 10);
          if (count === 3) out[o++] = (bits >>> 2) & 0xff;
          bits = 0;
          count = 0;
        }
      } else {
        this.fail(`invalid character 0x${c.toString(16).padStart(2, '0')}`, i);
      }
    }
    this.bits = bits;
    this.count = count;
    this.position += chunk.length;
    return out.subarray(0, o);
  }

  /**
   * Finish: the text must have ended on a group boundary. Returns the bytes still held back,
   * which is always none because groups are emitted as soon as they are complete.
   */
  end(): Uint8Array {
    if (this.count !== 0) {
      throw new Base64Error(
        this.padding > 0 ? 'incomplete padding at end of input' : 'truncated final group',
      );
    }
    return new Uint8Array(0);
  }

  private fail(reason: string, index: number): never {
    throw new Base64Error(`${reason} at offset ${this.position + index}`);
  }
}

/** Decode a complete base64 text (white space allowed) into bytes; throws Base64Error. */
export function base64Decode(text: string): Uint8Array {
  const ascii = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Anything beyond Latin-1 maps to an invalid byte so the decoder reports it.
    ascii[i] = c > 0xff ? 0x00 : c;
  }
  const decoder = new Base64Decoder();
  const out = decoder.push(ascii);
  decoder.end();
  return out;
}

/**
 * Streaming base64 encoder: bytes in any slicing, padded base64 ASCII bytes out. With a
 * `lineLength` (a multiple of 4, e.g. 76 for MIME) the output is broken into CRLF lines.
 */
export class Base64Encoder {
  private carry = new Uint8Array(0);
  private column = 0;

  constructor(private readonly lineLength = 0) {
    if (lineLength < 0 || lineLength % 4 !== 0) {
      throw new RangeError('base64 line length must be a non-negative multiple of 4');
    }
  }

  /** Encode the next slice; up to two bytes are held back until the next call or `end()`. */
  push(chunk: Uint8Array): Uint8Array {
    let input = chunk;
    if (this.carry.length > 0) {
      input = new Uint8Array(this.carry.length + chunk.length);
      input.set(this.carry);
      input.set(chunk, this.carry.length);
    }
    const whole = input.length - (input.length % 3);
    this.carry = input.slice(whole);
    return this.wrap(base64EncodeBytes(input.subarray(0, whole)), false);
  }

  /** Encode what is held back, with padding, and end the last line. */
  end(): Uint8Array {
    const tail = base64EncodeBytes(this.carry);
    this.carry = new Uint8Array(0);
    return this.wrap(tail, true);
  }

  private wrap(ascii: Uint8Array, last: boolean): Uint8Array {
    if (this.lineLength === 0) return ascii;
    const parts: Uint8Array[] = [];
    let size = 0;
    let i = 0;
    while (i < ascii.length) {
      const take = Math.min(this.lineLength - this.column, ascii.length - i);
      parts.push(ascii.subarray(i, i + take));
      size += take;
      i += take;
      this.column += take;
      if (this.column === this.lineLength) {
        parts.push(CRLF);
        size += 2;
        this.column = 0;
      }
    }
    if (last && this.column > 0) {
      parts.push(CRLF);
      size += 2;
      this.column = 0;
    }
    const out = new Uint8Array(size);
    let o = 0;
    for (const part of parts) {
      out.set(part, o);
      o += part.length;
    }
    return out;
  }
}
