/** Alerts & Log: the server's Quarantine Log (newest first), and its alerts when the API lists them. */
import type { ReactNode } from 'react';
import type { LogEntry } from '../../../src-shared/api/contract.js';
import { isMethodName } from '../../../src-shared/api/contract.js';
import { DataTable, genericColumns } from '../../components/DataTable.js';
import { ListView } from '../../components/ListView.js';
import { formatDateTime } from '../../lib/format.js';
import { useApp } from '../../store/store.js';

const LOG_COLUMNS = [
  { id: 'at', label: 'Time', width: 170, text: (e: LogEntry) => formatDateTime(e.at) },
  { id: 'level', label: 'Level', width: 70, text: (e: LogEntry) => e.level },
  { id: 'source', label: 'Source', width: 90, text: (e: LogEntry) => e.source },
  { id: 'message', label: 'Message', width: 560, text: (e: LogEntry) => e.message },
  { id: 'sample', label: 'Item', width: 70, text: (e: LogEntry) => e.sampleId ?? '' },
];

/** The Alerts & Log pane. */
export function LogPane({ serverId }: { serverId: string }): ReactNode {
  const pane = useApp((s) => s.pane);
  const setLogText = useApp((s) => s.setLogText);
  const loadPane = useApp((s) => s.loadPane);
  const show = pane && pane.serverId === serverId && pane.kind === 'log' ? pane : null;
  const entries = show?.log ?? [];
  return (
    <section className="pane" aria-label="Alerts and Quarantine Log">
      <div className="filterbar" role="search">
        <label>
          Find in log{' '}
          <input
            type="search"
            value={show?.text ?? ''}
            onChange={(e) => setLogText(e.target.value)}
          />
        </label>
        <button type="button" onClick={() => void loadPane('log', serverId)}>
          Refresh
        </button>
        {show?.loading ? <span role="status">Loading…</span> : null}
      </div>
      {show?.error ? (
        <div className="error-text" role="alert">
          {show.error}
        </div>
      ) : null}
      {isMethodName('alerts.list') ? (
        <div className="padded">
          <h3>Alerts</h3>
          <DataTable
            label="Alerts"
            rows={show?.rows ?? []}
            rowKey={(_row, index) => String(index)}
            columns={genericColumns(show?.rows ?? [])}
            emptyText="No alerts."
          />
        </div>
      ) : null}
      <ListView<LogEntry>
        id="log-grid"
        label="Quarantine Log"
        columns={LOG_COLUMNS}
        rowCount={entries.length}
        getRow={(index) => entries[index]}
        isSelected={() => false}
        focusIndex={0}
        onRowPointer={() => undefined}
        onFocusMove={() => undefined}
        onActivate={() => undefined}
        emptyText={show?.loading ? 'Loading…' : 'The log has no entries.'}
      />
    </section>
  );
}
