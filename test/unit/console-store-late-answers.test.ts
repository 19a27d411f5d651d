/**
 * Console store actions whose answers can arrive after the administrator moved on: pane
 * actions (what they reload) and item Properties (what fix coverage shows). The console API
 * is scripted (test/helpers/scripted-console-api.ts).
 */
import { describe, expect, it } from 'vitest';
import { createAppStore } from '../../src-renderer/store/store.js';
import { nodeId } from '../../src-renderer/store/nodes.js';
import { scriptedConsoleApi } from '../helpers/scripted-console-api.js';

const TARGETS = [{ id: 't1', host: 'ws-1' }];

/** The panes' answers, with `definitions.activate` answering only when released. */
function panesApi() {
  let release: () => void = () => undefined;
  const activated = new Promise<{ value: unknown }>(
    (resolve) => (release = () => resolve({ value: { set: { sequence: 7 } } })),
  );
  const scripted = scriptedConsoleApi({
    'definitions.list': { value: { sets: [{ sequence: 7 }] } },
    'targets.list': { value: { targets: TARGETS } },
    'config.get': { value: { config: { general: {} } } },
    'definitions.activate': activated,
  });
  return { ...scripted, release };
}

describe('pane actions', () => {
  it('an action that ends after the administrator moved on leaves the new pane alone', async () => {
    const { api, calls, release } = panesApi();
    const store = createAppStore(api);
    store.getState().selectNode(nodeId('definitions', 's1'));
    const activating = store.getState().activateDefinitions('s1', 7);
    // Meanwhile the administrator opens the Targets pane, which loads its rows.
    store.getState().selectNode(nodeId('targets', 's1'));
    await expect.poll(() => store.getState().pane?.rows).toEqual(TARGETS);
    const listsBefore = calls.filter((m) => m === 'definitions.list').length;
    release();
    expect(await activating).toMatchObject({ ok: true });
    // Targets is still shown with its rows; the Definitions list was not reloaded over it.
    expect(store.getState().pane).toMatchObject({ kind: 'targets', loading: false });
    expect(store.getState().pane?.rows).toEqual(TARGETS);
    expect(calls.filter((m) => m === 'definitions.list').length).toBe(listsBefore);
  });

  it('an action on the pane still shown reloads it', async () => {
    const { api, calls, release } = panesApi();
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

describe('item Properties: fix coverage', () => {
  const detail = { sample: { id: '5', checksum: 'A'.repeat(32) }, attributes: {}, history: [] };

  it('says why it could not be read instead of showing nothing', async () => {
    const { api } = scriptedConsoleApi({
      'samples.get': { value: detail },
      'coverage.get': { error: { code: 'internal', message: 'database is locked' } },
    });
    const store = createAppStore(api);
    store.getState().openItemProperties('s1', '5');
    await expect.poll(() => store.getState().itemProps?.coverageError).toBeTruthy();
    expect(store.getState().itemProps?.coverageError).toMatch(/database is locked/);
    expect(store.getState().itemProps?.coverage).toBeNull();
  });

  it('a late answer for the same item id on another server is not shown', async () => {
    let answerFirst: (value: { value: unknown }) => void = () => undefined;
    const first = new Promise<{ value: unknown }>((resolve) => (answerFirst = resolve));
    const second = { fixingSequence: null, endpoints: 2, covered: 0 };
    const { api } = scriptedConsoleApi({
      'samples.get': { value: detail },
      'coverage.get': (call) => (call === 0 ? first : { value: second }),
    });
    const store = createAppStore(api);
    store.getState().openItemProperties('s1', '5');
    await expect.poll(() => store.getState().itemProps?.detail).toBeTruthy();
    // The same item id, on another server, is opened before the first answer arrives.
    store.getState().openItemProperties('s2', '5');
    await expect.poll(() => store.getState().itemProps?.coverage).toEqual(second);
    answerFirst({ value: { fixingSequence: 3, endpoints: 1, covered: 1 } });
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.getState().itemProps).toMatchObject({ serverId: 's2', coverage: second });
  });
});
