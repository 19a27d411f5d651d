import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../src-shared/api/client-api.js';
import type { ConsoleResult, ServerEntry } from '../../src-shared/api/console-api.js';
import { APP_ENTRY_URL } from '../../src-main/console/electron/app-protocol.js';
import {
  INVOKE_CHANNELS,
  IPC_CHANNELS,
  isInvokeChannel,
} from '../../src-main/console/electron/ipc-channels.js';
import {
  createInvokeDispatcher,
  createRendererPush,
  installIpcMainBridge,
} from '../../src-main/console/electron/ipc-main-bridge.js';
import type { Logger } from '../../src-main/log/logger.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

const server: ServerEntry = {
  id: 'embedded',
  label: 'ws-01',
  kind: 'embedded',
  state: 'connected',
  address: '/tmp/control.sock',
  user: null,
  lastError: null,
};

/** Our window: a webContents whose main frame shows app://console. */
function ourWindow() {
  const contents = { mainFrame: { url: APP_ENTRY_URL, parent: null } };
  return { contents, event: { sender: contents, senderFrame: contents.mainFrame } };
}

function spyHandlers() {
  const handlers = {
    'cq:listServers': vi.fn(() => ({ ok: true as const, value: [server] })),
    'cq:attach': vi.fn(() => Promise.resolve({ ok: true as const, value: server })),
    'cq:detach': vi.fn(() => Promise.resolve({ ok: true as const, value: null })),
    'cq:call': vi.fn(() => Promise.resolve({ ok: true as const, value: { rows: [] } })),
  };
  return handlers;
}

function setup(handlers = spyHandlers()) {
  const win = ourWindow();
  const dispatch = createInvokeDispatcher({
    trustedContents: () => win.contents,
    handlers,
    log: quiet,
  });
  return { win, dispatch, handlers };
}

function expectError(result: ConsoleResult<unknown>, code: string): void {
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.error.code).toBe(code);
}

describe('the IPC channel map', () => {
  it('has exactly the ConsoleApi requests as invoke channels', () => {
    expect([...INVOKE_CHANNELS].sort()).toEqual(
      ['cq:attach', 'cq:call', 'cq:detach', 'cq:listServers'].sort(),
    );
    expect(isInvokeChannel('cq:serverEvent')).toBe(false);
    expect(isInvokeChannel('cq:call')).toBe(true);
  });

  it('has the pushed events as push channels', () => {
    const pushes = Object.entries(IPC_CHANNELS)
      .filter(([, spec]) => spec.kind === 'push')
      .map(([name]) => name)
      .sort();
    expect(pushes).toEqual(['cq:focusItem', 'cq:serverEvent', 'cq:serversChanged']);
  });
});

describe('IPC dispatch: payload validation', () => {
  const bad: [string, string, unknown[]][] = [
    ['listServers with a stray field', 'cq:listServers', [{ evil: true }]],
    ['attach without host', 'cq:attach', [{ port: 8850, user: 'a', password: 'b' }]],
    [
      'attach with a string port',
      'cq:attach',
      [{ host: 'h', port: '8850', user: 'a', password: '' }],
    ],
    ['attach with port 0', 'cq:attach', [{ host: 'h', port: 0, user: 'a', password: '' }]],
    [
      'attach with an unknown field',
      'cq:attach',
      [{ host: 'h', port: 1, user: 'a', password: '', shell: 'rm -rf /' }],
    ],
    ['attach with no payload', 'cq:attach', []],
    ['detach with an empty id', 'cq:detach', [{ serverId: '' }]],
    ['detach with a number', 'cq:detach', [{ serverId: 7 }]],
    ['call without a method', 'cq:call', [{ serverId: 'embedded', params: {} }]],
    ['call with a payload that is not an object', 'cq:call', ['samples.list']],
    [
      'call with params the contract refuses',
      'cq:call',
      [{ serverId: 'embedded', method: 'samples.get', params: { id: '../etc' } }],
    ],
    [
      'call with two arguments',
      'cq:call',
      [{ serverId: 'embedded', method: 'server.info', params: {} }, 'extra'],
    ],
  ];

  for (const [name, channel, args] of bad) {
    it(`refuses ${name} with an invalid-request envelope and never calls the handler`, async () => {
      const { win, dispatch, handlers } = setup();
      const result = await dispatch(channel, win.event, args);
      expectError(result, 'invalid-request');
      if (!result.ok) expect(result.error.message.length).toBeGreaterThan(0);
      for (const handler of Object.values(handlers)) expect(handler).not.toHaveBeenCalled();
    });
  }

  it('refuses a method that is not in the contract with unknown-method', async () => {
    const { win, dispatch, handlers } = setup();
    const result = await dispatch('cq:call', win.event, [
      { serverId: 'embedded', method: 'samples.format', params: {} },
    ]);
    expectError(result, 'unknown-method');
    expect(handlers['cq:call']).not.toHaveBeenCalled();
  });

  it('refuses session.login from the renderer (the attach manager logs in)', async () => {
    const { win, dispatch, handlers } = setup();
    const result = await dispatch('cq:call', win.event, [
      { serverId: 'embedded', method: 'session.login', params: { user: 'a', password: 'b' } },
    ]);
    expectError(result, 'not-allowed');
    expect(handlers['cq:call']).not.toHaveBeenCalled();
  });

  it('refuses an unknown channel', async () => {
    const { win, dispatch } = setup();
    expectError(await dispatch('cq:shell', win.event, [{}]), 'unknown-method');
  });

  it('passes a valid call on with the contract defaults filled in', async () => {
    const { win, dispatch, handlers } = setup();
    const result = await dispatch('cq:call', win.event, [
      { serverId: 'embedded', method: 'samples.list', params: { limit: 20 } },
    ]);
    expect(result).toEqual({ ok: true, value: { rows: [] } });
    expect(handlers['cq:call']).toHaveBeenCalledWith({
      serverId: 'embedded',
      method: 'samples.list',
      params: { offset: 0, limit: 20, sort: 'receivedOn', order: 'desc' },
    });
  });

  it('passes a valid attach and detach through', async () => {
    const { win, dispatch, handlers } = setup();
    const request = { host: 'qs.example', port: 8850, user: 'op', password: 'pw', domain: 'CORP' };
    expect(await dispatch('cq:attach', win.event, [request])).toEqual({ ok: true, value: server });
    expect(handlers['cq:attach']).toHaveBeenCalledWith(request);
    expect(await dispatch('cq:detach', win.event, [{ serverId: 'remote-1' }])).toEqual({
      ok: true,
      value: null,
    });
    expect(handlers['cq:detach']).toHaveBeenCalledWith({ serverId: 'remote-1' });
  });
});

describe('IPC dispatch: senders', () => {
  it('refuses a foreign origin with not-allowed and never calls the handler', async () => {
    const { win, dispatch, handlers } = setup();
    const frame = { url: 'https://evil.example/', parent: null };
    win.contents.mainFrame = frame;
    const result = await dispatch('cq:listServers', { sender: win.contents, senderFrame: frame }, [
      {},
    ]);
    expectError(result, 'not-allowed');
    expect(handlers['cq:listServers']).not.toHaveBeenCalled();
  });

  it('refuses a sub-frame and another webContents', async () => {
    const { win, dispatch, handlers } = setup();
    const sub = { url: APP_ENTRY_URL, parent: win.contents.mainFrame };
    expectError(
      await dispatch('cq:listServers', { sender: win.contents, senderFrame: sub }, [{}]),
      'not-allowed',
    );
    const other = ourWindow();
    expectError(await dispatch('cq:listServers', other.event, [{}]), 'not-allowed');
    expect(handlers['cq:listServers']).not.toHaveBeenCalled();
  });

  it('checks the sender before the payload (a stranger learns nothing about the schema)', async () => {
    const { dispatch } = setup();
    const stranger = ourWindow();
    const result = await dispatch('cq:attach', stranger.event, [{ nonsense: true }]);
    expectError(result, 'not-allowed');
  });
});

describe('IPC dispatch: never throws across IPC', () => {
  it('turns a thrown error into an internal envelope without its text', async () => {
    const handlers = spyHandlers();
    handlers['cq:detach'].mockImplementation(() => {
      throw new Error('secret stack detail');
    });
    const { win, dispatch } = setup(handlers);
    const result = await dispatch('cq:detach', win.event, [{ serverId: 'x' }]);
    expectError(result, 'internal');
    if (!result.ok) expect(result.error.message).not.toContain('secret');
  });

  it('keeps the code of a thrown ApiError', async () => {
    const handlers = spyHandlers();
    handlers['cq:detach'].mockRejectedValue(new ApiError('not-found', 'no server with id x'));
    const { win, dispatch } = setup(handlers);
    expect(await dispatch('cq:detach', win.event, [{ serverId: 'x' }])).toEqual({
      ok: false,
      error: { code: 'not-found', message: 'no server with id x' },
    });
  });

  it('refuses to pass on a handler result that is not an envelope', async () => {
    const handlers = spyHandlers();
    handlers['cq:listServers'].mockReturnValue([server] as never);
    const { win, dispatch } = setup(handlers);
    expectError(await dispatch('cq:listServers', win.event, [{}]), 'internal');
  });
});

describe('installIpcMainBridge', () => {
  it('handles every invoke channel on ipcMain and removes them again', async () => {
    const registered = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
    const fakeIpcMain = {
      handle: vi.fn(
        (channel: string, listener: (event: unknown, ...args: unknown[]) => unknown) => {
          registered.set(channel, listener);
        },
      ),
      removeHandler: vi.fn((channel: string) => {
        registered.delete(channel);
      }),
    };
    const win = ourWindow();
    const dispose = installIpcMainBridge(fakeIpcMain, {
      trustedContents: () => win.contents,
      handlers: spyHandlers(),
      log: quiet,
    });
    expect([...registered.keys()].sort()).toEqual([...INVOKE_CHANNELS].sort());
    const listServers = registered.get('cq:listServers');
    expect(await listServers?.(win.event, {})).toEqual({ ok: true, value: [server] });
    expect(await listServers?.(ourWindow().event, {})).toMatchObject({
      ok: false,
      error: { code: 'not-allowed' },
    });
    dispose();
    expect(registered.size).toBe(0);
  });
});

describe('createRendererPush', () => {
  function fakeTarget(destroyed = false) {
    return { isDestroyed: () => destroyed, send: vi.fn() };
  }

  it('sends a valid payload on its channel', () => {
    const target = fakeTarget();
    const push = createRendererPush(() => target, quiet);
    expect(push('cq:focusItem', { serverId: 'embedded', sampleId: '42' })).toBe(true);
    expect(target.send).toHaveBeenCalledWith('cq:focusItem', {
      serverId: 'embedded',
      sampleId: '42',
    });
  });

  it('refuses a payload that does not match the channel schema', () => {
    const target = fakeTarget();
    const push = createRendererPush(() => target, quiet);
    expect(push('cq:focusItem', { serverId: 'embedded', sampleId: 'not-an-id' })).toBe(false);
    expect(
      push('cq:serverEvent', { serverId: 'embedded', event: 'made.up' as never, payload: {} }),
    ).toBe(false);
    expect(target.send).not.toHaveBeenCalled();
  });

  it('does nothing without a live window', () => {
    const dead = fakeTarget(true);
    expect(createRendererPush(() => dead, quiet)('cq:serversChanged', [server])).toBe(false);
    expect(dead.send).not.toHaveBeenCalled();
    expect(createRendererPush(() => null, quiet)('cq:serversChanged', [server])).toBe(false);
  });
});
