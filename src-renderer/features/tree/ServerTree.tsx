/**
 * The left pane: an ARIA tree (Central Quarantine → each server → Quarantined Items,
 * Definitions, Targets, Alerts & Log). Arrow keys move and expand, Enter opens, the
 * context-menu key or Shift+F10 opens the node's menu.
 */
import { useRef, useState, type KeyboardEvent, type MouseEvent, type ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { ServerEntry } from '../../../src-shared/api/console-api.js';
import { MenuPopup, type MenuItemSpec } from '../../components/Menu.js';
import { ICONS } from '../../lib/icons.js';
import { nodeId, parseNode, ROOT_NODE, SERVER_FOLDERS } from '../../store/nodes.js';
import { useApp } from '../../store/store.js';

interface TreeNode {
  readonly id: string;
  readonly label: string;
  readonly level: number;
  readonly icon: string;
  readonly expandable: boolean;
  readonly expanded: boolean;
  readonly parent: string | null;
  readonly posinset: number;
  readonly setsize: number;
  readonly detail?: string;
}

const FOLDER_ICONS: Record<string, string> = {
  items: ICONS.items,
  definitions: ICONS.definitions,
  targets: ICONS.targets,
  log: ICONS.log,
};

function stateText(server: ServerEntry): string | undefined {
  if (server.state === 'connected') return undefined;
  return server.state === 'connecting' ? 'connecting' : 'disconnected';
}

function flatten(servers: readonly ServerEntry[], expanded: Record<string, boolean>): TreeNode[] {
  const rootOpen = expanded[ROOT_NODE] ?? true;
  const nodes: TreeNode[] = [
    {
      id: ROOT_NODE,
      label: 'Central Quarantine',
      level: 1,
      icon: ICONS.app,
      expandable: true,
      expanded: rootOpen,
      parent: null,
      posinset: 1,
      setsize: 1,
    },
  ];
  if (!rootOpen) return nodes;
  servers.forEach((server, index) => {
    const id = nodeId('server', server.id);
    const open = expanded[id] ?? true;
    const detail = stateText(server);
    nodes.push({
      id,
      label: server.label,
      level: 2,
      icon: server.state === 'connected' ? ICONS.server : ICONS.serverOff,
      expandable: true,
      expanded: open,
      parent: ROOT_NODE,
      posinset: index + 1,
      setsize: servers.length,
      ...(detail ? { detail } : {}),
    });
    if (!open) return;
    SERVER_FOLDERS.forEach((folder, f) => {
      nodes.push({
        id: nodeId(folder.kind, server.id),
        label: folder.label,
        level: 3,
        icon: FOLDER_ICONS[folder.kind] ?? ICONS.items,
        expandable: false,
        expanded: false,
        parent: id,
        posinset: f + 1,
        setsize: SERVER_FOLDERS.length,
      });
    });
  });
  return nodes;
}

/** The server tree. */
export function ServerTree({ id }: { id: string }): ReactNode {
  const { servers, expanded, selected, infos } = useApp(
    useShallow((s) => ({
      servers: s.servers,
      expanded: s.expanded,
      selected: s.selectedNode,
      infos: s.infos,
    })),
  );
  const selectNode = useApp((s) => s.selectNode);
  const setExpanded = useApp((s) => s.setExpanded);
  const openDialog = useApp((s) => s.openDialog);
  const openServerProperties = useApp((s) => s.openServerProperties);
  const openWizard = useApp((s) => s.openWizard);
  const detachServer = useApp((s) => s.detachServer);
  const loadInfo = useApp((s) => s.loadInfo);
  const refreshList = useApp((s) => s.refreshList);
  const [menu, setMenu] = useState<{ node: string; x: number; y: number } | null>(null);
  const refs = useRef(new Map<string, HTMLDivElement>());

  const nodes = flatten(servers, expanded);
  const current = nodes.find((n) => n.id === selected) ?? nodes[0];

  const focusNode = (nodeIdValue: string): void => {
    selectNode(nodeIdValue);
    refs.current.get(nodeIdValue)?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    if (!current) return;
    const index = nodes.indexOf(current);
    switch (event.key) {
      case 'ArrowDown': {
        const next = nodes[index + 1];
        if (next) focusNode(next.id);
        break;
      }
      case 'ArrowUp': {
        const previous = nodes[index - 1];
        if (previous) focusNode(previous.id);
        break;
      }
      case 'ArrowRight':
        if (current.expandable && !current.expanded) setExpanded(current.id, true);
        else if (current.expandable) {
          const child = nodes[index + 1];
          if (child && child.parent === current.id) focusNode(child.id);
        }
        break;
      case 'ArrowLeft':
        if (current.expandable && current.expanded) setExpanded(current.id, false);
        else if (current.parent) focusNode(current.parent);
        break;
      case 'Home': {
        const first = nodes[0];
        if (first) focusNode(first.id);
        break;
      }
      case 'End': {
        const last = nodes[nodes.length - 1];
        if (last) focusNode(last.id);
        break;
      }
      case 'Enter':
        if (current.expandable) setExpanded(current.id, !current.expanded);
        break;
      case 'ContextMenu':
        openMenuAt(current.id, null);
        break;
      case 'F10':
        if (!event.shiftKey) return;
        openMenuAt(current.id, null);
        break;
      default:
        return;
    }
    event.preventDefault();
  };

  const openMenuAt = (node: string, event: MouseEvent | null): void => {
    const el = refs.current.get(node);
    const rect = el?.getBoundingClientRect();
    setMenu({
      node,
      x: event ? event.clientX : (rect?.left ?? 0) + 24,
      y: event ? event.clientY : (rect?.bottom ?? 0),
    });
  };

  const menuItems = (node: string): MenuItemSpec[] => {
    const ref = parseNode(node);
    const attach: MenuItemSpec = {
      id: 'attach',
      label: 'Attach to Server…',
      onSelect: () => openDialog({ kind: 'attach' }),
    };
    if (ref.kind === 'root') return [attach];
    const server = servers.find((s) => s.id === ref.serverId);
    const connected = server?.state === 'connected';
    const notConnected = 'the server is not connected';
    const items: MenuItemSpec[] = [
      {
        id: 'properties',
        label: 'Properties',
        disabled: !connected,
        reason: notConnected,
        onSelect: () => openServerProperties(ref.serverId),
      },
      {
        id: 'setup',
        label: 'Run Setup…',
        disabled: !connected || infos[ref.serverId]?.setupComplete !== false,
        reason: connected ? 'the server is already set up' : notConnected,
        onSelect: () => void openWizard(ref.serverId),
      },
      {
        id: 'refresh',
        label: 'Refresh',
        disabled: !connected,
        reason: notConnected,
        onSelect: () => {
          void loadInfo(ref.serverId);
          refreshList();
        },
      },
    ];
    if (server?.kind === 'remote') {
      items.push({
        id: 'detach',
        label: 'Detach Server',
        separatorBefore: true,
        onSelect: () => void detachServer(ref.serverId),
      });
    }
    items.push({ ...attach, separatorBefore: server?.kind !== 'remote' });
    return items;
  };

  return (
    <>
      <div role="tree" aria-label="Servers" id={id} className="tree">
        {nodes.map((node) => {
          const isSelected = node.id === current?.id;
          return (
            <div
              key={node.id}
              ref={(el) => {
                if (el) refs.current.set(node.id, el);
                else refs.current.delete(node.id);
              }}
              role="treeitem"
              aria-level={node.level}
              aria-posinset={node.posinset}
              aria-setsize={node.setsize}
              aria-selected={isSelected}
              aria-expanded={node.expandable ? node.expanded : undefined}
              tabIndex={isSelected ? 0 : -1}
              className={`treeitem level-${node.level}${isSelected ? ' selected' : ''}`}
              onKeyDown={onKeyDown}
              onClick={(event) => {
                // The expand arrow toggles; anywhere else selects.
                if ((event.target as HTMLElement).dataset.twisty !== undefined && node.expandable)
                  setExpanded(node.id, !node.expanded);
                focusNode(node.id);
              }}
              onContextMenu={(event) => {
                event.preventDefault();
                focusNode(node.id);
                openMenuAt(node.id, event);
              }}
            >
              {node.expandable ? (
                <span aria-hidden="true" className="twisty" data-twisty="">
                  {node.expanded ? '▾' : '▸'}
                </span>
              ) : (
                <span aria-hidden="true" className="twisty" />
              )}
              <img src={node.icon} alt="" className="icon" />
              <span className="tree-label">{node.label}</span>
              {node.detail ? <span className="tree-detail"> ({node.detail})</span> : null}
            </div>
          );
        })}
      </div>
      {menu ? (
        <MenuPopup
          label="Server actions"
          items={menuItems(menu.node)}
          position={{ x: menu.x, y: menu.y }}
          onClose={() => {
            setMenu(null);
            refs.current.get(selected)?.focus();
          }}
        />
      ) : null}
    </>
  );
}
