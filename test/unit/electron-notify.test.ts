import { describe, expect, it, vi } from 'vitest';
import type { ConsoleResult, ServerEntry } from '../../src-shared/api/console-api.js';
import type { Alert } from '../../src-shared/api/models.js';
import { ALERT_EVENTS, type AlertEventId } from '../../src-shared/catalog/events.js';
import {
  connectConsoleHub,
  createConsoleHandlers,
  openNotificationTarget,
  type ConsoleManager,
} from '../../src-main/console/electron/console-hub.js';
import {
  alertNotice,
  createAlertNotifier,
  type AlertNotice,
} from '../../src-main/console/electron/notify-model.js';

function alert(
  id: string,
  event: AlertEventId = 'sampleHeld',
  sampleId: string | null = '42',
): Alert {
  return { id, event, sampleId, message: `message of ${id}`, at: 1_700_000_000_000 };
}

describe('alert notification text', () => {
  it.each(ALERT_EVENTS.map((e) => [e.id, e.name] as const))(
    '%s is titled "%s" from the event catalog',
    (event, name) => {
      const notice = alertNotice('embedded', 'WS-01', alert('a', event));
      expect(notice.title).toBe(name);
    },
  );

  it('has the message and the server in the body, and targets the item', () => {
    const notice = alertNotice('remote-1', 'qs.example:8850', {
      ...alert('a', 'sampleNeedsAttention', '1234'),
      message: 'Sample 1234 needs a specialist',
    });
    expect(notice).toEqual({
      title: 'Sample: needs attention from Tech Support',
      body: 'Sample 1234 needs a specialist\nServer: qs.example:8850',
      target: { serverId: 'remote-1', sampleId: '1234' },
    });
  });

  it('targets the server for a server-wide alert', () => {
    const notice = alertNotice('embedded', 'WS-01', alert('a', 'gatewayUnreachable', null));
    expect(notice.target).toEqual({ serverId: 'embedded', sampleId: null });
  });

  it('shortens a very long message', () => {
    const notice = alertNotice('embedded', 'WS-01', { ...alert('a'), message: 'x'.repeat(5000) });
    expect(notice.body.length).toBeLessThan(300);
    expect(notice.body).toContain('…\nServer: WS-01');
  });
});

describe('alert notifier', () => {
  function setup(paused = false) {
    const state = { paused };
    const shown: AlertNotice[] = [];
    const notify = createAlertNotifier({
      isPaused: () => state.paused,
      serverLabel: (id) => (id === 'embedded' ? 'WS-01' : id),
      show: (notice) => shown.push(notice),
    });
    return { notify, shown, state };
  }

  it('shows a raised alert once, and nothing for a cleared one or other events', () => {
    const { notify, shown } = setup();
    expect(notify('embedded', 'alert.raised', alert('a1'))?.title).toBe(
      'Sample: held for manual submission',
    );
    expect(notify('embedded', 'alert.raised', alert('a1'))).toBeNull();
    expect(notify('embedded', 'alert.cleared', alert('a1'))).toBeNull();
    expect(notify('embedded', 'sample.added', alert('a2'))).toBeNull();
    expect(shown).toHaveLength(1);
    expect(shown[0]?.body).toBe('message of a1\nServer: WS-01');
  });

  it('treats the same alert id on two servers as two alerts', () => {
    const { notify, shown } = setup();
    notify('embedded', 'alert.raised', alert('a1'));
    notify('remote-1', 'alert.raised', alert('a1'));
    expect(shown.map((n) => n.target.serverId)).toEqual(['embedded', 'remote-1']);
  });

  it('is silent while paused and does not replay the backlog on resume', () => {
    const { notify, shown, state } = setup(true);
    expect(notify('embedded', 'alert.raised', alert('a1'))).toBeNull();
    state.paused = false;
    expect(notify('embedded', 'alert.raised', alert('a1'))).toBeNull();
    expect(notify('embedded', 'alert.raised', alert('a2'))).not.toBeNull();
    expect(shown.map((n) => n.body)).toEqual(['message of a2\nServer: WS-01']);
  });

  it('ignores payloads that are not alerts', () => {
    const { notify, shown } = setup();
    expect(notify('embedded', 'alert.raised', { id: 'x' })).toBeNull();
    expect(notify('embedded', 'alert.raised', { ...alert('a'), event: 'madeUp' })).toBeNull();
    expect(shown).toHaveLength(0);
  });
});

const server: ServerEntry = {
  id: 'embedded',
  label: 'WS-01',
  kind: 'embedded',
  state: 'connected',
  address: '/tmp/control.sock',
  user: null,
  lastError: null,
};

/** An attach manager fake whose events the test emits. */
function fakeManager() {
  let onEvent: ((serverId: string, event: never, payload: unknown) => void) | undefined;
  let onServers: ((servers: ServerEntry[]) => void) | undefined;
  const ok = <T>(value: T): Promise<ConsoleResult<T>> => Promise.resolve({ ok: true, value });
  const manager = {
    list: vi.fn(() => [server]),
    attach: vi.fn(() => ok(server)),
    detach: vi.fn(() => ok(null)),
    call: vi.fn(() => ok<unknown>({ done: [] })),
    onEvent: vi.fn((listener: typeof onEvent) => {
      onEvent = listener;
      return () => (onEvent = undefined);
    }),
    onServersChanged: vi.fn((listener: typeof onServers) => {
      onServers = listener;
      return () => (onServers = undefined);
    }),
  };
  return {
    manager: manager as unknown as ConsoleManager,
    raw: manager,
    emit: (serverId: string, event: string, payload: unknown) =>
      onEvent?.(serverId, event as never, payload),
    serversChanged: (servers: ServerEntry[]) => onServers?.(servers),
    subscribed: () => onEvent !== undefined || onServers !== undefined,
  };
}

describe('console hub', () => {
  function setup() {
    const fake = fakeManager();
    const push = vi.fn(() => true);
    const tray = { handleEvent: vi.fn(), serversChanged: vi.fn() };
    const notify = vi.fn(() => null);
    const hub = connectConsoleHub(fake.manager, { push, tray, notify });
    return { ...fake, hub, push, tray, notify };
  }

  it('sends every server event to the renderer, the tray and the notifier', () => {
    const { emit, push, tray, notify } = setup();
    const payload = alert('a1');
    emit('embedded', 'alert.raised', payload);
    expect(push).toHaveBeenCalledWith('cq:serverEvent', {
      serverId: 'embedded',
      event: 'alert.raised',
      payload,
    });
    expect(tray.handleEvent).toHaveBeenCalledWith('embedded', 'alert.raised', payload);
    expect(notify).toHaveBeenCalledWith('embedded', 'alert.raised', payload);
  });

  it('sends server-list changes to the renderer and the tray, and learns labels', () => {
    const { serversChanged, push, tray, hub } = setup();
    expect(hub.serverLabel('embedded')).toBe('WS-01');
    const remote: ServerEntry = { ...server, id: 'remote-1', kind: 'remote', label: 'QS-EAST' };
    serversChanged([server, remote]);
    expect(push).toHaveBeenCalledWith('cq:serversChanged', [server, remote]);
    expect(tray.serversChanged).toHaveBeenCalledWith([server, remote]);
    expect(hub.serverLabel('remote-1')).toBe('QS-EAST');
    expect(hub.serverLabel('unknown')).toBe('unknown');
  });

  it('unsubscribes on dispose', () => {
    const { hub, subscribed } = setup();
    expect(subscribed()).toBe(true);
    hub.dispose();
    expect(subscribed()).toBe(false);
  });

  it('answers the IPC handlers from the manager', async () => {
    const { manager, raw } = fakeManager();
    const handlers = createConsoleHandlers(manager);
    expect(await handlers['cq:listServers']({})).toEqual({ ok: true, value: [server] });
    await handlers['cq:detach']({ serverId: 'remote-1' });
    expect(raw.detach).toHaveBeenCalledWith('remote-1');
    await handlers['cq:call']({
      serverId: 'embedded',
      method: 'samples.delete',
      params: { ids: ['1'] },
    });
    expect(raw.call).toHaveBeenCalledWith('embedded', 'samples.delete', { ids: ['1'] });
  });

  it('opens the window before asking the renderer to select a clicked alert', () => {
    const order: string[] = [];
    const pushed = openNotificationTarget(
      { serverId: 'embedded', sampleId: '42' },
      {
        showWindow: () => order.push('show'),
        push: (channel, payload) => {
          order.push(`${channel} ${JSON.stringify(payload)}`);
          return true;
        },
      },
    );
    expect(pushed).toBe(true);
    expect(order).toEqual(['show', 'cq:focusItem {"serverId":"embedded","sampleId":"42"}']);
  });
});
