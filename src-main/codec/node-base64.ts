/**
 * Strict streaming base64 decoding on Node's native codec. Node's own decoder skips anything it
 * does not understand, so the text is checked first (with regular expressions, which run
 * natively) and only clean, whole 4-character groups are handed to it.
 */
import { WireError } from '../../src-shared/catalog/errors.js';

const INVALID = /[^A-Za-z0-9+/=\r\n \t]/;
const BLANKS = /[\r\n \t]+/g;
const HAS_BLANK = /[\r\n \t]/;

function refuse(detail: string): WireError {
  return new WireError('unpackage', ['base64', detail]);
}

/** Base64 decoder for sample bodies; errors are `unpackage base64 <detail>` WireErrors. */
export class StrictBase64Decoder {
  /** Characters of a group not yet complete (never blanks). */
  private carry = '';
  /** The final, padded group has been decoded: only blanks may follow. */
  private finished = false;
  /** Body characters consumed so far, for error offsets. */
  private position = 0;

  /** Decode the next slice of base64 text. */
  push(chunk: Uint8Array): Buffer {
    const raw = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).toString('latin1');
    const bad = INVALID.exec(raw);
    if (bad) {
      throw refuse(
        `invalid-character-0x${raw.charCodeAt(bad.index).toString(16).padStart(2, '0')}-at-${this.position + bad.index}`,
      );
    }
    this.position += raw.length;
    const clean = HAS_BLANK.test(raw) ? raw.replace(BLANKS, '') : raw;
    if (clean === '') return Buffer.alloc(0);
    if (this.finished) throw refuse('data-after-padding');
    let text = this.carry + clean;
    let whole = text.length - (text.length % 4);
    const pad = text.indexOf('=');
    if (pad >= 0) {
      // Padding may only close the last group: "xx==" or "xxx=", then nothing but blanks.
      const [, equals = '', after = ''] = /^(=*)(.*)$/s.exec(text.slice(pad)) ?? [];
      const closes = (pad % 4) + equals.length === 4;
      if (pad % 4 < 2 || (pad % 4) + equals.length > 4) throw refuse('misplaced-padding');
      if (after !== '') throw refuse(closes ? 'data-after-padding' : 'misplaced-padding');
      if (closes) {
        this.finished = true;
        whole = text.length;
      } else {
        // The padded group is still incomplete; keep it whole for the next slice.
        whole = pad - (pad % 4);
      }
    }
    this.carry = text.slice(whole);
    text = text.slice(0, whole);
    return Buffer.from(text, 'base64');
  }

  /** Finish: the text must have ended on a whole group. */
  end(): Buffer {
    if (this.carry !== '') {
      throw refuse(this.carry.includes('=') ? 'incomplete-padding' : 'truncated-group');
    }
    return Buffer.alloc(0);
  }
}
