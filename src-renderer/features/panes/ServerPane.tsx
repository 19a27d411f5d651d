/** A server node: what `server.info` says about it, and its Properties and setup. */
import type { ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { SAMPLE_STATUS_INFO, isSampleStatus } from '../../../src-shared/catalog/tokens.js';
import { formatBytes, formatDateTime, formatSequence } from '../../lib/format.js';
import { useApp } from '../../store/store.js';

/** The pane of one server. */
export function ServerPane({ serverId }: { serverId: string }): ReactNode {
  const { server, info, infoError } = useApp(
    useShallow((s) => ({
      server: s.servers.find((e) => e.id === serverId),
      info: s.infos[serverId],
      infoError: s.infoErrors[serverId],
    })),
  );
  const openServerProperties = useApp((s) => s.openServerProperties);
  const openWizard = useApp((s) => s.openWizard);
  if (!server) return null;
  const connected = server.state === 'connected';
  return (
    <section className="pane padded" aria-label={`Server ${server.label}`}>
      <h2>{info?.name ?? server.label}</h2>
      {!connected ? (
        <p className="error-text" role="status">
          {server.state === 'connecting' ? 'Connecting…' : 'Disconnected'}
          {server.lastError ? `: ${server.lastError}` : ''}
        </p>
      ) : null}
      {infoError ? (
        <p className="error-text" role="alert">
          {infoError}
        </p>
      ) : null}
      {info ? (
        <dl className="facts">
          <dt>Address</dt>
          <dd>{server.address}</dd>
          <dt>Version</dt>
          <dd>{info.version}</dd>
          <dt>Setup type</dt>
          <dd>
            {info.setupType === 'email'
              ? 'Email-based Scan and Deliver'
              : 'Internet-based Scan and Deliver'}
          </dd>
          <dt>Set up</dt>
          <dd>{info.setupComplete ? 'Yes' : 'No: customer information is missing'}</dd>
          <dt>Active definitions</dt>
          <dd>
            {info.activeDefinitions
              ? `Sequence ${formatSequence(info.activeDefinitions.sequence)} ${info.activeDefinitions.version}`
              : 'None installed'}
          </dd>
          <dt>Items</dt>
          <dd>
            {info.counts.total.toLocaleString()}
            {Object.entries(info.counts.byStatus).length > 0
              ? ` (${Object.entries(info.counts.byStatus)
                  .map(
                    ([status, n]) =>
                      `${isSampleStatus(status) ? SAMPLE_STATUS_INFO[status].label : status}: ${n}`,
                  )
                  .join(', ')})`
              : ''}
          </dd>
          <dt>Quarantine use</dt>
          <dd>
            {formatBytes(info.quota.usedBytes)} of {formatBytes(info.quota.maxBytes)} (
            {formatBytes(info.quota.freeBytes)} free on disk)
          </dd>
          <dt>Listeners</dt>
          <dd>
            {Object.entries(info.listeners)
              .map(([name, address]) => `${name} ${address}`)
              .join(', ')}
          </dd>
          <dt>Running since</dt>
          <dd>{formatDateTime(info.startedAt)}</dd>
        </dl>
      ) : null}
      <p className="button-row">
        <button type="button" disabled={!connected} onClick={() => openServerProperties(serverId)}>
          Properties…
        </button>
        {info && !info.setupComplete ? (
          <button type="button" onClick={() => void openWizard(serverId)}>
            Run setup…
          </button>
        ) : null}
      </p>
    </section>
  );
}
