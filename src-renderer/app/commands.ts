/** Commands shared by the menu bar, the toolbar and the keyboard, read from the store when used. */
import type { MenuItemSpec } from '../components/Menu.js';
import { sampleMenuItems } from '../features/list/sample-menu.js';
import { offeredAction, selectionEligibility } from '../lib/sample-actions.js';
import { parseNode } from '../store/nodes.js';
import type { AppState } from '../store/store.js';

/** The server the selected node belongs to, if any. */
export function selectedServer(state: AppState) {
  const node = parseNode(state.selectedNode);
  return node.kind === 'root' ? undefined : state.servers.find((s) => s.id === node.serverId);
}

/** Open the Properties that fit the selection: the item's in the list, else the server's. */
export function openProperties(state: AppState): void {
  const node = parseNode(state.selectedNode);
  if (node.kind === 'items' && state.selectedCount() > 0) state.openItemProperties();
  else if (node.kind !== 'root') state.openServerProperties(node.serverId);
}

/** Reload what the right pane shows. */
export function refresh(state: AppState): void {
  const node = parseNode(state.selectedNode);
  if (node.kind === 'root') return;
  void state.loadInfo(node.serverId);
  if (node.kind === 'items') state.refreshList();
  else if (node.kind !== 'server') void state.loadPane(node.kind, node.serverId);
}

/** Whether an item action can run now, and why not. */
export function itemActionState(
  state: AppState,
  method: string,
): { enabled: boolean; reason?: string } {
  const action = offeredAction(method);
  if (!action) return { enabled: false, reason: 'this server API does not offer it' };
  if (parseNode(state.selectedNode).kind !== 'items')
    return { enabled: false, reason: 'open Quarantined Items first' };
  const server = selectedServer(state);
  if (server?.state !== 'connected')
    return { enabled: false, reason: 'the server is not connected' };
  const eligibility = selectionEligibility(action, state.selectedRows(), state.selectedCount());
  return eligibility.allowed ? { enabled: true } : { enabled: false, reason: eligibility.reason };
}

/** The File menu. */
export function fileMenu(state: AppState): MenuItemSpec[] {
  const server = selectedServer(state);
  return [
    {
      id: 'attach',
      label: 'Attach to Server…',
      onSelect: () => state.openDialog({ kind: 'attach' }),
    },
    {
      id: 'detach',
      label: 'Detach Server',
      disabled: server?.kind !== 'remote',
      reason: server
        ? 'the server on this computer stays attached'
        : 'select a remote server first',
      onSelect: () => {
        if (server) void state.detachServer(server.id);
      },
    },
  ];
}

/** The Action menu: item actions in the item list, server actions elsewhere. */
export function actionMenu(state: AppState): MenuItemSpec[] {
  const node = parseNode(state.selectedNode);
  const server = selectedServer(state);
  const connected = server?.state === 'connected';
  const items: MenuItemSpec[] = node.kind === 'items' ? sampleMenuItems(state) : [];
  items.push(
    {
      id: 'server-properties',
      label: 'Server Properties…',
      separatorBefore: items.length > 0,
      disabled: !connected,
      reason: server ? 'the server is not connected' : 'select a server first',
      onSelect: () => server && state.openServerProperties(server.id),
    },
    {
      id: 'setup',
      label: 'Run Setup…',
      disabled: !connected || state.infos[server?.id ?? '']?.setupComplete !== false,
      reason: !server
        ? 'select a server first'
        : connected
          ? 'the server is already set up'
          : 'the server is not connected',
      onSelect: () => server && void state.openWizard(server.id),
    },
  );
  return items;
}

/** The View menu. */
export function viewMenu(state: AppState): MenuItemSpec[] {
  return [{ id: 'refresh', label: 'Refresh', shortcut: 'F5', onSelect: () => refresh(state) }];
}

/** The Help menu. */
export function helpMenu(state: AppState): MenuItemSpec[] {
  return [
    {
      id: 'about',
      label: 'About Central Quarantine',
      onSelect: () => state.openDialog({ kind: 'about' }),
    },
  ];
}
