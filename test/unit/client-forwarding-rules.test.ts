/**
 * When an endpoint retries a forward and how long it waits (SPEC §4.2), and when it may write a
 * repaired file back to where it was captured.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ForwardError } from '../../src-main/client/forward.js';
import { isRetryable, retryDelay } from '../../src-main/client/forwarder.js';
import { restoreProblem } from '../../src-main/client/rescan.js';
import { tempDir } from '../helpers/temp.js';

const wire = (code: string, status: number): ForwardError =>
  new ForwardError(code, status, { code: code, params: [] });

describe('retry rules', () => {
  it.each([
    ['server unreachable', new ForwardError('cannot reach', null, null), true],
    ['quota full (507)', wire('declined', 507), true],
    ['platform limit (429)', wire('declined', 429), true],
    ['internal error (500)', wire('internal', 500), true],
    ['body damaged in transit', wire('content', 400), true],
    ['connection cut', wire('lost', 400), true],
    ['sample over the size limit (413)', wire('declined', 413), false],
    ['malformed attribute', wire('malformed', 400), false],
    ['missing attribute', wire('missing', 400), false],
    ['unsupported type (415)', wire('type', 415), false],
    ['an unexpected exception', new Error('boom'), true],
  ])('%s → retry %s', (_what, error, retry) => {
    expect(isRetryable(error)).toBe(retry);
  });

  it('backs off exponentially with full jitter under the cap', () => {
    expect(retryDelay(0, 1000, 60_000, () => 0.999)).toBe(999);
    expect(retryDelay(3, 1000, 60_000, () => 0.999)).toBe(7992);
    expect(retryDelay(20, 1000, 60_000, () => 0.999)).toBe(59_940);
    expect(retryDelay(80, 1000, 60_000, () => 0.5)).toBe(30_000);
    // Never zero: a retry storm would hammer a recovering server.
    expect(retryDelay(5, 1000, 60_000, () => 0)).toBe(250);
  });
});

describe('restoring to the original path', () => {
  const dir = tempDir('cq-restore-');
  fs.writeFileSync(path.join(dir, 'taken.txt'), 'x');
  fs.mkdirSync(path.join(dir, 'sub'));

  it.each([
    ['a free path in an existing folder', path.join(dir, 'free.txt'), null],
    ['a relative path', 'free.txt', /not absolute/],
    ['a path with ..', `${dir}/sub/../free.txt`, /normal form/],
    ['a folder that is gone', path.join(dir, 'gone', 'free.txt'), /no longer exists/],
    ['an occupied path', path.join(dir, 'taken.txt'), /a file is at the original path/],
    ['a path under a file', path.join(dir, 'taken.txt', 'x'), /not a folder/],
  ])('%s', async (_what, target, problem) => {
    const found = await restoreProblem(target);
    if (problem === null) expect(found).toBeNull();
    else expect(found).toMatch(problem);
  });
});
