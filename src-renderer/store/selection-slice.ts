/**
 * Selection in the Quarantined Items list: by sample id (so it survives refreshes and live
 * updates), plus "everything matching the filter" for Ctrl+A on lists too long to enumerate.
 */
import type { SampleSummary } from '../../src-shared/api/contract.js';
import { MAX_PAGE_ROWS } from '../../src-shared/api/contract.js';
import { describeError } from '../lib/errors.js';
import type { SliceContext } from './types.js';

/** Longest range Shift+click selects item by item (beyond it, use Ctrl+A and a filter). */
const MAX_RANGE = 10_000;

/** The selection. */
export interface SelectionState {
  readonly ids: ReadonlySet<string>;
  /** Every item matching the current filter (Ctrl+A). */
  readonly all: boolean;
  /** Where a Shift range starts. */
  readonly anchor: number;
  /** The row with the keyboard focus. */
  readonly focus: number;
}

/** The selection slice. */
export interface SelectionSlice {
  selection: SelectionState;
  /** Select only the row at `index`. */
  selectOnly: (index: number) => void;
  /** Ctrl+click: add or remove the row at `index`. */
  toggleAt: (index: number) => void;
  /** Shift+click or Shift+arrow: select from the anchor to `index`. */
  extendTo: (index: number) => Promise<void>;
  selectAll: () => void;
  clearSelection: () => void;
  /** Move the keyboard focus without changing the selection (Ctrl+arrow). */
  setFocus: (index: number) => void;
  selectedCount: () => number;
  /** The selected rows that are loaded. */
  selectedRows: () => SampleSummary[];
  /** Every selected id (pages through the list for Ctrl+A). */
  resolveSelectedIds: () => Promise<{ ok: true; ids: string[] } | { ok: false; message: string }>;
}

const NONE: SelectionState = { ids: new Set(), all: false, anchor: 0, focus: 0 };

/** True when a row is selected. */
export function isRowSelected(selection: SelectionState, id: string): boolean {
  return selection.all || selection.ids.has(id);
}

/** Create the selection slice. */
export function createSelectionSlice({ set, get, api }: SliceContext): SelectionSlice {
  return {
    selection: NONE,

    selectOnly(index) {
      const row = get().rowAt(index);
      set({
        selection: { ids: new Set(row ? [row.id] : []), all: false, anchor: index, focus: index },
      });
    },

    toggleAt(index) {
      const row = get().rowAt(index);
      const current = get().selection;
      if (!row) {
        set({ selection: { ...current, anchor: index, focus: index } });
        return;
      }
      const ids = new Set(
        current.all
          ? get()
              .selectedRows()
              .map((r) => r.id)
          : current.ids,
      );
      if (ids.has(row.id)) ids.delete(row.id);
      else ids.add(row.id);
      set({ selection: { ids, all: false, anchor: index, focus: index } });
    },

    async extendTo(index) {
      const { anchor } = get().selection;
      const from = Math.max(0, Math.min(anchor, index));
      const to = Math.min(Math.max(anchor, index), from + MAX_RANGE - 1);
      set({ selection: { ...get().selection, focus: index } });
      await get().loadRows(from, to);
      const ids = new Set<string>();
      for (let i = from; i <= to; i++) {
        const row = get().rowAt(i);
        if (row) ids.add(row.id);
      }
      set({ selection: { ids, all: false, anchor, focus: index } });
    },

    selectAll() {
      const total = get().list.total ?? 0;
      if (total === 0) return;
      set({ selection: { ...get().selection, ids: new Set(), all: true } });
    },

    clearSelection() {
      set({ selection: NONE });
    },

    setFocus(index) {
      set({ selection: { ...get().selection, focus: index } });
    },

    selectedCount() {
      const { all, ids } = get().selection;
      return all ? (get().list.total ?? 0) : ids.size;
    },

    selectedRows() {
      const { all, ids } = get().selection;
      const rows: SampleSummary[] = [];
      for (const page of Object.values(get().list.pages)) {
        for (const row of page) if (all || ids.has(row.id)) rows.push(row);
      }
      return rows;
    },

    async resolveSelectedIds() {
      const { all, ids } = get().selection;
      if (!all) return { ok: true, ids: [...ids] };
      const { serverId, sort, order, text, status } = get().list;
      if (serverId === null) return { ok: true, ids: [] };
      const out: string[] = [];
      const filter = {
        ...(text.trim() !== '' ? { text: text.trim() } : {}),
        ...(status !== '' ? { status: [status] } : {}),
      };
      for (let offset = 0; ; offset += MAX_PAGE_ROWS) {
        const page = await api.call(serverId, 'samples.list', {
          offset,
          limit: MAX_PAGE_ROWS,
          sort,
          order,
          ...(Object.keys(filter).length > 0 ? { filter } : {}),
        });
        if (!page.ok) return { ok: false, message: describeError(page.error) };
        out.push(...page.value.rows.map((r) => r.id));
        if (page.value.rows.length < MAX_PAGE_ROWS || out.length >= page.value.total) break;
      }
      return { ok: true, ids: out };
    },
  };
}
