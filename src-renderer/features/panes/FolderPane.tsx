/**
 * The Definitions and Targets folders. What the server reports today (active definitions,
 * delivery policy) is shown; the full lists appear once the server API offers
 * `definitions.list` and `targets.list`, with the actions of the methods it has (import,
 * activate, deliver, select targets).
 */
import type { ReactNode } from 'react';
import { isMethodName } from '../../../src-shared/api/contract.js';
import { DataTable, genericColumns } from '../../components/DataTable.js';
import { formatSequence } from '../../lib/format.js';
import { PANE_METHODS } from '../../store/panes-slice.js';
import { useApp } from '../../store/store.js';
import { DefinitionsActions, TargetsActions } from './FolderActions.js';

/** The Definitions or Targets pane. */
export function FolderPane({
  serverId,
  kind,
}: {
  serverId: string;
  kind: 'definitions' | 'targets';
}): ReactNode {
  const pane = useApp((s) => s.pane);
  const info = useApp((s) => s.infos[serverId]);
  const loadPane = useApp((s) => s.loadPane);
  const show = pane && pane.serverId === serverId && pane.kind === kind ? pane : null;
  const method = PANE_METHODS[kind] ?? '';
  const title = kind === 'definitions' ? 'Definitions' : 'Targets';
  return (
    <section className="pane padded" aria-label={title}>
      <h2>{title}</h2>
      {kind === 'definitions' ? (
        <p>
          Active definitions on this server:{' '}
          {info?.activeDefinitions
            ? `sequence ${formatSequence(info.activeDefinitions.sequence)} ${info.activeDefinitions.version}`
            : 'none installed yet'}
          .
        </p>
      ) : (
        <p>Computers that receive definitions from this server.</p>
      )}
      {show?.error ? (
        <p className="error-text" role="alert">
          {show.error}
        </p>
      ) : null}
      {isMethodName(method) ? (
        <>
          <DataTable
            label={title}
            rows={show?.rows ?? []}
            rowKey={(_row, index) => String(index)}
            columns={genericColumns(show?.rows ?? [])}
            emptyText={show?.loading ? 'Loading…' : 'Nothing to list.'}
          />
          <p className="button-row">
            <button type="button" onClick={() => void loadPane(kind, serverId)}>
              Refresh
            </button>
          </p>
          {kind === 'definitions' ? (
            <DefinitionsActions serverId={serverId} rows={show?.rows ?? []} />
          ) : (
            <TargetsActions serverId={serverId} rows={show?.rows ?? []} />
          )}
        </>
      ) : (
        <p className="empty-text">
          This server&apos;s API does not list {kind} yet (it has no {method} method); the list
          appears here once it does.
        </p>
      )}
    </section>
  );
}
