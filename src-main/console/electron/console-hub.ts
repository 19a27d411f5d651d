/**
 * Routes between the attach manager and the desktop pieces: IPC handlers answer the renderer from
 * the manager; server events go to the renderer, the tray count and the notifier; server-list
 * changes go to the renderer and the tray; a clicked notification brings the window forward and
 * tells the renderer what to select. Pure wiring over injected parts, so it is tested with fakes.
 */
import type { ServerEntry } from '../../../src-shared/api/console-api.js';
import type { AttachManager } from '../attach-manager.js';
import type { FocusItemTarget } from './ipc-channels.js';
import type { InvokeHandlers, RendererPush } from './ipc-main-bridge.js';
import type { AlertNotifier } from './notify-model.js';
import type { TrayController } from './tray-model.js';

/** The part of the attach manager the console uses. */
export type ConsoleManager = Pick<
  AttachManager,
  'list' | 'attach' | 'detach' | 'call' | 'onEvent' | 'onServersChanged'
>;

/** IPC handlers answering the renderer's ConsoleApi from the manager. */
export function createConsoleHandlers(manager: ConsoleManager): InvokeHandlers {
  return {
    'cq:listServers': () => ({ ok: true, value: manager.list() }),
    'cq:attach': (request) => manager.attach(request),
    'cq:detach': ({ serverId }) => manager.detach(serverId),
    'cq:call': ({ serverId, method, params }) => manager.call(serverId, method, params),
  };
}

/** Where events go. */
export interface ConsoleHubParts {
  readonly push: RendererPush;
  readonly tray: Pick<TrayController, 'handleEvent' | 'serversChanged'>;
  readonly notify: AlertNotifier;
}

/** The connected hub: server labels for notifications, and how to undo the subscriptions. */
export interface ConsoleHub {
  /** The tree label of a server (its id when unknown). */
  serverLabel(serverId: string): string;
  dispose(): void;
}

/** Subscribe the parts to the manager. */
export function connectConsoleHub(manager: ConsoleManager, parts: ConsoleHubParts): ConsoleHub {
  let labels = new Map<string, string>();
  const learn = (servers: readonly ServerEntry[]): void => {
    labels = new Map(servers.map((s) => [s.id, s.label || s.address]));
  };
  learn(manager.list());
  const offEvent = manager.onEvent((serverId, event, payload) => {
    parts.push('cq:serverEvent', { serverId, event, payload });
    parts.tray.handleEvent(serverId, event, payload);
    parts.notify(serverId, event, payload);
  });
  const offServers = manager.onServersChanged((servers) => {
    learn(servers);
    parts.push('cq:serversChanged', servers);
    parts.tray.serversChanged(servers);
  });
  return {
    serverLabel: (serverId) => labels.get(serverId) ?? serverId,
    dispose: () => {
      offEvent();
      offServers();
    },
  };
}

/** What a clicked notification does: show the window, then ask the renderer to select the item. */
export function openNotificationTarget(
  target: FocusItemTarget,
  parts: { readonly showWindow: () => void; readonly push: RendererPush },
): boolean {
  parts.showWindow();
  return parts.push('cq:focusItem', target);
}
