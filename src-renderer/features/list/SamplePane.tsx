/**
 * The Quarantined Items pane: filter box and status filter over the virtualised item list,
 * with the guide's columns for the server's setup type, server-side sort, multi-select,
 * context menu, Enter for Properties and Delete with confirmation.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { SampleSortKey, SampleSummary } from '../../../src-shared/api/contract.js';
import { SAMPLE_STATUSES, SAMPLE_STATUS_INFO } from '../../../src-shared/catalog/tokens.js';
import { ListView, type Gesture, type ListColumn } from '../../components/ListView.js';
import { MenuPopup } from '../../components/Menu.js';
import {
  arrangeColumns,
  EMPTY_LAYOUT,
  moveColumn,
  parseLayout,
  type ColumnLayout,
} from '../../lib/column-layout.js';
import { columnsFor } from '../../lib/columns.js';
import { offeredAction } from '../../lib/sample-actions.js';
import { PAGE_SIZE } from '../../store/list-slice.js';
import { isRowSelected } from '../../store/selection-slice.js';
import { useApp, useAppStore } from '../../store/store.js';
import { sampleMenuItems } from './sample-menu.js';

/** Where the column arrangement of each setup type is kept between sessions. */
const layoutKey = (setupType: string): string => `cq.list.columns.${setupType}`;

/** How long column changes settle before they are saved (a drag changes a width per move). */
const SAVE_DELAY_MS = 500;

/**
 * The administrator's column order and widths for a setup type, kept in local storage: read
 * once per setup type, saved once a change has settled. `reset` goes back to the defaults.
 */
function useColumnLayout(
  setupType: string,
): [ColumnLayout, (next: ColumnLayout) => void, () => void] {
  const [layouts, setLayouts] = useState<Record<string, ColumnLayout>>({});
  const stored = useMemo(() => parseLayout(readStored(layoutKey(setupType))), [setupType]);
  const layout = layouts[setupType] ?? stored;
  const saving = useRef<{ timer: ReturnType<typeof setTimeout>; save: () => void } | null>(null);
  // A pending save is written when the pane or the page goes away, not lost.
  useEffect(() => {
    const flush = (): void => {
      if (!saving.current) return;
      clearTimeout(saving.current.timer);
      saving.current.save();
    };
    window.addEventListener('pagehide', flush);
    return () => {
      window.removeEventListener('pagehide', flush);
      flush();
    };
  }, []);
  const set = useCallback(
    (next: ColumnLayout) => {
      setLayouts((current) => ({ ...current, [setupType]: next }));
      if (saving.current) clearTimeout(saving.current.timer);
      const save = (): void => {
        saving.current = null;
        try {
          if (next === EMPTY_LAYOUT) localStorage.removeItem(layoutKey(setupType));
          else localStorage.setItem(layoutKey(setupType), JSON.stringify(next));
        } catch {
          // Storage full or switched off: the arrangement lasts for this session only.
        }
      };
      saving.current = { timer: setTimeout(save, SAVE_DELAY_MS), save };
    },
    [setupType],
  );
  const reset = useCallback(() => set(EMPTY_LAYOUT), [set]);
  return [layout, set, reset];
}

function readStored(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

/** Id of the item grid (the context-menu and tests refer to it). */
export const SAMPLE_GRID_ID = 'sample-grid';

/** The Quarantined Items pane of one server. */
export function SamplePane({ serverId }: { serverId: string }): ReactNode {
  const store = useAppStore();
  const list = useApp((s) => s.list);
  const selection = useApp((s) => s.selection);
  const { info, server, contextMenu } = useApp(
    useShallow((s) => ({
      info: s.infos[serverId],
      server: s.servers.find((e) => e.id === serverId),
      contextMenu: s.contextMenu,
    })),
  );
  const actions = useApp(
    useShallow((s) => ({
      sortBy: s.sortBy,
      setFilterText: s.setFilterText,
      setStatusFilter: s.setStatusFilter,
      setVisibleRange: s.setVisibleRange,
      selectOnly: s.selectOnly,
      toggleAt: s.toggleAt,
      extendTo: s.extendTo,
      setFocus: s.setFocus,
      selectAll: s.selectAll,
      openItemProperties: s.openItemProperties,
      requestSampleAction: s.requestSampleAction,
      openContextMenu: s.openContextMenu,
      closeContextMenu: s.closeContextMenu,
      openWizard: s.openWizard,
    })),
  );

  // Ages move on by themselves; a coarse clock keeps columns (and rows) stable between ticks.
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  const setupType = info?.setupType ?? 'internet';
  const [layout, setLayout, resetLayout] = useColumnLayout(setupType);
  const columns = useMemo<ListColumn<SampleSummary>[]>(
    () =>
      arrangeColumns(columnsFor(setupType), layout).map((c) => ({
        id: c.id,
        label: c.label,
        width: c.width,
        ...(c.align ? { align: c.align } : {}),
        text: (row: SampleSummary) => c.text(row, now),
      })),
    [setupType, layout, now],
  );

  const getRow = useCallback(
    (index: number) => list.pages[Math.floor(index / PAGE_SIZE)]?.[index % PAGE_SIZE],
    [list.pages],
  );
  const isSelected = useCallback(
    (row: SampleSummary | undefined) => (row ? isRowSelected(selection, row.id) : false),
    [selection],
  );

  const onPointer = (index: number, gesture: Gesture): void => {
    if (gesture.shift) void actions.extendTo(index);
    else if (gesture.ctrl) actions.toggleAt(index);
    else actions.selectOnly(index);
  };
  const onFocusMove = (index: number, gesture: Gesture): void => {
    if (gesture.shift) void actions.extendTo(index);
    else if (gesture.ctrl) actions.setFocus(index);
    else actions.selectOnly(index);
  };
  const onContextMenu = (index: number | null, x: number, y: number): void => {
    if (index !== null) {
      const row = store.getState().rowAt(index);
      if (!row || !isRowSelected(store.getState().selection, row.id)) actions.selectOnly(index);
    }
    actions.openContextMenu(x, y);
  };
  const onDelete = (): void => {
    if (offeredAction('samples.delete')) void actions.requestSampleAction('samples.delete');
  };

  const total = list.total ?? 0;
  const label = server ? `Quarantined items on ${server.label}` : 'Quarantined items';
  const emptyText =
    list.total === null
      ? 'Loading…'
      : list.text || list.status
        ? 'No items match the filter.'
        : 'No items are quarantined on this server.';

  return (
    <section className="pane sample-pane" aria-label={label}>
      <div className="filterbar" role="search">
        <label>
          Filter{' '}
          <input
            type="search"
            value={list.text}
            placeholder="File, computer, user or virus"
            onChange={(event) => actions.setFilterText(event.target.value)}
          />
        </label>
        <label>
          Status{' '}
          <select
            value={list.status}
            onChange={(event) => actions.setStatusFilter(event.target.value)}
          >
            <option value="">All statuses</option>
            {SAMPLE_STATUSES.map((status) => (
              <option key={status} value={status}>
                {SAMPLE_STATUS_INFO[status].label}
              </option>
            ))}
          </select>
        </label>
        {layout.order.length > 0 || Object.keys(layout.widths).length > 0 ? (
          <button type="button" onClick={resetLayout}>
            Reset columns
          </button>
        ) : null}
      </div>
      {info && !info.setupComplete ? (
        <div className="banner" role="note">
          This server is not set up yet, so it cannot send samples for analysis.{' '}
          <button type="button" onClick={() => void actions.openWizard(serverId)}>
            Run setup…
          </button>
        </div>
      ) : null}
      {list.error ? (
        <div className="error-text" role="alert">
          {list.error}
        </div>
      ) : null}
      <ListView<SampleSummary>
        id={SAMPLE_GRID_ID}
        label={label}
        columns={columns}
        rowCount={total}
        getRow={getRow}
        isSelected={isSelected}
        focusIndex={Math.min(selection.focus, Math.max(0, total - 1))}
        sortColumn={list.sort}
        sortOrder={list.order}
        onSort={(id) => actions.sortBy(id as SampleSortKey)}
        onResizeColumn={(id, width) =>
          setLayout({ ...layout, widths: { ...layout.widths, [id]: width } })
        }
        onMoveColumn={(id, beforeId) =>
          setLayout({
            ...layout,
            order: moveColumn(
              columns.map((c) => c.id),
              id,
              beforeId,
            ),
          })
        }
        resetToken={list.resetToken}
        onVisibleRangeChange={actions.setVisibleRange}
        onRowPointer={onPointer}
        onFocusMove={onFocusMove}
        onToggle={actions.toggleAt}
        onActivate={(index) => {
          actions.selectOnly(index);
          actions.openItemProperties();
        }}
        onDelete={onDelete}
        onSelectAll={actions.selectAll}
        onContextMenu={onContextMenu}
        emptyText={emptyText}
      />
      {contextMenu ? (
        <MenuPopup
          label="Item actions"
          items={sampleMenuItems(store.getState())}
          position={contextMenu}
          onClose={() => {
            actions.closeContextMenu();
            document.getElementById(SAMPLE_GRID_ID)?.focus();
          }}
        />
      ) : null}
    </section>
  );
}
