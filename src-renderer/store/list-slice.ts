/**
 * The Quarantined Items list: server-side sort, filter and paging through `samples.list`.
 * Pages are fetched on demand for the rows in view and cached (bounded), so a list of 100,000
 * items costs only the pages the administrator looks at. Server events refresh what is shown.
 */
import type { SampleSortKey, SampleSummary } from '../../src-shared/api/contract.js';
import { sampleSummarySchema } from '../../src-shared/api/contract.js';
import { describeError } from '../lib/errors.js';
import type { SliceContext } from './types.js';

/** Rows per `samples.list` call. */
export const PAGE_SIZE = 100;

/** Pages kept in memory; the ones farthest from view go first. */
const MAX_CACHED_PAGES = 40;

/** Wait after the last keystroke before filtering. */
const FILTER_DELAY_MS = 250;

/** Wait after a burst of server events before refreshing. */
const REFRESH_DELAY_MS = 150;

/** What the list shows and what it has loaded. */
export interface ListState {
  readonly serverId: string | null;
  readonly sort: SampleSortKey;
  readonly order: 'asc' | 'desc';
  /** The filter box as typed. */
  readonly text: string;
  /** Sample Status to show only ('' = all). */
  readonly status: string;
  /** Items matching the filter; null until the first page arrives. */
  readonly total: number | null;
  /** Loaded pages by page number. */
  readonly pages: Readonly<Record<number, readonly SampleSummary[]>>;
  /** Bumped whenever what is shown must be fetched again. */
  readonly generation: number;
  /** Bumped when the query changes, so the view scrolls back to the top. */
  readonly resetToken: number;
  readonly error: string | null;
}

/** The list slice. */
export interface ListSlice {
  list: ListState;
  openList: (serverId: string) => void;
  closeList: () => void;
  /** Sort by a column; the same column again flips the order. */
  sortBy: (key: SampleSortKey) => void;
  setFilterText: (text: string) => void;
  setStatusFilter: (status: string) => void;
  /** The view shows rows first..last (inclusive); fetch what is missing. */
  setVisibleRange: (first: number, last: number) => void;
  /** Fetch the rows in view again (keeps them on screen until the new ones arrive). */
  refreshList: () => void;
  /** Make sure rows first..last are loaded (used by range selection). */
  loadRows: (first: number, last: number) => Promise<void>;
  rowAt: (index: number) => SampleSummary | undefined;
  onSampleEvent: (serverId: string, event: string, payload: unknown) => void;
  restartAutoRefresh: () => void;
}

const EMPTY: ListState = {
  serverId: null,
  sort: 'receivedOn',
  order: 'desc',
  text: '',
  status: '',
  total: null,
  pages: {},
  generation: 0,
  resetToken: 0,
  error: null,
};

/** Create the list slice. */
export function createListSlice({ set, get, api }: SliceContext): ListSlice {
  const inflight = new Map<string, Promise<void>>();
  let visible = { first: 0, last: 0 };
  let filterTimer: ReturnType<typeof setTimeout> | undefined;
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  let autoTimer: ReturnType<typeof setInterval> | undefined;

  const update = (patch: Partial<ListState>): void => set({ list: { ...get().list, ...patch } });

  const pagesInView = (): number[] => {
    const first = Math.floor(Math.max(0, visible.first) / PAGE_SIZE);
    const last = Math.floor(Math.max(0, visible.last) / PAGE_SIZE);
    const out: number[] = [];
    for (let p = first; p <= last; p++) out.push(p);
    return out;
  };

  const evict = (pages: Record<number, readonly SampleSummary[]>): void => {
    const keys = Object.keys(pages).map(Number);
    if (keys.length <= MAX_CACHED_PAGES) return;
    const center = (visible.first + visible.last) / 2 / PAGE_SIZE;
    keys.sort((a, b) => Math.abs(b - center) - Math.abs(a - center));
    for (const key of keys.slice(0, keys.length - MAX_CACHED_PAGES)) delete pages[key];
  };

  const fetchPage = (page: number): Promise<void> => {
    const { serverId, sort, order, text, status, generation } = get().list;
    if (serverId === null) return Promise.resolve();
    const key = `${generation}:${page}`;
    const running = inflight.get(key);
    if (running) return running;
    const filter = {
      ...(text.trim() !== '' ? { text: text.trim() } : {}),
      ...(status !== '' ? { status: [status] } : {}),
    };
    const promise = api
      .call(serverId, 'samples.list', {
        offset: page * PAGE_SIZE,
        limit: PAGE_SIZE,
        sort,
        order,
        ...(Object.keys(filter).length > 0 ? { filter } : {}),
      })
      .then((result) => {
        inflight.delete(key);
        const list = get().list;
        if (list.generation !== generation || list.serverId !== serverId) return;
        if (!result.ok) {
          update({ error: describeError(result.error) });
          return;
        }
        const pages = { ...list.pages, [page]: result.value.rows };
        evict(pages);
        update({ pages, total: result.value.total, error: null });
      });
    inflight.set(key, promise);
    return promise;
  };

  /** A new query: forget every page and start at the top. */
  const requery = (patch: Partial<ListState>): void => {
    const list = get().list;
    visible = { first: 0, last: Math.max(0, visible.last - visible.first) };
    set({
      list: {
        ...list,
        ...patch,
        pages: {},
        generation: list.generation + 1,
        resetToken: list.resetToken + 1,
        error: null,
      },
    });
    get().clearSelection();
    for (const page of pagesInView()) void fetchPage(page);
  };

  return {
    list: EMPTY,

    openList(serverId) {
      const list = get().list;
      if (list.serverId === serverId) return;
      set({
        list: {
          ...EMPTY,
          serverId,
          generation: list.generation + 1,
          resetToken: list.resetToken + 1,
        },
      });
      visible = { first: 0, last: 40 };
      void fetchPage(0);
      get().restartAutoRefresh();
    },

    closeList() {
      if (get().list.serverId === null) return;
      update({ serverId: null, pages: {}, total: null, generation: get().list.generation + 1 });
      get().restartAutoRefresh();
    },

    sortBy(key) {
      const list = get().list;
      const order = list.sort === key ? (list.order === 'asc' ? 'desc' : 'asc') : 'asc';
      requery({ sort: key, order });
    },

    setFilterText(text) {
      update({ text });
      if (filterTimer) clearTimeout(filterTimer);
      filterTimer = setTimeout(() => requery({}), FILTER_DELAY_MS);
    },

    setStatusFilter(status) {
      requery({ status });
    },

    setVisibleRange(first, last) {
      visible = { first, last };
      const { pages, total } = get().list;
      for (const page of pagesInView()) {
        if (total !== null && page * PAGE_SIZE >= total) continue;
        if (!pages[page]) void fetchPage(page);
      }
    },

    refreshList() {
      const list = get().list;
      if (list.serverId === null) return;
      const keep = new Set(pagesInView());
      const pages: Record<number, readonly SampleSummary[]> = {};
      for (const [key, rows] of Object.entries(list.pages)) {
        if (keep.has(Number(key))) pages[Number(key)] = rows;
      }
      set({ list: { ...list, pages, generation: list.generation + 1 } });
      for (const page of keep) void fetchPage(page);
    },

    async loadRows(first, last) {
      const pages: Promise<void>[] = [];
      for (let p = Math.floor(first / PAGE_SIZE); p <= Math.floor(last / PAGE_SIZE); p++) {
        if (!get().list.pages[p]) pages.push(fetchPage(p));
      }
      await Promise.all(pages);
    },

    rowAt(index) {
      return get().list.pages[Math.floor(index / PAGE_SIZE)]?.[index % PAGE_SIZE];
    },

    onSampleEvent(serverId, event, payload) {
      const list = get().list;
      if (list.serverId !== serverId) return;
      if (event === 'sample.changed') {
        // Show the new values at once; the refresh below fixes the order if it changed.
        const parsed = sampleSummarySchema.safeParse((payload as { sample?: unknown }).sample);
        if (parsed.success) {
          const changed = parsed.data;
          let pages: Record<number, readonly SampleSummary[]> | null = null;
          for (const [key, rows] of Object.entries(list.pages)) {
            const at = rows.findIndex((r) => r.id === changed.id);
            if (at < 0) continue;
            pages ??= { ...list.pages };
            pages[Number(key)] = rows.map((r, i) => (i === at ? changed : r));
          }
          if (pages) update({ pages });
        }
      }
      if (refreshTimer) return;
      refreshTimer = setTimeout(() => {
        refreshTimer = undefined;
        get().refreshList();
      }, REFRESH_DELAY_MS);
    },

    restartAutoRefresh() {
      if (autoTimer) clearInterval(autoTimer);
      autoTimer = undefined;
      const serverId = get().list.serverId;
      if (serverId === null) return;
      const seconds = get().refreshSeconds[serverId] ?? 0;
      if (seconds > 0) autoTimer = setInterval(() => get().refreshList(), seconds * 1000);
    },
  };
}
