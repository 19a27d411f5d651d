/**
 * Value types of the attribute catalog and their validators: each takes a decoded header value
 * and returns its normalised form or the reason it is refused.
 */
import { formatXError, parseXError } from './errors.js';
import { formatHttpDate, parseHttpDate } from '../codec/dates.js';
import { TOKEN_SETS, type TokenSetId } from './tokens.js';

/** Item kinds of blank-separated list attributes. */
export type ListItemKind = 'address' | 'switch' | 'sector';

/** The value type of an attribute, with the limits that type needs. */
export type AttributeValueType =
  /** One token of a catalog set; `open` also admits unlisted tokens of the same shape. */
  | { readonly type: 'token'; readonly tokenSet: TokenSetId; readonly open?: boolean }
  /** Unsigned decimal integer in `[min, max]`, optionally limited to `values`. */
  | {
      readonly type: 'integer';
      readonly min: number;
      readonly max: number;
      readonly values?: readonly number[];
    }
  /** 32 hex digits, normalised to upper case. */
  | { readonly type: 'md5' }
  /** A GUID as 32 hex digits without punctuation, normalised to upper case. */
  | { readonly type: 'guid' }
  /** RFC 1123 date in GMT. */
  | { readonly type: 'date' }
  /** Free text; `maxLength` counts characters, `pattern` (a RegExp source) restricts the form. */
  | {
      readonly type: 'text';
      readonly maxLength?: number;
      readonly pattern?: string;
      readonly patternHint?: string;
    }
  /** Blank-separated items of one kind. */
  | { readonly type: 'list'; readonly item: ListItemKind }
  /** Definitions sequence number, normalised to at least 8 digits (`00000678`). */
  | { readonly type: 'sequence' }
  /** Definitions version `YYYY.MM.DD.NNN`. */
  | { readonly type: 'version' }
  /** Disk geometry `C/H/S chs N bytes`. */
  | { readonly type: 'geometry' }
  /** `X-Error` value: an error code and optional parameters. */
  | { readonly type: 'error' };

/** Outcome of validating one value. */
export type ValueCheck =
  { readonly ok: true; readonly value: string } | { readonly ok: false; readonly reason: string };

const ok = (value: string): ValueCheck => ({ ok: true, value });
const fail = (reason: string): ValueCheck => ({ ok: false, reason });

/** True when `value` holds no control characters (tab allowed), so it is safe to store and show. */
export function isPrintableText(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    // C0 controls other than tab, DEL and the C1 controls.
    if ((c < 0x20 && c !== 0x09) || (c >= 0x7f && c <= 0x9f)) return false;
  }
  return true;
}

/** Number of characters (code points), the unit of every length limit in the guide. */
export function characterCount(value: string): number {
  const pairs = value.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g);
  return value.length - (pairs?.length ?? 0);
}

const OPEN_TOKEN = /^[A-Za-z][A-Za-z0-9-]*$/;

function checkToken(value: string, tokenSet: TokenSetId, open: boolean): ValueCheck {
  const set = TOKEN_SETS[tokenSet];
  const tokens: readonly string[] = set.tokens;
  if (tokens.includes(value)) return ok(value);
  // Tokens are compared without regard to case, and answered in the catalog's spelling.
  const lower = value.toLowerCase();
  const known = tokens.find((t) => t.toLowerCase() === lower);
  if (known !== undefined) return ok(known);
  if (open && OPEN_TOKEN.test(value)) return ok(value);
  return fail(`"${value}" is not one of ${set.name}: ${tokens.join(' ')}`);
}

function checkInteger(
  value: string,
  min: number,
  max: number,
  values?: readonly number[],
): ValueCheck {
  if (!/^\d{1,16}$/.test(value)) return fail(`"${value}" is not an unsigned decimal integer`);
  const n = Number(value);
  if (n < min || n > max) return fail(`${n} is outside ${min}..${max}`);
  if (values && !values.includes(n)) return fail(`${n} is not one of ${values.join(', ')}`);
  return ok(String(n));
}

function checkHex32(value: string, what: string): ValueCheck {
  return /^[0-9A-Fa-f]{32}$/.test(value)
    ? ok(value.toUpperCase())
    : fail(`${what} must be 32 hex digits, got ${value.length} characters`);
}

function checkDate(value: string): ValueCheck {
  const ms = parseHttpDate(value);
  return ms === null
    ? fail(`"${value}" is not an RFC 1123 GMT date like "Tue, 27 Jan 1998 14:32:45 GMT"`)
    : ok(formatHttpDate(ms));
}

function checkText(
  value: string,
  maxLength: number | undefined,
  pattern: string | undefined,
  hint: string | undefined,
): ValueCheck {
  if (!isPrintableText(value)) return fail('contains control characters');
  if (maxLength !== undefined) {
    const count = characterCount(value);
    if (count > maxLength) return fail(`${count} characters, at most ${maxLength} allowed`);
  }
  if (pattern !== undefined && !new RegExp(pattern, 'u').test(value)) {
    return fail(hint ?? `does not match ${pattern}`);
  }
  return ok(value);
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
/** IPX: 32-bit network and 48-bit node in hex, joined by a colon or a period. */
const IPX = /^[0-9A-Fa-f]{1,8}[:.][0-9A-Fa-f]{12}$/;

function isIpv6(text: string): boolean {
  if (!text.includes(':') || /:::/.test(text)) return false;
  let body = text;
  let groups = 0;
  const lastColon = body.lastIndexOf(':');
  const tail = body.slice(lastColon + 1);
  if (tail.includes('.')) {
    // An embedded IPv4 address takes the room of two groups.
    if (!IPV4.test(tail)) return false;
    body = body.slice(0, lastColon + 1) + '0';
    groups += 1;
  }
  const halves = body.split('::');
  if (halves.length > 2) return false;
  for (const half of halves) {
    if (half === '') continue;
    for (const group of half.split(':')) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(group)) return false;
      groups++;
    }
  }
  return halves.length === 2 ? groups < 8 : groups === 8;
}

/** `c/h/s` with decimal numbers. */
const CHS = /^(\d{1,9})\/(\d{1,9})\/(\d{1,9})$/;

function chs(text: string): [number, number, number] | null {
  const m = CHS.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

function checkListItem(kind: ListItemKind, item: string): string | null {
  switch (kind) {
    case 'address':
      return IPV4.test(item) || IPX.test(item) || isIpv6(item)
        ? null
        : `"${item}" is not an IP or IPX address`;
    case 'switch':
      return /^[A-Za-z0-9][A-Za-z0-9_.:=+/-]*$/.test(item) ? null : `"${item}" is not a switch`;
    case 'sector': {
      const [from, to, extra] = item.split('-');
      const start = from === undefined ? null : chs(from);
      const end = to === undefined ? start : chs(to);
      if (extra !== undefined || !start || !end) {
        return `"${item}" is not a c/h/s sector address or c/h/s-c/h/s range`;
      }
      const order = start[0] - end[0] || start[1] - end[1] || start[2] - end[2];
      return order > 0 ? `range "${item}" ends before it starts` : null;
    }
  }
}

function checkList(value: string, kind: ListItemKind): ValueCheck {
  const items = value
    .trim()
    .split(/[ \t]+/)
    .filter((s) => s !== '');
  if (items.length === 0) return fail('empty list');
  for (const item of items) {
    const problem = checkListItem(kind, item);
    if (problem !== null) return fail(problem);
  }
  return ok(items.join(' '));
}

function checkSequence(value: string): ValueCheck {
  return /^\d{1,8}$/.test(value)
    ? ok(value.padStart(8, '0'))
    : fail(`"${value}" is not a sequence number of at most 8 decimal digits`);
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function validDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const max = month === 2 && !leap ? 28 : DAYS_IN_MONTH[month - 1]!;
  return day <= max;
}

function checkVersion(value: string): ValueCheck {
  const m = /^(\d{4})\.(\d{2})\.(\d{2})\.(\d{3})$/.exec(value);
  if (!m) return fail(`"${value}" is not a version YYYY.MM.DD.NNN`);
  if (!validDay(Number(m[1]), Number(m[2]), Number(m[3]))) {
    return fail(`"${value}" names a day that does not exist`);
  }
  return ok(value);
}

function checkGeometry(value: string): ValueCheck {
  const m = /^(\d{1,9})\/(\d{1,9})\/(\d{1,9})[ \t]+chs[ \t]+(\d{1,9})[ \t]+bytes$/.exec(value);
  if (!m) return fail(`"${value}" is not a geometry like "80/2/18 chs 512 bytes"`);
  const [c, h, s, bytes] = [m[1], m[2], m[3], m[4]].map(Number) as [number, number, number, number];
  if (c === 0 || h === 0 || s === 0 || bytes === 0)
    return fail('geometry numbers must be positive');
  return ok(`${c}/${h}/${s} chs ${bytes} bytes`);
}

function checkError(value: string): ValueCheck {
  const parsed = parseXError(value);
  return parsed === null
    ? fail(`"${value}" does not start with a known error code`)
    : ok(formatXError(parsed.code, parsed.params));
}

/**
 * Validate and normalise `value` against a value type. Values arrive decoded (RFC 2047), so
 * text may hold any Unicode; surrounding blanks are not part of any value.
 */
export function checkValue(kind: AttributeValueType, rawValue: string): ValueCheck {
  const value = rawValue.trim();
  if (value === '') return fail('empty value');
  if (kind.type !== 'text' && !isPrintableText(value)) return fail('contains control characters');
  switch (kind.type) {
    case 'token':
      return checkToken(value, kind.tokenSet, kind.open ?? false);
    case 'integer':
      return checkInteger(value, kind.min, kind.max, kind.values);
    case 'md5':
      return checkHex32(value, 'an MD5 checksum');
    case 'guid':
      // Management tools write GUIDs with braces and hyphens; the guide strips them.
      return checkHex32(value.replace(/[{}-]/g, ''), 'a GUID');
    case 'date':
      return checkDate(value);
    case 'text':
      return checkText(value, kind.maxLength, kind.pattern, kind.patternHint);
    case 'list':
      return checkList(value, kind.item);
    case 'sequence':
      return checkSequence(value);
    case 'version':
      return checkVersion(value);
    case 'geometry':
      return checkGeometry(value);
    case 'error':
      return checkError(value);
  }
}
