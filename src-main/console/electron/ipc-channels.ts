/**
 * Every IPC channel between the console window and the Electron main process, in one map
 * (the GitHub Desktop model): for each channel its direction, the zod schema the receiving side
 * validates, and the result type. Only `ipc-main-bridge.ts` and `preload.ts` touch raw IPC, and
 * both take their channel names and types from here. Results are `ConsoleResult` envelopes of
 * plain JSON; nothing is ever thrown across the bridge.
 */
import { z } from 'zod';
import {
  attachRequestSchema,
  consoleCallSchema,
  serverEntrySchema,
  serverIdSchema,
  type ConsoleApi,
  type ConsoleAppInfo,
  type ConsoleResult,
} from '../../../src-shared/api/console-api.js';
import { isEventName, sampleIdSchema } from '../../../src-shared/api/contract.js';

/** A renderer → main request answered with a `ConsoleResult` envelope. */
export interface InvokeSpec<Req extends z.ZodType, Res extends z.ZodType> {
  readonly kind: 'invoke';
  readonly request: Req;
  readonly result: Res;
}

/** A main → renderer message (no answer). */
export interface PushSpec<P extends z.ZodType> {
  readonly kind: 'push';
  readonly payload: P;
}

function invoke<Req extends z.ZodType, Res extends z.ZodType>(
  request: Req,
  result: Res,
): InvokeSpec<Req, Res> {
  return { kind: 'invoke', request, result };
}

function push<P extends z.ZodType>(payload: P): PushSpec<P> {
  return { kind: 'push', payload };
}

/** A server event forwarded to the renderer, tagged with the server it came from. */
export const serverEventMessageSchema = z.strictObject({
  serverId: serverIdSchema,
  event: z.string().refine(isEventName, 'expected a control API event name'),
  payload: z.unknown(),
});

/** What a clicked alert notification asks the renderer to select. */
export const focusItemSchema = z.strictObject({
  serverId: serverIdSchema,
  /** The item to open; null for a server-wide alert (select the server's Alerts & Log). */
  sampleId: sampleIdSchema.nullable(),
});

/** What a clicked notification selects. */
export type FocusItemTarget = z.infer<typeof focusItemSchema>;

/** The one map of IPC channels. */
export const IPC_CHANNELS = {
  /** `ConsoleApi.listServers()`. */
  'cq:listServers': invoke(z.strictObject({}), z.array(serverEntrySchema)),
  /** `ConsoleApi.attach(request)`. */
  'cq:attach': invoke(attachRequestSchema, serverEntrySchema),
  /** `ConsoleApi.detach(serverId)`. */
  'cq:detach': invoke(z.strictObject({ serverId: serverIdSchema }), z.null()),
  /** `ConsoleApi.call(serverId, method, params)`; params are then checked against the contract. */
  'cq:call': invoke(consoleCallSchema, z.unknown()),
  /** `ConsoleApi.onEvent`: a control API event of one attached server. */
  'cq:serverEvent': push(serverEventMessageSchema),
  /** `ConsoleApi.onServersChanged`: the whole server list after any change. */
  'cq:serversChanged': push(z.array(serverEntrySchema)),
  /** A notification was clicked: select this item. */
  'cq:focusItem': push(focusItemSchema),
} as const;

type Channels = typeof IPC_CHANNELS;

/** Every channel name. */
export type IpcChannel = keyof Channels;

/** Channels the renderer invokes. */
export type InvokeChannel = {
  [C in IpcChannel]: Channels[C] extends { kind: 'invoke' } ? C : never;
}[IpcChannel];

/** Channels the main process pushes to the renderer. */
export type PushChannel = {
  [C in IpcChannel]: Channels[C] extends { kind: 'push' } ? C : never;
}[IpcChannel];

/** What the renderer sends on an invoke channel (before defaults are applied). */
export type InvokeRequest<C extends InvokeChannel> = z.input<Channels[C]['request']>;

/** The request once validated (what main's handler receives). */
export type InvokeParams<C extends InvokeChannel> = z.output<Channels[C]['request']>;

/** The value half of an invoke channel's envelope. */
export type InvokeValue<C extends InvokeChannel> = z.output<Channels[C]['result']>;

/** What an invoke channel answers. */
export type InvokeResult<C extends InvokeChannel> = ConsoleResult<InvokeValue<C>>;

/** The payload of a push channel. */
export type PushPayload<C extends PushChannel> = z.output<Channels[C]['payload']>;

/** Every invoke channel name, for registering handlers. */
export const INVOKE_CHANNELS = (Object.keys(IPC_CHANNELS) as IpcChannel[]).filter(
  (c): c is InvokeChannel => IPC_CHANNELS[c].kind === 'invoke',
);

/** True when `name` is one of our invoke channels. */
export function isInvokeChannel(name: string): name is InvokeChannel {
  return (INVOKE_CHANNELS as readonly string[]).includes(name);
}

/**
 * The window's `ConsoleApi` plus what only the desktop shell has. `onFocusItem` is how a clicked
 * notification reaches the renderer; the web host never sends it.
 */
export interface DesktopConsoleApi extends ConsoleApi {
  onFocusItem(listener: (target: FocusItemTarget) => void): () => void;
}

/**
 * `ConsoleApi.app` is read synchronously, so the facts travel as a renderer command-line switch
 * (`webPreferences.additionalArguments`, readable by the sandboxed preload as `process.argv`)
 * rather than by a synchronous IPC round trip.
 */
export const APP_INFO_ARGUMENT = '--cq-app-info=';

/** The switch prefix as a type, so the preload's copy of it cannot drift. */
export type AppInfoArgumentPrefix = typeof APP_INFO_ARGUMENT;

/** The app facts on that switch. */
export const appInfoSchema = z.strictObject({
  version: z.string().min(1).max(64),
  shell: z.literal('electron'),
  platform: z.string().min(1).max(32),
});

/** The renderer switch carrying `info`. */
export function encodeAppInfoArgument(info: ConsoleAppInfo): string {
  const checked = appInfoSchema.parse(info);
  return APP_INFO_ARGUMENT + encodeURIComponent(JSON.stringify(checked));
}
