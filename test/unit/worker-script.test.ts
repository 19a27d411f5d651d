import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { workerScriptBeside } from '../../src-main/threads/worker-script.js';

const url = (...parts: string[]): string => pathToFileURL(path.join(path.sep, ...parts)).href;

describe('workerScriptBeside', () => {
  it('finds a compiled module’s worker in its own folder', () => {
    expect(
      workerScriptBeside(
        url('app', 'dist', 'src-main', 'codec', 'decode-pool.js'),
        'decode-worker',
      ),
    ).toBe(path.join(path.sep, 'app', 'dist', 'src-main', 'codec', 'decode-worker.js'));
  });

  it('maps a source module to the same place under dist/', () => {
    expect(
      workerScriptBeside(
        url('app', 'src-main', 'server', 'intake', 'commit-thread.ts'),
        'commit-worker',
      ),
    ).toBe(path.join(path.sep, 'app', 'dist', 'src-main', 'server', 'intake', 'commit-worker.js'));
  });

  it('refuses a source module outside src-main', () => {
    expect(() => workerScriptBeside(url('app', 'lib', 'x.ts'), 'y')).toThrow(/not under src-main/);
  });
});
