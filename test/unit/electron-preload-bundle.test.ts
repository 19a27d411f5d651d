import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import {
  encodeAppInfoArgument,
  INVOKE_CHANNELS,
} from '../../src-main/console/electron/ipc-channels.js';

const entry = fileURLToPath(new URL('../../src-main/console/electron/preload.ts', import.meta.url));

/**
 * The same options as `npm run build:preload`: one CommonJS file for a sandboxed renderer, with
 * `electron` left to the sandbox's own `require`.
 */
async function bundlePreload(): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'cjs',
    target: 'chrome130',
    external: ['electron'],
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

describe('the bundled preload', () => {
  it('is one small CommonJS file that requires only electron and carries no zod', async () => {
    const code = await bundlePreload();
    const requires = [...code.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    expect(requires).toEqual(['electron']);
    expect(code).not.toMatch(/\bimport\s|\bexport\s/);
    expect(code).not.toContain('zod');
    expect(code.length).toBeLessThan(16 * 1024);
  });

  it("runs inside Electron's sandboxed preload wrapper and exposes window.cq", async () => {
    const code = await bundlePreload();
    const exposed = new Map<string, Record<string, unknown>>();
    const invoked: unknown[][] = [];
    const sandboxRequire = (name: string): unknown => {
      if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
      return {
        contextBridge: {
          exposeInMainWorld: (key: string, api: Record<string, unknown>) => exposed.set(key, api),
        },
        ipcRenderer: {
          invoke: (...args: unknown[]) => {
            invoked.push(args);
            return Promise.resolve({ ok: true, value: [] });
          },
          on: () => undefined,
          removeListener: () => undefined,
        },
      };
    };
    const sandboxProcess = {
      argv: [
        'central-quarantine',
        '--type=renderer',
        encodeAppInfoArgument({ version: '3.1.4', shell: 'electron', platform: 'win32' }),
      ],
      platform: 'win32',
    };
    const module = { exports: {} };
    // The parameters Electron's sandboxed renderer passes to every preload.
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- running the bundle is the test
    const wrapper = new Function('require', 'process', 'exports', 'module', code) as (
      ...args: unknown[]
    ) => void;
    wrapper(sandboxRequire, sandboxProcess, module.exports, module);
    const cq = exposed.get('cq');
    expect(cq?.app).toEqual({ version: '3.1.4', shell: 'electron', platform: 'win32' });
    const api = cq as unknown as {
      listServers(): Promise<unknown>;
      detach(id: string): Promise<unknown>;
    };
    await api.listServers();
    await api.detach('remote-1');
    expect(invoked).toEqual([
      ['cq:listServers', {}],
      ['cq:detach', { serverId: 'remote-1' }],
    ]);
    expect(INVOKE_CHANNELS).toContain('cq:detach');
  });
});
