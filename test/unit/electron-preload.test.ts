import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  encodeAppInfoArgument,
  INVOKE_CHANNELS,
  type DesktopConsoleApi,
} from '../../src-main/console/electron/ipc-channels.js';

type Listener = (event: unknown, ...args: unknown[]) => void;

/** What the preload sees as `electron` in a sandboxed renderer, faked. */
const electron = vi.hoisted(() => {
  const listeners = new Map<string, Set<Listener>>();
  return {
    listeners,
    exposed: new Map<string, unknown>(),
    ipcRenderer: {
      invoke: vi.fn((_channel: string, _payload?: unknown): Promise<unknown> =>
        Promise.resolve({ ok: true, value: 'answer' }),
      ),
      on: vi.fn((channel: string, listener: Listener) => {
        if (!listeners.has(channel)) listeners.set(channel, new Set());
        listeners.get(channel)?.add(listener);
      }),
      removeListener: vi.fn((channel: string, listener: Listener) => {
        listeners.get(channel)?.delete(listener);
      }),
    },
  };
});

vi.mock('electron', () => ({
  contextBridge: {
    exposeInMainWorld: (key: string, api: unknown) => electron.exposed.set(key, api),
  },
  ipcRenderer: electron.ipcRenderer,
}));

const { createDesktopConsoleApi, readAppInfo } =
  await import('../../src-main/console/electron/preload.js');

/** Deliver a push from main, with a fake IPC event carrying the raw ipcRenderer as `sender`. */
function pushFromMain(channel: string, payload: unknown): void {
  for (const listener of electron.listeners.get(channel) ?? [])
    listener({ sender: electron.ipcRenderer }, payload);
}

describe('preload', () => {
  let api: DesktopConsoleApi;

  beforeEach(() => {
    electron.ipcRenderer.invoke.mockClear();
    electron.listeners.clear();
    api = createDesktopConsoleApi(electron.ipcRenderer, [], 'linux');
  });

  it('exposes the API as window.cq and nothing else', () => {
    expect([...electron.exposed.keys()]).toEqual(['cq']);
    const cq = electron.exposed.get('cq') as Record<string, unknown>;
    expect(Object.keys(cq).sort()).toEqual(
      [
        'app',
        'attach',
        'call',
        'detach',
        'listServers',
        'onEvent',
        'onFocusItem',
        'onServersChanged',
      ].sort(),
    );
    expect(cq).not.toHaveProperty('ipcRenderer');
    expect(cq).not.toHaveProperty('invoke');
  });

  it('maps each ConsoleApi request to its channel with one payload', async () => {
    await api.listServers();
    await api.attach({ host: 'qs', port: 8850, user: 'op', password: 'pw' });
    await api.detach('remote-1');
    await api.call('embedded', 'samples.get', { id: '5' });
    expect(electron.ipcRenderer.invoke.mock.calls).toEqual([
      ['cq:listServers', {}],
      ['cq:attach', { host: 'qs', port: 8850, user: 'op', password: 'pw' }],
      ['cq:detach', { serverId: 'remote-1' }],
      ['cq:call', { serverId: 'embedded', method: 'samples.get', params: { id: '5' } }],
    ]);
    const used = new Set(electron.ipcRenderer.invoke.mock.calls.map(([channel]) => channel));
    expect(used).toEqual(new Set(INVOKE_CHANNELS));
  });

  it('passes main’s envelope through unchanged', async () => {
    electron.ipcRenderer.invoke.mockResolvedValueOnce({
      ok: false,
      error: { code: 'not-found', message: 'no server' },
    });
    expect(await api.detach('x')).toEqual({
      ok: false,
      error: { code: 'not-found', message: 'no server' },
    });
  });

  it('turns a failed IPC round trip into an unavailable envelope instead of throwing', async () => {
    electron.ipcRenderer.invoke.mockRejectedValueOnce(
      new Error("No handler registered for 'cq:call'"),
    );
    const result = await api.call('embedded', 'server.info', {});
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('unavailable');
  });

  it('delivers server events without the IPC event, and stops after unsubscribe', () => {
    const seen: unknown[][] = [];
    const off = api.onEvent((...args: unknown[]) => seen.push(args));
    pushFromMain('cq:serverEvent', {
      serverId: 'embedded',
      event: 'sample.added',
      payload: { n: 1 },
    });
    pushFromMain('cq:serverEvent', 'garbage');
    off();
    off();
    pushFromMain('cq:serverEvent', {
      serverId: 'embedded',
      event: 'sample.added',
      payload: { n: 2 },
    });
    expect(seen).toEqual([['embedded', 'sample.added', { n: 1 }]]);
    expect(electron.listeners.get('cq:serverEvent')?.size).toBe(0);
  });

  it('delivers server lists and focus requests', () => {
    const lists: unknown[] = [];
    const focus: unknown[] = [];
    api.onServersChanged((servers) => lists.push(servers));
    api.onFocusItem((target) => focus.push(target));
    pushFromMain('cq:serversChanged', [{ id: 'embedded' }]);
    pushFromMain('cq:serversChanged', { id: 'not a list' });
    pushFromMain('cq:focusItem', { serverId: 'embedded', sampleId: '9' });
    pushFromMain('cq:focusItem', { serverId: 'embedded', sampleId: 9 });
    expect(lists).toEqual([[{ id: 'embedded' }]]);
    expect(focus).toEqual([{ serverId: 'embedded', sampleId: '9' }]);
  });
});

describe('app facts from the command line', () => {
  it('reads what main encoded', () => {
    const arg = encodeAppInfoArgument({ version: '2.0.1', shell: 'electron', platform: 'win32' });
    const info = readAppInfo(['/opt/cq/cq', '--type=renderer', arg], 'linux');
    expect(info).toEqual({ version: '2.0.1', shell: 'electron', platform: 'win32' });
    expect(createDesktopConsoleApi(electron.ipcRenderer, [arg], 'linux').app.version).toBe('2.0.1');
  });

  it.each([
    ['missing', []],
    ['not JSON', ['--cq-app-info=%7Bbroken']],
    ['a bad escape', ['--cq-app-info=%E0%A4%A']],
    ['the wrong types', [`--cq-app-info=${encodeURIComponent('{"version":5}')}`]],
  ])('falls back to placeholders when the switch is %s', (_name, argv) => {
    expect(readAppInfo(argv, 'darwin')).toEqual({
      version: 'unknown',
      shell: 'electron',
      platform: 'darwin',
    });
  });
});
