/** The Central Quarantine node: every server the console knows, and how to attach another. */
import type { ReactNode } from 'react';
import type { ServerEntry } from '../../../src-shared/api/console-api.js';
import { DataTable } from '../../components/DataTable.js';
import { useApp } from '../../store/store.js';

const KIND_LABELS: Record<ServerEntry['kind'], string> = {
  embedded: 'On this computer (started by the console)',
  local: 'On this computer',
  remote: 'Remote',
};

/** The root pane. */
export function RootPane(): ReactNode {
  const servers = useApp((s) => s.servers);
  const openDialog = useApp((s) => s.openDialog);
  return (
    <section className="pane padded" aria-label="Central Quarantine">
      <h2>Central Quarantine</h2>
      <p>
        Servers this console manages. Select a server&apos;s Quarantined Items to work with its
        samples.
      </p>
      <DataTable
        label="Servers"
        rows={servers}
        rowKey={(s) => s.id}
        emptyText="No servers yet."
        columns={[
          { id: 'label', label: 'Server', render: (s) => s.label },
          { id: 'kind', label: 'Where', render: (s) => KIND_LABELS[s.kind] },
          { id: 'address', label: 'Address', render: (s) => s.address },
          { id: 'user', label: 'User', render: (s) => s.user ?? '' },
          {
            id: 'state',
            label: 'Connection',
            render: (s) => (s.lastError ? `${s.state}: ${s.lastError}` : s.state),
          },
        ]}
      />
      <p>
        <button type="button" onClick={() => openDialog({ kind: 'attach' })}>
          Attach to Server…
        </button>
      </p>
    </section>
  );
}
