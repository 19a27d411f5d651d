/**
 * Servers and the tree: the attached servers as the console host reports them, each one's
 * `server.info`, and which tree node is selected and expanded.
 */
import type { AttachRequest, ServerEntry } from '../../src-shared/api/console-api.js';
import type { EventName, ResponseOf } from '../../src-shared/api/contract.js';
import { describeError } from '../lib/errors.js';
import { nodeId, parseNode, ROOT_NODE } from './nodes.js';
import type { SliceContext } from './types.js';

/** What `server.info` returns. */
export type ServerInfo = ResponseOf<'server.info'>;

/** The servers slice. */
export interface ServersSlice {
  /** In tree order, as the console host reports them. */
  servers: ServerEntry[];
  infos: Record<string, ServerInfo>;
  infoErrors: Record<string, string>;
  /** general.consoleAutoRefreshSeconds of each server (0 = off). */
  refreshSeconds: Record<string, number>;
  selectedNode: string;
  expanded: Record<string, boolean>;
  setServers: (servers: ServerEntry[]) => void;
  loadInfo: (serverId: string) => Promise<void>;
  selectNode: (id: string) => void;
  setExpanded: (id: string, expanded: boolean) => void;
  /** Attach a remote server; resolves with an error message, or null when attached. */
  attachServer: (request: AttachRequest) => Promise<string | null>;
  detachServer: (serverId: string) => Promise<void>;
  handleServerEvent: (serverId: string, event: EventName, payload: unknown) => void;
  /** Start listening to the console API; returns the function that stops. */
  startSession: () => () => void;
}

/** Create the servers slice. */
export function createServersSlice({ set, get, api }: SliceContext): ServersSlice {
  let autoSelected = false;
  const infoTimers = new Map<string, ReturnType<typeof setTimeout>>();

  /** Reload a server's info soon, once, however many events arrive meanwhile. */
  const reloadInfoSoon = (serverId: string): void => {
    if (infoTimers.has(serverId)) return;
    infoTimers.set(
      serverId,
      setTimeout(() => {
        infoTimers.delete(serverId);
        void get().loadInfo(serverId);
      }, 1000),
    );
  };

  let paneTimer: ReturnType<typeof setTimeout> | undefined;
  /** The log pane shows what events write to the Quarantine Log; keep it current. */
  const reloadPaneSoon = (serverId: string): void => {
    const pane = get().pane;
    if (
      paneTimer ||
      !pane ||
      pane.serverId !== serverId ||
      get().selectedNode !== nodeId(pane.kind, serverId)
    )
      return;
    paneTimer = setTimeout(() => {
      paneTimer = undefined;
      const current = get().pane;
      if (current) void get().loadPane(current.kind, current.serverId);
    }, 1000);
  };

  return {
    servers: [],
    infos: {},
    infoErrors: {},
    refreshSeconds: {},
    selectedNode: ROOT_NODE,
    expanded: { [ROOT_NODE]: true },

    setServers(servers) {
      const previous = new Map(get().servers.map((s) => [s.id, s]));
      const expanded = { ...get().expanded };
      for (const server of servers) {
        if (!previous.has(server.id)) expanded[nodeId('server', server.id)] = true;
      }
      set({ servers, expanded });
      const selected = parseNode(get().selectedNode);
      if (selected.kind !== 'root' && !servers.some((s) => s.id === selected.serverId)) {
        get().selectNode(ROOT_NODE);
      }
      // Open on the first server's items, the view administrators come for; its page is
      // requested before the server's info, as it is what they wait for.
      const first = servers[0];
      if (!autoSelected && first) {
        autoSelected = true;
        if (get().selectedNode === ROOT_NODE) get().selectNode(nodeId('items', first.id));
      }
      for (const server of servers) {
        const before = previous.get(server.id);
        if (server.state === 'connected' && before?.state !== 'connected') {
          void get().loadInfo(server.id);
          // Back after a disconnection: what the list shows may be stale.
          if (before && get().list.serverId === server.id) get().refreshList();
        }
      }
    },

    async loadInfo(serverId) {
      const result = await api.call(serverId, 'server.info', {});
      if (!result.ok) {
        set({ infoErrors: { ...get().infoErrors, [serverId]: describeError(result.error) } });
        return;
      }
      const info = result.value;
      const infoErrors = { ...get().infoErrors };
      delete infoErrors[serverId];
      set({ infos: { ...get().infos, [serverId]: info }, infoErrors });
      const config = await api.call(serverId, 'config.get', {});
      if (config.ok) {
        const general = config.value.config.general as { consoleAutoRefreshSeconds?: unknown };
        const seconds =
          typeof general?.consoleAutoRefreshSeconds === 'number'
            ? general.consoleAutoRefreshSeconds
            : 0;
        if (get().refreshSeconds[serverId] !== seconds) {
          set({ refreshSeconds: { ...get().refreshSeconds, [serverId]: seconds } });
          if (get().list.serverId === serverId) get().restartAutoRefresh();
        }
      }
      const entry = get().servers.find((s) => s.id === serverId);
      if (!info.setupComplete && entry && entry.kind !== 'remote') get().offerSetup(serverId);
    },

    selectNode(id) {
      if (get().selectedNode === id) return;
      set({ selectedNode: id });
      const node = parseNode(id);
      if (node.kind === 'items') get().openList(node.serverId);
      else get().closeList();
      if (node.kind === 'log' || node.kind === 'definitions' || node.kind === 'targets')
        void get().loadPane(node.kind, node.serverId);
      get().clearSelection();
    },

    setExpanded(id, expanded) {
      set({ expanded: { ...get().expanded, [id]: expanded } });
    },

    async attachServer(request) {
      const result = await api.attach(request);
      if (!result.ok) return describeError(result.error);
      // The host also pushes the new list; taking it now keeps the dialog and tree in step.
      const listed = await api.listServers();
      if (listed.ok) get().setServers(listed.value);
      get().setExpanded(nodeId('server', result.value.id), true);
      get().selectNode(nodeId('items', result.value.id));
      get().notify(`Attached to ${result.value.label}`);
      return null;
    },

    async detachServer(serverId) {
      const entry = get().servers.find((s) => s.id === serverId);
      const result = await api.detach(serverId);
      if (!result.ok) {
        get().notify(describeError(result.error), 'error');
        return;
      }
      const listed = await api.listServers();
      if (listed.ok) get().setServers(listed.value);
      get().notify(`Detached ${entry?.label ?? 'the server'}`);
    },

    handleServerEvent(serverId, event, payload) {
      switch (event) {
        case 'sample.added':
        case 'sample.changed':
        case 'sample.deleted':
          get().onSampleEvent(serverId, event, payload);
          get().onItemEvent(serverId, event, payload);
          reloadInfoSoon(serverId);
          reloadPaneSoon(serverId);
          return;
        case 'alert.raised': {
          const alert = payload as { message?: unknown };
          const server = get().servers.find((s) => s.id === serverId);
          get().notify(
            `Alert on ${server?.label ?? serverId}: ${typeof alert.message === 'string' ? alert.message : 'new alert'}`,
            'error',
          );
          reloadInfoSoon(serverId);
          return;
        }
        case 'alert.cleared':
        case 'definitions.installed':
        case 'server.status':
          reloadInfoSoon(serverId);
          return;
      }
    },

    startSession() {
      const offServers = api.onServersChanged((servers) => get().setServers(servers));
      const offEvents = api.onEvent((serverId, event, payload) =>
        get().handleServerEvent(serverId, event, payload),
      );
      void api.listServers().then((result) => {
        if (result.ok) get().setServers(result.value);
      });
      return () => {
        offServers();
        offEvents();
        for (const timer of infoTimers.values()) clearTimeout(timer);
        infoTimers.clear();
      };
    },
  };
}
