/**
 * The main-process end of the console IPC, and the only module that touches raw `ipcMain` and
 * `webContents.send`. Every invoke is checked in the same order: known channel, trusted sender
 * (main frame of our window on our origin), payload valid against the channel's schema (and, for
 * `cq:call`, against the control API contract), then handled. Whatever happens, the renderer
 * gets a `ConsoleResult` envelope; nothing is thrown across IPC.
 */
import type { IpcMain } from 'electron';
import type { ConsoleResult } from '../../../src-shared/api/console-api.js';
import { isApiError } from '../../../src-shared/api/client-api.js';
import type { MethodName } from '../../../src-shared/api/contract.js';
import { summarizeIssues, type ApiErrorBody } from '../../../src-shared/api/wire.js';
import { createLogger, type Logger } from '../../log/logger.js';
import { checkConsoleCall } from '../call-validation.js';
import {
  INVOKE_CHANNELS,
  IPC_CHANNELS,
  isInvokeChannel,
  type InvokeChannel,
  type InvokeParams,
  type InvokeResult,
  type PushChannel,
  type PushPayload,
} from './ipc-channels.js';
import { checkIpcSender, type SenderContents, type SenderEvent } from './sender-guard.js';

/** A `cq:call` after the contract check: a known method and params parsed by its schema. */
export interface CheckedCall {
  readonly serverId: string;
  readonly method: MethodName;
  readonly params: unknown;
}

/** What each handler receives: the validated request (`cq:call` also contract-checked). */
export type HandlerParams<C extends InvokeChannel> = C extends 'cq:call'
  ? CheckedCall
  : InvokeParams<C>;

/** One handler per invoke channel. */
export type InvokeHandlers = {
  readonly [C in InvokeChannel]: (
    params: HandlerParams<C>,
  ) => Promise<InvokeResult<C>> | InvokeResult<C>;
};

/** What the bridge needs to know. */
export interface IpcBridgeOptions {
  /** The console window's webContents, or null while there is none. */
  readonly trustedContents: () => SenderContents | null;
  readonly handlers: InvokeHandlers;
  readonly log?: Logger;
}

/** Answers one invoke; never rejects. */
export type InvokeDispatcher = (
  channel: string,
  event: SenderEvent,
  args: readonly unknown[],
) => Promise<ConsoleResult<unknown>>;

const defaultLog = createLogger('console.ipc');

function failure(code: ApiErrorBody['code'], message: string, details?: unknown) {
  const error: ApiErrorBody =
    details === undefined ? { code, message } : { code, message, details };
  return { ok: false as const, error };
}

function isEnvelope(value: unknown): value is ConsoleResult<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const ok = (value as { ok?: unknown }).ok;
  return ok === true ? 'value' in value : ok === false && 'error' in value;
}

/** Build the checked dispatcher behind every `ipcMain.handle` of the bridge. */
export function createInvokeDispatcher(options: IpcBridgeOptions): InvokeDispatcher {
  const log = options.log ?? defaultLog;
  const handlers = options.handlers as unknown as Record<
    InvokeChannel,
    (params: unknown) => unknown
  >;
  return async (channel, event, args) => {
    if (!isInvokeChannel(channel)) {
      log.warn('refused IPC on an unknown channel', { channel });
      return failure('unknown-method', `no IPC channel "${channel}"`);
    }
    const verdict = checkIpcSender(event, options.trustedContents());
    if (!verdict.ok) {
      log.warn('refused IPC from an untrusted sender', { channel, reason: verdict.reason });
      return failure('not-allowed', 'IPC sender not allowed');
    }
    if (args.length > 1) return failure('invalid-request', `${channel}: expected one argument`);
    const parsed = IPC_CHANNELS[channel].request.safeParse(args[0]);
    if (!parsed.success) {
      const { message, issues } = summarizeIssues(parsed.error);
      return failure('invalid-request', `${channel}: ${message}`, { issues });
    }
    let params: unknown = parsed.data;
    if (channel === 'cq:call') {
      const call = parsed.data as { serverId: string; method: string; params: unknown };
      const checked = checkConsoleCall(call.method, call.params);
      if (!checked.ok) return { ok: false, error: checked.error };
      params = { serverId: call.serverId, method: checked.method, params: checked.params };
    }
    try {
      const result = await handlers[channel](params);
      if (isEnvelope(result)) return result;
      log.error('IPC handler returned something other than an envelope', { channel });
      return failure('internal', `${channel}: internal error`);
    } catch (error) {
      if (isApiError(error)) return { ok: false, error: error.toBody() };
      log.error('IPC handler failed', { channel, error: String(error) });
      return failure('internal', `${channel}: internal error`);
    }
  };
}

/**
 * Register a handler for every invoke channel on `ipcMain`; returns the function that removes
 * them again (for a clean quit).
 */
export function installIpcMainBridge(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  options: IpcBridgeOptions,
): () => void {
  const dispatch = createInvokeDispatcher(options);
  for (const channel of INVOKE_CHANNELS) {
    ipcMain.handle(channel, (event, ...args: unknown[]) => dispatch(channel, event, args));
  }
  return () => {
    for (const channel of INVOKE_CHANNELS) ipcMain.removeHandler(channel);
  };
}

/**
 * Install the bridge on Electron's own `ipcMain`. Loaded on demand so that this module, and the
 * tests of the dispatcher above, never need the Electron runtime; and so that no other module
 * has a reason to import `ipcMain` at all.
 */
export async function installElectronIpcBridge(options: IpcBridgeOptions): Promise<() => void> {
  const { ipcMain } = await import('electron');
  return installIpcMainBridge(ipcMain, options);
}

/** The part of `WebContents` a push uses. */
export interface PushTarget {
  isDestroyed(): boolean;
  send(channel: string, ...args: unknown[]): void;
}

/** Send one typed message to the renderer; false when there is no live window to take it. */
export type RendererPush = <C extends PushChannel>(channel: C, payload: PushPayload<C>) => boolean;

/**
 * The typed main → renderer half. Payloads are checked against the channel's schema before they
 * leave, so a bug here shows up in the log rather than as a confused renderer.
 */
export function createRendererPush(
  target: () => PushTarget | null,
  log: Logger = defaultLog,
): RendererPush {
  return (channel, payload) => {
    const contents = target();
    if (!contents || contents.isDestroyed()) return false;
    const checked = IPC_CHANNELS[channel].payload.safeParse(payload);
    if (!checked.success) {
      log.error('refused to push an invalid payload', {
        channel,
        issues: summarizeIssues(checked.error).message,
      });
      return false;
    }
    try {
      contents.send(channel, checked.data);
      return true;
    } catch (error) {
      log.warn('push to the renderer failed', { channel, error: String(error) });
      return false;
    }
  };
}
