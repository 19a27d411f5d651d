/**
 * The two Properties dialogs: one quarantined item (General, Sample Attributes, Actions,
 * Errors) and one server (every settings tab of SPEC §11, validated as you type, plus the
 * General Errors from the Quarantine Log).
 */
import {
  isMethodName,
  type LogEntry,
  type MethodName,
  type ResponseOf,
} from '../../src-shared/api/contract.js';
import { getAtPath } from '../../src-shared/config/paths.js';
import { checkForm, toFieldValue, type FieldValue, type FormCheck } from '../lib/config-form.js';
import { describeError, fieldIssues } from '../lib/errors.js';
import { listLeafPaths } from '../../src-shared/config/paths.js';
import type { SliceContext } from './types.js';

/** What `samples.get` returns. */
export type SampleDetail = ResponseOf<'samples.get'>;

/** The item Properties dialog. */
export interface ItemPropsState {
  readonly serverId: string;
  readonly sampleId: string;
  readonly detail: SampleDetail | null;
  readonly loading: boolean;
  readonly error: string | null;
  /** The attribute whose description is shown (double-click on Sample Attributes). */
  readonly attribute: string | null;
  readonly busy: boolean;
  /** Outcome of the last action taken from the dialog. */
  readonly message: { readonly text: string; readonly tone: 'info' | 'error' } | null;
  /** The item was deleted while the dialog was open. */
  readonly gone: boolean;
  /** How far fixing definitions reached the endpoints that reported this content (`coverage.get`). */
  readonly coverage: ResponseOf<'coverage.get'> | null;
  /** Why fix coverage could not be read (null when it was, or is not offered). */
  readonly coverageError: string | null;
}

/** The server Properties dialog. */
export interface ServerPropsState {
  readonly serverId: string;
  /** The configuration as the server returned it (secrets masked). */
  readonly original: Record<string, unknown> | null;
  /** Every field as shown, by setting path. */
  readonly values: Readonly<Record<string, FieldValue>>;
  readonly check: FormCheck;
  readonly loading: boolean;
  readonly saving: boolean;
  readonly error: string | null;
  /** Issues the server reported for the last Apply, by path. */
  readonly serverIssues: Readonly<Record<string, string>>;
  readonly log: readonly LogEntry[] | null;
  readonly logError: string | null;
  readonly saved: boolean;
}

/** The properties slice. */
export interface PropertiesSlice {
  itemProps: ItemPropsState | null;
  serverProps: ServerPropsState | null;
  openItemProperties: (serverId?: string, sampleId?: string) => void;
  loadItem: () => Promise<void>;
  showAttribute: (name: string | null) => void;
  setItemPriority: (priority: number) => Promise<void>;
  runItemAction: (method: string) => Promise<void>;
  onItemEvent: (serverId: string, event: string, payload: unknown) => void;
  openServerProperties: (serverId: string) => void;
  editServerField: (path: string, value: FieldValue) => void;
  /** Send the changes; true when the server accepted them (or nothing changed). */
  applyServerProperties: () => Promise<boolean>;
}

const NO_CHECK: FormCheck = { patch: {}, issues: {}, changed: 0 };

function valuesOf(config: Record<string, unknown>): Record<string, FieldValue> {
  const values: Record<string, FieldValue> = {};
  for (const path of listLeafPaths(config))
    values[path] = toFieldValue(path, getAtPath(config, path));
  return values;
}

/** Create the properties slice. */
export function createPropertiesSlice({ set, get, api }: SliceContext): PropertiesSlice {
  const updateItem = (patch: Partial<ItemPropsState>): void => {
    const item = get().itemProps;
    if (item) set({ itemProps: { ...item, ...patch } });
  };
  const updateServer = (patch: Partial<ServerPropsState>): void => {
    const props = get().serverProps;
    if (props) set({ serverProps: { ...props, ...patch } });
  };

  return {
    itemProps: null,
    serverProps: null,

    openItemProperties(serverId, sampleId) {
      const server = serverId ?? get().list.serverId;
      let id = sampleId;
      if (id === undefined) {
        const { focus, ids } = get().selection;
        id = get().rowAt(focus)?.id ?? [...ids][0];
      }
      if (!server || !id) {
        get().notify('Select an item first.');
        return;
      }
      set({
        itemProps: {
          serverId: server,
          sampleId: id,
          detail: null,
          loading: true,
          error: null,
          attribute: null,
          busy: false,
          message: null,
          gone: false,
          coverage: null,
          coverageError: null,
        },
      });
      get().openDialog({ kind: 'itemProperties' });
      void get().loadItem();
    },

    async loadItem() {
      const item = get().itemProps;
      if (!item) return;
      updateItem({ loading: true });
      const result = await api.call(item.serverId, 'samples.get', { id: item.sampleId });
      const same = (): boolean => {
        const current = get().itemProps;
        return current?.sampleId === item.sampleId && current.serverId === item.serverId;
      };
      if (!same()) return;
      if (result.ok) updateItem({ detail: result.value, loading: false, error: null });
      else updateItem({ loading: false, error: describeError(result.error) });
      // Fix coverage is extra information, read when the server offers it; what an earlier
      // load found is not shown as current, and a failure says so.
      if (result.ok && isMethodName('coverage.get')) {
        updateItem({ coverage: null, coverageError: null });
        const coverage = await api.call(item.serverId, 'coverage.get', {
          checksum: result.value.sample.checksum,
        });
        if (!same()) return;
        if (coverage.ok) updateItem({ coverage: coverage.value });
        else updateItem({ coverageError: describeError(coverage.error) });
      }
    },

    showAttribute(name) {
      updateItem({ attribute: name });
    },

    async setItemPriority(priority) {
      const item = get().itemProps;
      if (!item) return;
      updateItem({ busy: true, message: null });
      const result = await api.call(item.serverId, 'samples.setPriority', {
        id: item.sampleId,
        priority,
      });
      updateItem({
        busy: false,
        message: result.ok
          ? { text: `Priority set to ${priority}.`, tone: 'info' }
          : { text: describeError(result.error), tone: 'error' },
      });
      await get().loadItem();
      get().refreshList();
    },

    async runItemAction(method) {
      const item = get().itemProps;
      if (!item) return;
      updateItem({ busy: true, message: null });
      const params = { ids: [item.sampleId] } as never;
      const result = await api.call(item.serverId, method as MethodName, params);
      let message: ItemPropsState['message'];
      if (!result.ok) message = { text: describeError(result.error), tone: 'error' };
      else {
        const refused = (result.value as { refused?: { reason: string }[] }).refused ?? [];
        message =
          refused.length > 0
            ? { text: `Refused: ${refused[0]?.reason ?? ''}`, tone: 'error' }
            : { text: 'Done.', tone: 'info' };
      }
      updateItem({ busy: false, message });
      await get().loadItem();
      get().refreshList();
    },

    onItemEvent(serverId, event, payload) {
      const item = get().itemProps;
      if (!item || item.serverId !== serverId) return;
      if (event === 'sample.deleted') {
        const ids = (payload as { ids?: unknown }).ids;
        if (Array.isArray(ids) && ids.includes(item.sampleId)) updateItem({ gone: true });
      } else if ((payload as { sample?: { id?: unknown } }).sample?.id === item.sampleId) {
        void get().loadItem();
      }
    },

    openServerProperties(serverId) {
      set({
        serverProps: {
          serverId,
          original: null,
          values: {},
          check: NO_CHECK,
          loading: true,
          saving: false,
          error: null,
          serverIssues: {},
          log: null,
          logError: null,
          saved: false,
        },
      });
      get().openDialog({ kind: 'serverProperties' });
      void api.call(serverId, 'config.get', {}).then((result) => {
        if (get().serverProps?.serverId !== serverId) return;
        if (!result.ok) {
          updateServer({ loading: false, error: describeError(result.error) });
          return;
        }
        updateServer({
          original: result.value.config,
          values: valuesOf(result.value.config),
          loading: false,
          check: NO_CHECK,
        });
      });
      void api.call(serverId, 'log.query', { level: 'warn', limit: 200 }).then((result) => {
        if (get().serverProps?.serverId !== serverId) return;
        if (result.ok) updateServer({ log: result.value.entries });
        else updateServer({ logError: describeError(result.error) });
      });
    },

    editServerField(path, value) {
      const props = get().serverProps;
      if (!props?.original) return;
      const values = { ...props.values, [path]: value };
      const serverIssues = { ...props.serverIssues };
      delete serverIssues[path];
      updateServer({
        values,
        check: checkForm(props.original, values),
        serverIssues,
        saved: false,
        error: null,
      });
    },

    async applyServerProperties() {
      const props = get().serverProps;
      if (!props?.original) return false;
      const check = checkForm(props.original, props.values);
      if (Object.keys(check.issues).length > 0) {
        updateServer({ check, error: 'Correct the highlighted settings first.' });
        return false;
      }
      if (check.changed === 0) return true;
      updateServer({ saving: true, error: null });
      const result = await api.call(props.serverId, 'config.set', { patch: check.patch });
      if (!result.ok) {
        const issues: Record<string, string> = {};
        for (const issue of fieldIssues(result.error)) issues[issue.path] = issue.message;
        updateServer({ saving: false, error: describeError(result.error), serverIssues: issues });
        return false;
      }
      updateServer({
        saving: false,
        original: result.value.config,
        values: valuesOf(result.value.config),
        check: NO_CHECK,
        serverIssues: {},
        saved: true,
      });
      void get().loadInfo(props.serverId);
      return true;
    },
  };
}
