/**
 * Dialogs, the context menu, status notices, and the item actions that lead to them: an action
 * on the selection either runs at once, asks for confirmation, or asks for a destination first.
 */
import type { MethodName } from '../../src-shared/api/contract.js';
import { MAX_BULK_IDS } from '../../src-shared/api/contract.js';
import { describeError } from '../lib/errors.js';
import { plural } from '../lib/format.js';
import { offeredAction } from '../lib/sample-actions.js';
import type { SliceContext } from './types.js';

/** The open dialog. */
export type DialogState =
  | { readonly kind: 'itemProperties' }
  | { readonly kind: 'serverProperties' }
  | { readonly kind: 'attach' }
  | { readonly kind: 'wizard' }
  | { readonly kind: 'emailWizard' }
  | { readonly kind: 'about' }
  | {
      readonly kind: 'confirm';
      readonly serverId: string;
      readonly method: string;
      readonly ids: readonly string[];
    }
  | {
      readonly kind: 'destination';
      readonly serverId: string;
      readonly method: string;
      readonly ids: readonly string[];
    }
  | { readonly kind: 'result'; readonly title: string; readonly lines: readonly string[] };

/** A line in the status bar. */
export interface Notice {
  readonly text: string;
  readonly tone: 'info' | 'error';
  readonly id: number;
}

/** The dialogs slice. */
export interface DialogsSlice {
  dialog: DialogState | null;
  /** Where the context menu is open (page coordinates), or null. */
  contextMenu: { readonly x: number; readonly y: number } | null;
  notice: Notice | null;
  openDialog: (dialog: DialogState) => void;
  closeDialog: () => void;
  openContextMenu: (x: number, y: number) => void;
  closeContextMenu: () => void;
  notify: (text: string, tone?: Notice['tone']) => void;
  /** Start an item action on the current selection. */
  requestSampleAction: (method: string) => Promise<void>;
  /** Run an item action; extra params (destination, overwrite) are merged in. */
  runSampleAction: (
    serverId: string,
    method: string,
    ids: readonly string[],
    extra?: Record<string, unknown>,
  ) => Promise<boolean>;
}

interface BulkAnswer {
  done: unknown[];
  refused: { id: string; reason: string }[];
}

/** Create the dialogs slice. */
export function createDialogsSlice({ set, get, api }: SliceContext): DialogsSlice {
  let noticeId = 0;
  return {
    dialog: null,
    contextMenu: null,
    notice: null,

    openDialog(dialog) {
      set({ dialog, contextMenu: null });
    },

    closeDialog() {
      set({ dialog: null });
    },

    openContextMenu(x, y) {
      set({ contextMenu: { x, y } });
    },

    closeContextMenu() {
      set({ contextMenu: null });
    },

    notify(text, tone = 'info') {
      set({ notice: { text, tone, id: ++noticeId } });
    },

    async requestSampleAction(method) {
      const action = offeredAction(method);
      const serverId = get().list.serverId;
      if (!action || serverId === null) return;
      set({ contextMenu: null });
      const resolved = await get().resolveSelectedIds();
      if (!resolved.ok) {
        get().notify(resolved.message, 'error');
        return;
      }
      if (resolved.ids.length === 0) {
        get().notify('Select one or more items first.');
        return;
      }
      if (action.flow === 'confirm') {
        get().openDialog({ kind: 'confirm', serverId, method, ids: resolved.ids });
      } else if (action.flow === 'destination') {
        get().openDialog({ kind: 'destination', serverId, method, ids: resolved.ids });
      } else {
        await get().runSampleAction(serverId, method, resolved.ids);
      }
    },

    async runSampleAction(serverId, method, ids, extra = {}) {
      const action = offeredAction(method);
      const label = (action?.label ?? method).replace('…', '');
      const answer: BulkAnswer = { done: [], refused: [] };
      for (let i = 0; i < ids.length; i += MAX_BULK_IDS) {
        const chunk = ids.slice(i, i + MAX_BULK_IDS);
        const params = { ids: chunk, ...extra } as never;
        const result = await api.call(serverId, method as MethodName, params);
        if (!result.ok) {
          get().notify(`${label}: ${describeError(result.error)}`, 'error');
          get().refreshList();
          return false;
        }
        const value = result.value as Partial<BulkAnswer>;
        answer.done.push(...(value.done ?? []));
        answer.refused.push(...(value.refused ?? []));
      }
      if (method === 'samples.delete') get().clearSelection();
      get().refreshList();
      if (get().itemProps?.serverId === serverId) void get().loadItem();
      const summary = `${label}: ${plural(answer.done.length, 'item')} done`;
      if (answer.refused.length > 0) {
        get().notify(`${summary}, ${plural(answer.refused.length, 'item')} refused`, 'error');
        get().openDialog({
          kind: 'result',
          title: `${label}: some items were refused`,
          lines: [
            summary,
            ...answer.refused.slice(0, 50).map((r) => `Item ${r.id}: ${r.reason}`),
            ...(answer.refused.length > 50 ? [`… and ${answer.refused.length - 50} more`] : []),
          ],
        });
        return false;
      }
      get().notify(summary);
      return true;
    },
  };
}
