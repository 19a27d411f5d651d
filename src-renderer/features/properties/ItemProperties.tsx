/**
 * Properties of one quarantined item: General, Sample Attributes (double-click or Enter shows an
 * attribute's description from the catalog), Actions (history, priority, status actions) and
 * Errors.
 */
import { useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { isMethodName } from '../../../src-shared/api/contract.js';
import { getAttributeSpec } from '../../../src-shared/catalog/attributes.js';
import { ERROR_DESCRIPTIONS } from '../../../src-shared/catalog/errors.js';
import { DataTable } from '../../components/DataTable.js';
import { Dialog } from '../../components/Dialog.js';
import { Tabs } from '../../components/Tabs.js';
import {
  analysisStateLabel,
  formatBytes,
  formatDateTime,
  formatSequence,
  plural,
  statusDescription,
  statusLabel,
} from '../../lib/format.js';
import { offeredActions, selectionEligibility } from '../../lib/sample-actions.js';
import type { ItemPropsState, SampleDetail } from '../../store/properties-slice.js';
import { useApp } from '../../store/store.js';

/** Item actions that make sense on one item from its Actions tab (no destination or confirm). */
const ACTIONS_TAB_FLOWS = new Set(['bulk']);

/** "3 of 4 endpoints run sequence 00000002 or later" — how far the fix has spread. */
function coverageText(
  coverage: ItemPropsState['coverage'],
  error: ItemPropsState['coverageError'],
): string {
  if (error !== null) return `Could not be read: ${error}`;
  if (!coverage) return 'Not known';
  const endpoints = plural(coverage.endpoints, 'endpoint');
  if (coverage.fixingSequence === null) {
    return `No fixing definitions yet (${endpoints} reported this content)`;
  }
  return `${coverage.covered} of ${endpoints} that reported this content ${coverage.endpoints === 1 ? 'runs' : 'run'} sequence ${formatSequence(coverage.fixingSequence)} or later`;
}

function GeneralTab({
  detail,
  coverage,
  coverageError,
}: {
  detail: SampleDetail;
  coverage: ItemPropsState['coverage'];
  coverageError: ItemPropsState['coverageError'];
}): ReactNode {
  const s = detail.sample;
  return (
    <dl className="facts">
      <dt>File name</dt>
      <dd>{s.fileName ?? '(unknown)'}</dd>
      <dt>Status</dt>
      <dd>
        {statusLabel(s.status)} — {statusDescription(s.status)}
      </dd>
      <dt>Computer</dt>
      <dd>{s.computer ?? ''}</dd>
      <dt>User</dt>
      <dd>{s.domain ? `${s.domain}\\${s.userName ?? ''}` : (s.userName ?? '')}</dd>
      <dt>Received on</dt>
      <dd>{formatDateTime(s.receivedOn)}</dd>
      <dt>Submitted on</dt>
      <dd>{s.submittedOn === null ? 'Not submitted' : formatDateTime(s.submittedOn)}</dd>
      <dt>Analysis state</dt>
      <dd>{analysisStateLabel(s.sampleState) || 'Not analysed'}</dd>
      <dt>Virus</dt>
      <dd>{s.virus ?? 'None identified'}</dd>
      <dt>Definitions needed</dt>
      <dd>{formatSequence(s.definitionsNeeded) || 'None'}</dd>
      <dt>Size</dt>
      <dd>{formatBytes(s.size)}</dd>
      <dt>Checksum (MD5)</dt>
      <dd className="mono">{s.checksum}</dd>
      <dt>Fix coverage</dt>
      <dd>{coverageText(coverage, coverageError)}</dd>
      <dt>Item id</dt>
      <dd>{s.id}</dd>
    </dl>
  );
}

function AttributesTab({
  detail,
  selected,
  onShow,
}: {
  detail: SampleDetail;
  selected: string | null;
  onShow: (name: string | null) => void;
}): ReactNode {
  const names = Object.keys(detail.attributes).sort();
  const [focus, setFocus] = useState(0);
  const refs = useRef<(HTMLDivElement | null)[]>([]);
  const spec = selected ? getAttributeSpec(selected) : undefined;

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    let next = focus;
    if (event.key === 'ArrowDown') next = Math.min(names.length - 1, focus + 1);
    else if (event.key === 'ArrowUp') next = Math.max(0, focus - 1);
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = names.length - 1;
    else if (event.key === 'Enter') {
      onShow(names[focus] ?? null);
      event.preventDefault();
      return;
    } else return;
    event.preventDefault();
    setFocus(next);
    refs.current[next]?.focus();
  };

  return (
    <div className="attributes">
      <p className="hint">Double-click an attribute (or press Enter) for its description.</p>
      <div role="grid" aria-label="Sample attributes" className="attr-grid">
        <div role="row" className="attr-row attr-head">
          <div role="columnheader">Attribute</div>
          <div role="columnheader">Value</div>
        </div>
        {names.map((name, index) => (
          <div
            key={name}
            ref={(el) => {
              refs.current[index] = el;
            }}
            role="row"
            aria-selected={selected === name}
            tabIndex={index === focus ? 0 : -1}
            className={`attr-row${selected === name ? ' selected' : ''}`}
            onClick={() => setFocus(index)}
            onKeyDown={onKeyDown}
            onDoubleClick={() => {
              setFocus(index);
              onShow(name);
            }}
          >
            <div role="gridcell" className="mono">
              {name}
            </div>
            <div role="gridcell" className="mono">
              {detail.attributes[name]}
            </div>
          </div>
        ))}
      </div>
      <section className="attr-description" aria-label="Attribute description" aria-live="polite">
        {selected ? (
          <>
            <strong>{selected}</strong>
            {spec ? (
              <>
                <p>{spec.description}</p>
                <p className="hint">
                  Group {spec.group}; set by {spec.setBy.join(', ')}.
                </p>
              </>
            ) : (
              <p>
                Not in the attribute catalog: an attribute the sender added, kept exactly as it
                arrived.
              </p>
            )}
          </>
        ) : (
          <p className="hint">No attribute chosen.</p>
        )}
      </section>
    </div>
  );
}

function ActionsTab({ detail }: { detail: SampleDetail }): ReactNode {
  const { busy, message } = useApp(
    useShallow((s) => ({
      busy: s.itemProps?.busy ?? false,
      message: s.itemProps?.message ?? null,
    })),
  );
  const setItemPriority = useApp((s) => s.setItemPriority);
  const runItemAction = useApp((s) => s.runItemAction);
  const [priority, setPriority] = useState(String(detail.sample.priority));
  const priorityValid = /^\d+$/.test(priority.trim()) && Number(priority) <= 1000;
  const attr = (name: string): string | undefined => detail.attributes[name];
  const actions = offeredActions().filter((a) => ACTIONS_TAB_FLOWS.has(a.flow));
  const hasSetPriority = isMethodName('samples.setPriority');

  return (
    <div>
      <fieldset className="action-controls">
        <legend>Submission and delivery</legend>
        {hasSetPriority ? (
          <div className="field-row">
            <label>
              Submission priority (0 = none, up to 1000){' '}
              <input
                type="text"
                inputMode="numeric"
                value={priority}
                aria-invalid={!priorityValid}
                onChange={(e) => setPriority(e.target.value)}
              />
            </label>
            <button
              type="button"
              disabled={busy || !priorityValid}
              onClick={() => void setItemPriority(Number(priority))}
            >
              Set priority
            </button>
          </div>
        ) : null}
        <div className="button-row">
          {actions.map((action) => {
            const eligibility = selectionEligibility(action, [detail.sample], 1, () => attr);
            return (
              <button
                key={action.method}
                type="button"
                disabled={busy || !eligibility.allowed}
                title={eligibility.allowed ? undefined : eligibility.reason}
                onClick={() => void runItemAction(action.method)}
              >
                {action.label}
              </button>
            );
          })}
        </div>
        {message ? (
          <p
            role={message.tone === 'error' ? 'alert' : 'status'}
            className={message.tone === 'error' ? 'error-text' : undefined}
          >
            {message.text}
          </p>
        ) : null}
      </fieldset>
      <h3>History</h3>
      <DataTable
        label="History"
        rows={detail.history}
        rowKey={(h) => String(h.seq)}
        emptyText="No history recorded."
        columns={[
          { id: 'at', label: 'Time', render: (h) => formatDateTime(h.at) },
          { id: 'action', label: 'Action', render: (h) => h.action },
          {
            id: 'change',
            label: 'Status change',
            render: (h) =>
              h.from || h.to
                ? `${h.from ? statusLabel(h.from) : '(new)'} → ${h.to ? statusLabel(h.to) : ''}`
                : '',
          },
          { id: 'actor', label: 'By', render: (h) => h.actor },
          { id: 'reason', label: 'Reason', render: (h) => h.reason ?? '' },
        ]}
      />
    </div>
  );
}

function ErrorsTab({ detail }: { detail: SampleDetail }): ReactNode {
  return (
    <DataTable
      label="Errors"
      rows={detail.errors}
      rowKey={(e, index) => `${e.at}-${index}`}
      emptyText="No errors were recorded for this item."
      columns={[
        { id: 'at', label: 'Time', render: (e) => formatDateTime(e.at) },
        { id: 'code', label: 'Error', render: (e) => [e.code, ...e.params].join(' ') },
        { id: 'meaning', label: 'Meaning', render: (e) => ERROR_DESCRIPTIONS[e.code] },
        { id: 'source', label: 'Source', render: (e) => e.source },
        { id: 'message', label: 'Details', render: (e) => e.message },
      ]}
    />
  );
}

/** The item Properties dialog. */
export function ItemProperties(): ReactNode {
  const item = useApp((s) => s.itemProps);
  const closeDialog = useApp((s) => s.closeDialog);
  const showAttribute = useApp((s) => s.showAttribute);
  const closeRef = useRef<HTMLButtonElement>(null);
  if (!item) return null;
  const detail = item.detail;
  const title = detail
    ? `${detail.sample.fileName ?? `Item ${item.sampleId}`} Properties`
    : 'Item Properties';
  return (
    <Dialog
      title={title}
      onClose={closeDialog}
      size="large"
      footer={
        <button ref={closeRef} type="button" onClick={closeDialog}>
          Close
        </button>
      }
    >
      {item.gone ? (
        <p className="error-text" role="alert">
          This item was deleted from the server.
        </p>
      ) : null}
      {item.error ? (
        <p className="error-text" role="alert">
          {item.error}
        </p>
      ) : null}
      {!detail && item.loading ? <p role="status">Loading…</p> : null}
      {detail ? (
        <Tabs
          label="Item properties"
          tabs={[
            {
              id: 'general',
              label: 'General',
              render: () => (
                <GeneralTab
                  detail={detail}
                  coverage={item.coverage}
                  coverageError={item.coverageError}
                />
              ),
            },
            {
              id: 'attributes',
              label: 'Sample Attributes',
              render: () => (
                <AttributesTab detail={detail} selected={item.attribute} onShow={showAttribute} />
              ),
            },
            { id: 'actions', label: 'Actions', render: () => <ActionsTab detail={detail} /> },
            {
              id: 'errors',
              label: `Errors (${detail.errors.length})`,
              render: () => <ErrorsTab detail={detail} />,
            },
          ]}
        />
      ) : null}
    </Dialog>
  );
}
