import { describe, expect, it } from 'vitest';
import {
  correctHttpDate,
  formatHttpDate,
  measureSkew,
  parseHttpDate,
} from '../../src-shared/codec/dates.js';

describe('formatHttpDate / parseHttpDate', () => {
  it.each([
    [Date.UTC(1998, 0, 27, 14, 32, 45), 'Tue, 27 Jan 1998 14:32:45 GMT'],
    [Date.UTC(2000, 1, 29, 0, 0, 0), 'Tue, 29 Feb 2000 00:00:00 GMT'],
    [Date.UTC(1970, 0, 1, 0, 0, 0), 'Thu, 01 Jan 1970 00:00:00 GMT'],
    [Date.UTC(2024, 11, 31, 23, 59, 59), 'Tue, 31 Dec 2024 23:59:59 GMT'],
    [Date.UTC(2038, 0, 19, 3, 14, 8), 'Tue, 19 Jan 2038 03:14:08 GMT'],
  ])('%i ⇄ %s', (ms, text) => {
    expect(formatHttpDate(ms)).toBe(text);
    expect(parseHttpDate(text)).toBe(ms);
  });

  it('drops milliseconds when formatting', () => {
    expect(formatHttpDate(Date.UTC(1998, 0, 27, 14, 32, 45, 999))).toBe(
      'Tue, 27 Jan 1998 14:32:45 GMT',
    );
  });

  it('refuses times that have no RFC 1123 form', () => {
    expect(() => formatHttpDate(Number.NaN)).toThrow(RangeError);
    expect(() => formatHttpDate(Date.UTC(10000, 0, 1))).toThrow(RangeError);
  });

  it('accepts a one-digit day and surrounding blanks', () => {
    expect(parseHttpDate('Tue, 3 Feb 1998 01:02:03 GMT')).toBe(Date.UTC(1998, 1, 3, 1, 2, 3));
    expect(parseHttpDate('  Tue, 27 Jan 1998 14:32:45 GMT ')).toBe(
      Date.UTC(1998, 0, 27, 14, 32, 45),
    );
  });

  it.each([
    ['wrong weekday', 'Mon, 27 Jan 1998 14:32:45 GMT'],
    ['unknown weekday', 'Tus, 27 Jan 1998 14:32:45 GMT'],
    ['lower-case weekday', 'tue, 27 Jan 1998 14:32:45 GMT'],
    ['unknown month', 'Tue, 27 Jab 1998 14:32:45 GMT'],
    ['day 0', 'Thu, 00 Jan 1998 14:32:45 GMT'],
    ['day 32', 'Tue, 32 Jan 1998 14:32:45 GMT'],
    ['29 Feb in a common year', 'Mon, 29 Feb 1999 00:00:00 GMT'],
    ['29 Feb 1900', 'Thu, 29 Feb 1900 00:00:00 GMT'],
    ['31 April', 'Thu, 31 Apr 1998 00:00:00 GMT'],
    ['hour 24', 'Tue, 27 Jan 1998 24:32:45 GMT'],
    ['minute 60', 'Tue, 27 Jan 1998 14:60:45 GMT'],
    ['second 60', 'Tue, 27 Jan 1998 14:32:60 GMT'],
    ['not GMT', 'Tue, 27 Jan 1998 14:32:45 UTC'],
    ['numeric zone', 'Tue, 27 Jan 1998 14:32:45 +0000'],
    ['two-digit year', 'Tue, 27 Jan 98 14:32:45 GMT'],
    ['no seconds', 'Tue, 27 Jan 1998 14:32 GMT'],
    ['no comma', 'Tue 27 Jan 1998 14:32:45 GMT'],
    ['ISO 8601', '1998-01-27T14:32:45Z'],
    ['asctime', 'Tue Jan 27 14:32:45 1998'],
    ['empty', ''],
  ])('refuses %s', (_, text) => {
    expect(parseHttpDate(text)).toBeNull();
  });
});

describe('clock skew', () => {
  const local = Date.UTC(1998, 0, 27, 15, 32, 45);

  it('is 0 without a usable Date header', () => {
    expect(measureSkew(undefined, local)).toBe(0);
    expect(measureSkew('yesterday', local)).toBe(0);
  });

  it.each([
    ['an hour behind', 'Tue, 27 Jan 1998 14:32:45 GMT', 3_600_000],
    ['ten seconds ahead', 'Tue, 27 Jan 1998 15:32:55 GMT', -10_000],
    ['in sync', 'Tue, 27 Jan 1998 15:32:45 GMT', 0],
  ])('a sender %s gives %i ms', (_, date, skew) => {
    expect(measureSkew(date, local)).toBe(skew);
  });

  it('moves the sender timestamps onto the local clock', () => {
    const skew = measureSkew('Tue, 27 Jan 1998 14:32:45 GMT', local);
    expect(correctHttpDate('Tue, 27 Jan 1998 14:30:00 GMT', skew)).toBe(
      'Tue, 27 Jan 1998 15:30:00 GMT',
    );
    expect(correctHttpDate('Fri, 31 Dec 1999 23:30:00 GMT', skew)).toBe(
      'Sat, 01 Jan 2000 00:30:00 GMT',
    );
    expect(correctHttpDate('Tue, 27 Jan 1998 14:30:00 GMT', -60_000)).toBe(
      'Tue, 27 Jan 1998 14:29:00 GMT',
    );
  });

  it('leaves values alone when there is nothing to correct', () => {
    expect(correctHttpDate('Tue, 27 Jan 1998 14:30:00 GMT', 0)).toBe(
      'Tue, 27 Jan 1998 14:30:00 GMT',
    );
    expect(correctHttpDate('not a date', 5000)).toBe('not a date');
  });
});
