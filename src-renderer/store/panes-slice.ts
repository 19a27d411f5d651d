/**
 * The right-hand panes other than the item list: the Quarantine Log (and alerts), definitions
 * and targets. Methods the server API does not have yet are not called; the panes say so.
 */
import { isMethodName, type LogEntry } from '../../src-shared/api/contract.js';
import { describeError } from '../lib/errors.js';
import { formatSequence, plural } from '../lib/format.js';
import { nodeId, type NodeKind } from './nodes.js';
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

/** What a definitions or targets action reported: lines to show, or a readable error. */
export type PaneActionResult =
  | { readonly ok: true; readonly lines: readonly string[] }
  | { readonly ok: false; readonly error: string };

/** A target as the Deliver dialog offers it. */
export interface TargetChoice {
  readonly id: string;
  readonly host: string;
  readonly selected: boolean;
}

/** The panes slice. */
export interface PanesSlice {
  pane: PaneState | null;
  loadPane: (kind: NodeKind, serverId: string) => Promise<void>;
  setLogText: (text: string) => void;
  /** Import a package `.zip` (or the one an `.eml` carries) from a path on the server. */
  importDefinitions: (serverId: string, path: string) => Promise<PaneActionResult>;
  activateDefinitions: (serverId: string, sequence: number) => Promise<PaneActionResult>;
  deliverDefinitions: (
    serverId: string,
    sequence: number,
    targets: readonly string[],
  ) => Promise<PaneActionResult>;
  /** The targets definitions can be delivered to, or a readable error. */
  listTargets: (
    serverId: string,
  ) => Promise<{ ok: true; targets: TargetChoice[] } | { ok: false; error: string }>;
  selectTargets: (
    serverId: string,
    ids: readonly string[],
    selected: boolean,
  ) => Promise<PaneActionResult>;
}

/** "Sequence 00000002 2026.11.27.001". */
function setText(set: { sequence: number; version: string }): string {
  return `Sequence ${formatSequence(set.sequence)} ${set.version}`;
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
  /**
   * Reload the server's facts after an action changed them, and the pane too while the
   * administrator still looks at it (not one they moved to meanwhile).
   */
  const afterChange = async (serverId: string, kind: NodeKind): Promise<void> => {
    const stillShown = get().selectedNode === nodeId(kind, serverId);
    await Promise.all([
      stillShown ? get().loadPane(kind, serverId) : undefined,
      get().loadInfo(serverId),
    ]);
  };
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

    async importDefinitions(serverId, path) {
      const file = path.trim();
      if (!file) return { ok: false, error: 'Enter the path of a package on the server.' };
      let result: PaneActionResult;
      if (/\.eml$/i.test(file)) {
        const answer = await api.call(serverId, 'definitions.importEmail', { path: file });
        if (!answer.ok) return { ok: false, error: describeError(answer.error) };
        const { set: installed, attachment, samples } = answer.value;
        result = {
          ok: true,
          lines: [
            `Imported ${setText(installed)} from ${attachment}.`,
            samples.length === 0
              ? 'No items were rescanned.'
              : `Rescanned ${plural(samples.length, 'item')}:`,
            ...samples.map((s) => `Item ${s.id}: ${s.before} → ${s.after}`),
          ],
        };
      } else {
        const answer = await api.call(serverId, 'definitions.import', { path: file });
        if (!answer.ok) return { ok: false, error: describeError(answer.error) };
        result = {
          ok: true,
          lines: [
            `Imported ${setText(answer.value.set)}${answer.value.set.active ? ' (active)' : ''}.`,
          ],
        };
      }
      await afterChange(serverId, 'definitions');
      return result;
    },

    async activateDefinitions(serverId, sequence) {
      const answer = await api.call(serverId, 'definitions.activate', { sequence });
      if (!answer.ok) return { ok: false, error: describeError(answer.error) };
      await afterChange(serverId, 'definitions');
      return { ok: true, lines: [`${setText(answer.value.set)} is active.`] };
    },

    async deliverDefinitions(serverId, sequence, targets) {
      if (targets.length === 0) return { ok: false, error: 'Choose one or more targets.' };
      const answer = await api.call(serverId, 'definitions.deliver', {
        sequence,
        targets: [...targets],
      });
      if (!answer.ok) return { ok: false, error: describeError(answer.error) };
      const { queued, refused } = answer.value;
      return {
        ok: true,
        lines: [
          `Queued for ${plural(queued.length, 'target')}.`,
          ...refused.map((r) => `Refused ${r.id}: ${r.reason}`),
        ],
      };
    },

    async listTargets(serverId) {
      const answer = await api.call(serverId, 'targets.list', {});
      if (!answer.ok) return { ok: false, error: describeError(answer.error) };
      return {
        ok: true,
        targets: answer.value.targets.map((t) => ({
          id: t.id,
          host: t.host,
          selected: t.selected,
        })),
      };
    },

    async selectTargets(serverId, ids, selected) {
      if (ids.length === 0) return { ok: false, error: 'Choose a target first.' };
      const answer = await api.call(serverId, 'targets.select', { ids: [...ids], selected });
      if (!answer.ok) return { ok: false, error: describeError(answer.error) };
      await afterChange(serverId, 'targets');
      return {
        ok: true,
        lines: [`${selected ? 'Selected' : 'Unselected'} ${plural(ids.length, 'target')}.`],
      };
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
