import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { resolveLaunchSettings } from '../../src-main/console/electron/launch-settings.js';
import { createShutdown } from '../../src-main/console/electron/lifecycle.js';
import type { Logger } from '../../src-main/log/logger.js';

const DEFAULT = path.resolve('/home/op/.central-quarantine');

describe('launch settings: embedded server or remote only', () => {
  it.each([
    ['nothing set: embedded on the default folder', [], undefined, DEFAULT],
    ['a folder in the settings file', [], { dataDir: '/srv/cq' }, path.resolve('/srv/cq')],
    [
      '--data-dir DIR wins over the file',
      ['--data-dir', '/data/a'],
      { dataDir: '/srv/cq' },
      path.resolve('/data/a'),
    ],
    ['--data-dir=DIR', ['/opt/cq/cq', '--data-dir=/data/b'], undefined, path.resolve('/data/b')],
    ['remote only in the settings file', [], { embeddedServer: false }, null],
    ['--no-embedded-server', ['--no-embedded-server'], { embeddedServer: true }, null],
    [
      '--data-dir overriding a remote-only file',
      ['--data-dir', '/data/c'],
      { embeddedServer: false },
      path.resolve('/data/c'),
    ],
  ] as const)('%s', (_name, argv, file, expected) => {
    const settings = resolveLaunchSettings({ argv, file, defaultDataDir: DEFAULT });
    expect(settings.embeddedDataDir).toBe(expected);
    expect(settings.warnings).toEqual([]);
  });

  it.each([
    ['an unknown key', { embedded: false }],
    ['a wrong type', { embeddedServer: 'no' }],
    ['not an object', ['/srv/cq']],
  ])('ignores a settings file with %s, with a warning', (_name, file) => {
    const settings = resolveLaunchSettings({ argv: [], file, defaultDataDir: DEFAULT });
    expect(settings.embeddedDataDir).toBe(DEFAULT);
    expect(settings.warnings).toHaveLength(1);
  });

  it('does not take the next switch as the folder of a bare --data-dir', () => {
    const settings = resolveLaunchSettings({
      argv: ['--data-dir', '--no-sandbox'],
      file: undefined,
      defaultDataDir: DEFAULT,
    });
    expect(settings.embeddedDataDir).toBe(DEFAULT);
  });
});

describe('shutdown', () => {
  function spyLog() {
    const warn = vi.fn();
    const error = vi.fn();
    const logger: Logger = { debug() {}, info() {}, warn, error };
    return { logger, warn, error };
  }

  it('runs every step once, in order, past a failing one', async () => {
    const order: string[] = [];
    const { logger, error } = spyLog();
    const shutdown = createShutdown(
      [
        { name: 'ipc', run: () => void order.push('ipc') },
        {
          name: 'connections',
          run: async () => {
            order.push('connections');
            await Promise.reject(new Error('socket already closed'));
          },
        },
        { name: 'server', run: () => Promise.resolve().then(() => void order.push('server')) },
      ],
      { timeoutMs: 5_000, log: logger },
    );
    await Promise.all([shutdown(), shutdown()]);
    await shutdown();
    expect(order).toEqual(['ipc', 'connections', 'server']);
    expect(error).toHaveBeenCalledTimes(1);
    expect(error.mock.calls[0]?.[1]).toMatchObject({ step: 'connections' });
  });

  it('gives up waiting for a step that hangs', async () => {
    vi.useFakeTimers();
    try {
      const { logger, warn } = spyLog();
      const after = vi.fn();
      const shutdown = createShutdown(
        [
          { name: 'server', run: () => new Promise<void>(() => {}) },
          { name: 'never reached in time', run: after },
        ],
        { timeoutMs: 1_000, log: logger },
      );
      let done = false;
      const running = shutdown().then(() => (done = true));
      await vi.advanceTimersByTimeAsync(999);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await running;
      expect(done).toBe(true);
      expect(after).not.toHaveBeenCalled();
      expect(warn).toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });
});
