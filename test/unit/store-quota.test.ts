import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { diskFreeBytes, evaluateQuota } from '../../src-main/server/store/quota.js';

const MB = 1024 * 1024;

describe('evaluateQuota', () => {
  it.each([
    // used, max, incoming, free, allowed, remaining, low, freeBelowMax
    [0, 500 * MB, 10 * MB, 10_000 * MB, true, 490 * MB, false, false],
    [400 * MB, 500 * MB, 100 * MB, 10_000 * MB, true, 0, true, false],
    [400 * MB, 500 * MB, 100 * MB + 1, 10_000 * MB, false, 0, true, false],
    [440 * MB, 500 * MB, 15 * MB, 10_000 * MB, true, 45 * MB, true, false],
    [440 * MB, 500 * MB, 10 * MB, 10_000 * MB, true, 50 * MB, false, false],
    [100 * MB, 500 * MB, 0, 300 * MB, true, 400 * MB, false, true],
    [100 * MB, 500 * MB, 0, 400 * MB, true, 400 * MB, false, false],
    [100 * MB, 500 * MB, 20 * MB, 10 * MB, false, 380 * MB, false, true],
    [600 * MB, 500 * MB, 0, 10_000 * MB, false, 0, true, false],
  ])(
    'used %d of %d, incoming %d, free %d → allowed %s remaining %d low %s freeBelowMax %s',
    (usedBytes, maxBytes, incomingBytes, freeBytes, allowed, remainingBytes, low, freeBelowMax) => {
      expect(evaluateQuota({ usedBytes, maxBytes, incomingBytes, freeBytes })).toEqual({
        allowed,
        remainingBytes,
        low,
        freeBelowMax,
      });
    },
  );

  it('honours a custom low fraction and an unknown free space', () => {
    const input = { usedBytes: 300, maxBytes: 1000, incomingBytes: 0 };
    expect(evaluateQuota({ ...input, lowFraction: 0.5 }).low).toBe(false);
    expect(evaluateQuota({ ...input, lowFraction: 0.8 }).low).toBe(true);
    expect(evaluateQuota(input)).toMatchObject({ allowed: true, freeBelowMax: false });
  });
});

describe('diskFreeBytes', () => {
  it('reports a positive number of bytes for the temp folder', async () => {
    const free = await diskFreeBytes(os.tmpdir());
    expect(Number.isSafeInteger(free)).toBe(true);
    expect(free).toBeGreaterThan(0);
  });
});
