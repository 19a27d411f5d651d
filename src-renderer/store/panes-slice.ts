/**
 * The right-hand panes other than the item list: the Quarantine Log (and alerts), definitions
 * and targets. Methods the server API does not have yet are not called; the panes say so.
 */
import { isMethodName, type LogEntry } from '../../src-shared/api/contract.js';
import { describeError } from '../lib/errors.js';
import type { NodeKind } from './nodes.js';
import type { SliceContext } from './types.js';

/** A record of an API answer shown as a plain table (for methods newer than this console). */
export type GenericRow = Readonly<Record<string, unknown>>;

/** What a pane shows. */
export interface PaneState {
  readonly serverId: string;
  readonly kind: NodeKind;
  readonly loading: boolean;
  readonly error: string | null;
  readonly log: readonly LogEntry[];
  /** Rows of the pane's list method, when the API has one. */
  readonly rows: readonly GenericRow[] | null;
  readonly text: string;
}

/** The method that lists what each pane shows, if the API has it. */
export const PANE_METHODS: Partial<Record<NodeKind, string>> = {
  definitions: 'definitions.list',
  targets: 'targets.list',
  log: 'alerts.list',
};

/** The panes slice. */
export interface PanesSlice {
  pane: PaneState | null;
  loadPane: (kind: NodeKind, serverId: string) => Promise<void>;
  setLogText: (text: string) => void;
}

/** The first array of records in an answer (`{ targets: [...] }` → its rows). */
function firstRows(value: unknown): GenericRow[] | null {
  if (Array.isArray(value))
    return value.filter((v): v is GenericRow => typeof v === 'object' && v !== null);
  if (typeof value !== 'object' || value === null) return null;
  for (const item of Object.values(value)) {
    if (Array.isArray(item)) return firstRows(item);
  }
  return null;
}

/** Create the panes slice. */
export function createPanesSlice({ set, get, api }: SliceContext): PanesSlice {
  let textTimer: ReturnType<typeof setTimeout> | undefined;
  return {
    pane: null,

    async loadPane(kind, serverId) {
      const previous = get().pane;
      const text =
        previous && previous.serverId === serverId && previous.kind === kind ? previous.text : '';
      set({
        pane: {
          serverId,
          kind,
          loading: true,
          error: null,
          log: previous?.serverId === serverId && previous.kind === kind ? previous.log : [],
          rows: previous?.serverId === serverId && previous.kind === kind ? previous.rows : null,
          text,
        },
      });
      let log: readonly LogEntry[] = [];
      let rows: GenericRow[] | null = null;
      let error: string | null = null;
      if (kind === 'log') {
        const result = await api.call(serverId, 'log.query', {
          limit: 500,
          ...(text.trim() ? { text: text.trim() } : {}),
        });
        if (result.ok) log = result.value.entries;
        else error = describeError(result.error);
      }
      const method = PANE_METHODS[kind];
      if (method !== undefined && isMethodName(method)) {
        const result = await api.call(serverId, method, {});
        if (result.ok) rows = firstRows(result.value) ?? [];
        else error ??= describeError(result.error);
      }
      const current = get().pane;
      if (!current || current.serverId !== serverId || current.kind !== kind) return;
      set({ pane: { ...current, loading: false, error, log, rows } });
    },

    setLogText(text) {
      const pane = get().pane;
      if (!pane) return;
      set({ pane: { ...pane, text } });
      if (textTimer) clearTimeout(textTimer);
      textTimer = setTimeout(() => {
        const current = get().pane;
        if (current) void get().loadPane(current.kind, current.serverId);
      }, 250);
    },
  };
}
