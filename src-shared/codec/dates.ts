/**
 * RFC 1123 dates (`Tue, 27 Jan 1998 14:32:45 GMT`) as every `X-Date-*` attribute and the HTTP
 * `Date` header carry them, and the clock-skew correction of SPEC §3.1.
 */

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
] as const;

const DATE_PATTERN =
  /^([A-Z][a-z]{2}), (\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Format a millisecond timestamp as an RFC 1123 GMT date (milliseconds are dropped). */
export function formatHttpDate(ms: number): string {
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  if (Number.isNaN(year) || year < 0 || year > 9999) {
    throw new RangeError(`time ${ms} cannot be written as an RFC 1123 date`);
  }
  return (
    `${WEEKDAYS[date.getUTCDay()]!}, ${pad2(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]!} ` +
    `${String(year).padStart(4, '0')} ${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}:` +
    `${pad2(date.getUTCSeconds())} GMT`
  );
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function daysInMonth(year: number, monthIndex: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return monthIndex === 1 && leap ? 29 : MONTH_DAYS[monthIndex]!;
}

/**
 * Parse an RFC 1123 date in GMT; null for anything else. Strict on purpose: names must be the
 * English abbreviations, every field in range, the day must exist in that month and the weekday
 * must be the one that date fell on, so a garbled date is noticed instead of guessed at.
 */
export function parseHttpDate(text: string): number | null {
  const match = DATE_PATTERN.exec(text.trim());
  if (!match) return null;
  const [, weekday, dayText, monthName, yearText, hourText, minuteText, secondText] = match;
  const weekdayIndex = WEEKDAYS.indexOf(weekday as (typeof WEEKDAYS)[number]);
  const monthIndex = MONTHS.indexOf(monthName as (typeof MONTHS)[number]);
  if (weekdayIndex < 0 || monthIndex < 0) return null;
  const year = Number(yearText);
  const day = Number(dayText);
  const hour = Number(hourText);
  const minute = Number(minuteText);
  const second = Number(secondText);
  if (day < 1 || day > daysInMonth(year, monthIndex)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 onto 1900-1999.
  date.setUTCFullYear(year, monthIndex, day);
  date.setUTCHours(hour, minute, second, 0);
  if (date.getUTCDay() !== weekdayIndex) return null;
  return date.getTime();
}

/**
 * Milliseconds to add to the sender's timestamps to express them in local time: the local
 * clock minus the sender's `Date` header. 0 when the header is absent or unreadable, because
 * then there is nothing to correct against.
 */
export function measureSkew(senderDate: string | undefined, localNowMs: number): number {
  if (senderDate === undefined) return 0;
  const senderMs = parseHttpDate(senderDate);
  return senderMs === null ? 0 : localNowMs - senderMs;
}

/**
 * Shift an RFC 1123 date by `skewMs` (from `measureSkew`). A value that is not a date is
 * returned unchanged: validation, not correction, is where such values are refused.
 */
export function correctHttpDate(value: string, skewMs: number): string {
  const ms = parseHttpDate(value);
  if (ms === null || skewMs === 0) return value;
  const corrected = ms + skewMs;
  const year = new Date(corrected).getUTCFullYear();
  return Number.isNaN(year) || year < 0 || year > 9999 ? value : formatHttpDate(corrected);
}
