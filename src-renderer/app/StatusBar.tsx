/** The status bar: item counts, the selected server's connection, and the latest notice. */
import type { ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { plural } from '../lib/format.js';
import { parseNode } from '../store/nodes.js';
import { useApp } from '../store/store.js';

/** The status bar. */
export function StatusBar(): ReactNode {
  const { selectedNode, total, selected, servers, notice, infos } = useApp(
    useShallow((s) => ({
      selectedNode: s.selectedNode,
      total: s.list.total,
      selected: s.selectedCount(),
      servers: s.servers,
      notice: s.notice,
      infos: s.infos,
    })),
  );
  const node = parseNode(selectedNode);
  const server = servers.find((e) => e.id === node.serverId);
  const info = server ? infos[server.id] : undefined;
  let counts = '';
  if (node.kind === 'items') {
    counts =
      total === null
        ? 'Loading items…'
        : `${plural(total, 'item')}${selected > 0 ? `, ${selected.toLocaleString()} selected` : ''}`;
  } else if (info) {
    counts = `${plural(info.counts.total, 'item')} on this server`;
  }
  const connection = server
    ? `${server.label}: ${server.state}${server.lastError ? ` (${server.lastError})` : ''}`
    : '';
  return (
    <footer className="statusbar">
      <span className="status-counts">{counts}</span>
      <span className={`status-connection ${server?.state ?? ''}`}>{connection}</span>
      <span role="status" aria-live="polite" className={`status-notice ${notice?.tone ?? ''}`}>
        {notice?.text ?? ''}
      </span>
    </footer>
  );
}
