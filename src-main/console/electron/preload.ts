/**
 * The console window's preload: the only module that touches raw `ipcRenderer`, and the one
 * place `window.cq` comes from. Sandboxed preloads cannot load ES modules or local files, so
 * `npm run build:preload` bundles this file with esbuild into one CommonJS file
 * (`dist/src-main/console/electron/preload.cjs`) whose only `require` is `electron`. It imports
 * nothing but types, so the bundle holds no zod and no contract code: channel names are literals
 * that the compiler checks against `ipc-channels.ts`. Renderer code never sees an
 * `IpcRendererEvent` or `ipcRenderer` itself.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { ConsoleAppInfo, ServerEntry } from '../../../src-shared/api/console-api.js';
import type {
  AppInfoArgumentPrefix,
  DesktopConsoleApi,
  FocusItemTarget,
  InvokeChannel,
  InvokeRequest,
  InvokeResult,
  PushChannel,
  PushPayload,
} from './ipc-channels.js';

/** The part of `ipcRenderer` the bridge uses. */
export interface PreloadIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

const APP_INFO_PREFIX: AppInfoArgumentPrefix = '--cq-app-info=';

/** The app facts from the renderer's command line; placeholders if the switch is missing. */
export function readAppInfo(argv: readonly string[], platform: string): ConsoleAppInfo {
  const fallback: ConsoleAppInfo = { version: 'unknown', shell: 'electron', platform };
  const arg = argv.find((a) => a.startsWith(APP_INFO_PREFIX));
  if (!arg) return fallback;
  try {
    const value: unknown = JSON.parse(decodeURIComponent(arg.slice(APP_INFO_PREFIX.length)));
    if (typeof value !== 'object' || value === null) return fallback;
    const { version, platform: reported } = value as { version?: unknown; platform?: unknown };
    return {
      version: typeof version === 'string' && version.length > 0 ? version : 'unknown',
      shell: 'electron',
      platform: typeof reported === 'string' && reported.length > 0 ? reported : platform,
    };
  } catch {
    return fallback;
  }
}

/** Invoke one channel; a failed IPC round trip becomes an `unavailable` envelope. */
async function invoke<C extends InvokeChannel>(
  ipc: PreloadIpc,
  channel: C,
  request: InvokeRequest<C>,
): Promise<InvokeResult<C>> {
  try {
    return (await ipc.invoke(channel, request)) as InvokeResult<C>;
  } catch (error) {
    return {
      ok: false,
      error: {
        code: 'unavailable',
        message: `the console's main process did not answer: ${error instanceof Error ? error.message : String(error)}`,
      },
    };
  }
}

/** Listen to one push channel; returns the unsubscribe function. */
function subscribe<C extends PushChannel>(
  ipc: PreloadIpc,
  channel: C,
  accept: (payload: unknown) => payload is PushPayload<C>,
  listener: (payload: PushPayload<C>) => void,
): () => void {
  // The IPC event is dropped here: it carries `sender` (the raw ipcRenderer).
  const wrapped = (_event: unknown, payload: unknown): void => {
    if (accept(payload)) listener(payload);
  };
  ipc.on(channel, wrapped);
  let active = true;
  return () => {
    if (!active) return;
    active = false;
    ipc.removeListener(channel, wrapped);
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isServerEventMessage(value: unknown): value is PushPayload<'cq:serverEvent'> {
  return isObject(value) && typeof value.serverId === 'string' && typeof value.event === 'string';
}

function isServerList(value: unknown): value is ServerEntry[] {
  return Array.isArray(value) && value.every((s) => isObject(s) && typeof s.id === 'string');
}

function isFocusTarget(value: unknown): value is FocusItemTarget {
  return (
    isObject(value) &&
    typeof value.serverId === 'string' &&
    (value.sampleId === null || typeof value.sampleId === 'string')
  );
}

/** Build `window.cq` over an `ipcRenderer`. */
export function createDesktopConsoleApi(
  ipc: PreloadIpc,
  argv: readonly string[],
  platform: string,
): DesktopConsoleApi {
  const app = Object.freeze(readAppInfo(argv, platform));
  return {
    app,
    listServers: () => invoke(ipc, 'cq:listServers', {}),
    attach: (request) => invoke(ipc, 'cq:attach', request),
    detach: (serverId) => invoke(ipc, 'cq:detach', { serverId }),
    // The contract types the value by method; main checked it against the same contract.
    call: ((serverId: string, method: string, params: unknown) =>
      invoke(ipc, 'cq:call', { serverId, method, params })) as DesktopConsoleApi['call'],
    onEvent: (listener) =>
      subscribe(ipc, 'cq:serverEvent', isServerEventMessage, (message) =>
        listener(message.serverId, message.event, message.payload as never),
      ),
    onServersChanged: (listener) =>
      subscribe(ipc, 'cq:serversChanged', isServerList, (servers) => listener(servers)),
    onFocusItem: (listener) =>
      subscribe(ipc, 'cq:focusItem', isFocusTarget, (target) =>
        listener({ serverId: target.serverId, sampleId: target.sampleId }),
      ),
  };
}

contextBridge.exposeInMainWorld(
  'cq',
  createDesktopConsoleApi(ipcRenderer, process.argv, process.platform),
);
