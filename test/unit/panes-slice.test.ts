/**
 * The Definitions and Targets panes' actions in the console store: what an action reloads
 * when it finishes after the administrator has moved on. The console API is scripted here
 * (its real counterpart is exercised end to end in test/e2e/console-definitions.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { ConsoleApi } from '../../src-shared/api/console-api.js';
import { createAppStore } from '../../src-renderer/store/store.js';
import { nodeId } from '../../src-renderer/store/nodes.js';

/** A console API whose `definitions.activate` answers only when released. */
function scriptedApi(): { api: ConsoleApi; calls: string[]; release: () => void } {
  const calls: string[] = [];
  let release: () => void = () => undefined;
  const activated = new Promise<void>((resolve) => (release = resolve));
  const answers: Record<string, unknown> = {
    'definitions.list': { sets: [{ sequence: 7 }] },
    'targets.list': { targets: [{ id: 't1', host: 'ws-1' }] },
    'log.query': { entries: [] },
    'server.info': {},
    'config.get': { config: { general: {} } },
  };
  const api = {
    app: { version: 'test', shell: 'web', platform: 'linux' },
    listServers: () => Promise.resolve({ ok: true, value: [] }),
    attach: () => Promise.reject(new Error('not scripted')),
    detach: () => Promise.reject(new Error('not scripted')),
    async call(_serverId: string, method: string) {
      calls.push(method);
      if (method === 'definitions.activate') {
        await activated;
        return { ok: true, value: { set: { sequence: 7 } } };
      }
      return { ok: true, value: answers[method] ?? {} };
    },
    onEvent: () => () => undefined,
    onServersChanged: () => () => undefined,
  } as unknown as ConsoleApi;
  return { api, calls, release };
}

describe('pane actions', () => {
  it('an action that ends after the administrator moved on leaves the new pane alone', async () => {
    const { api, calls, release } = scriptedApi();
    const store = createAppStore(api);
    store.getState().selectNode(nodeId('definitions', 's1'));
    const activating = store.getState().activateDefinitions('s1', 7);
    // Meanwhile the administrator opens the Targets pane, which loads its rows.
    store.getState().selectNode(nodeId('targets', 's1'));
    await expect.poll(() => store.getState().pane?.rows).toEqual([{ id: 't1', host: 'ws-1' }]);
    const listsBefore = calls.filter((m) => m === 'definitions.list').length;
    release();
    expect(await activating).toMatchObject({ ok: true });
    // Targets is still shown with its rows; the Definitions list was not reloaded over it.
    expect(store.getState().pane).toMatchObject({ kind: 'targets', loading: false });
    expect(store.getState().pane?.rows).toEqual([{ id: 't1', host: 'ws-1' }]);
    expect(calls.filter((m) => m === 'definitions.list').length).toBe(listsBefore);
  });

  it('an action on the pane still shown reloads it', async () => {
    const { api, calls, release } = scriptedApi();
    const store = createAppStore(api);
    store.getState().selectNode(nodeId('definitions', 's1'));
    await expect.poll(() => store.getState().pane?.loading).toBe(false);
    const listsBefore = calls.filter((m) => m === 'definitions.list').length;
    release();
    expect(await store.getState().activateDefinitions('s1', 7)).toMatchObject({ ok: true });
    expect(calls.filter((m) => m === 'definitions.list').length).toBe(listsBefore + 1);
    expect(store.getState().pane).toMatchObject({ kind: 'definitions', loading: false });
  });
});
