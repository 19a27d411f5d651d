/**
 * The one API object the console renderer uses (SPEC §1, §10). The Electron preload exposes it
 * through `contextBridge`; the web host's bridge implements it over a WebSocket. Everything
 * crossing it is plain JSON validated against these schemas on the trusted side.
 */
import { z } from 'zod';
import type { EventName, EventOf, MethodName, RequestOf, ResponseOf } from './contract.js';
import { apiErrorBodySchema, type ApiErrorBody } from './wire.js';

/** How the console reaches a server. */
export const serverKindSchema = z.enum(['embedded', 'local', 'remote']);

/** Link state of an attached server. */
export const serverStateSchema = z.enum(['connecting', 'connected', 'disconnected']);

/** One server in the console's tree. */
export const serverEntrySchema = z.strictObject({
  id: z.string().min(1).max(64),
  label: z.string().max(256),
  kind: serverKindSchema,
  state: serverStateSchema,
  /** Printable address: socket path or host:port. */
  address: z.string().max(1024),
  user: z.string().max(256).nullable(),
  /** Why the server is disconnected, for the status bar and tooltips. */
  lastError: z.string().max(1024).nullable(),
});

/** A server in the console's tree. */
export type ServerEntry = z.infer<typeof serverEntrySchema>;

/** "Attach to server" dialog fields (guide: server, user, password, domain). */
export const attachRequestSchema = z.strictObject({
  host: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65535),
  user: z.string().min(1).max(256),
  password: z.string().max(1024),
  domain: z.string().max(256).optional(),
  tls: z.boolean().optional(),
  /** PEM of a CA to trust for TLS (for self-signed server certificates). */
  ca: z.string().max(65536).optional(),
});

/** What the attach dialog sends. */
export type AttachRequest = z.infer<typeof attachRequestSchema>;

/** A call routed to one attached server. */
export const consoleCallSchema = z.strictObject({
  serverId: z.string().min(1).max(64),
  method: z.string().min(1).max(64),
  params: z.unknown(),
});

/** Result envelope for everything the renderer asks (never a thrown error across the bridge). */
export type ConsoleResult<T> = { ok: true; value: T } | { ok: false; error: ApiErrorBody };

/** Facts about the host application. */
export interface ConsoleAppInfo {
  readonly version: string;
  /** 'electron' in the desktop app, 'web' for `cq console --web`. */
  readonly shell: 'electron' | 'web';
  readonly platform: string;
}

/** The console API as the renderer sees it (`window.cq`). */
export interface ConsoleApi {
  readonly app: ConsoleAppInfo;
  /** Servers in the tree, in order (the embedded one first). */
  listServers(): Promise<ConsoleResult<ServerEntry[]>>;
  /** Attach a remote server (logs in); it is remembered for the next start. */
  attach(request: AttachRequest): Promise<ConsoleResult<ServerEntry>>;
  /** Detach and forget a remote server. */
  detach(serverId: string): Promise<ConsoleResult<null>>;
  /** Call a control API method on one server. */
  call<M extends MethodName>(
    serverId: string,
    method: M,
    params: RequestOf<M>,
  ): Promise<ConsoleResult<ResponseOf<M>>>;
  /** Server events, tagged with the server they came from; returns an unsubscribe function. */
  onEvent(
    listener: <E extends EventName>(serverId: string, event: E, payload: EventOf<E>) => void,
  ): () => void;
  /** The server list changed (attach, detach, connect, disconnect). */
  onServersChanged(listener: (servers: ServerEntry[]) => void): () => void;
  /**
   * The desktop shell asks to show an item (a notification was clicked). Absent in the web
   * console, which has no native notifications.
   */
  onFocusItem?(
    listener: (target: { serverId: string; sampleId: string | null }) => void,
  ): () => void;
}

// ---------------------------------------------------------------------------------------------
// The console bridge protocol: how a renderer that is not inside Electron (the browser of
// `cq console --web`) reaches the same ConsoleApi over a WebSocket. One JSON object per message.

/** Correlates a bridge reply with its request; chosen by the renderer. */
export const bridgeRequestIdSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** A server id as the bridge carries it. */
export const serverIdSchema = z.string().min(1).max(64);

/**
 * Renderer → host: one ConsoleApi operation. `attach.request` and `call.params` are checked by
 * the attach manager itself, so that a bad field gets a precise message rather than "bad frame".
 */
export const bridgeRequestSchema = z.discriminatedUnion('op', [
  z.strictObject({ id: bridgeRequestIdSchema, op: z.literal('listServers') }),
  z.strictObject({ id: bridgeRequestIdSchema, op: z.literal('attach'), request: z.unknown() }),
  z.strictObject({ id: bridgeRequestIdSchema, op: z.literal('detach'), serverId: serverIdSchema }),
  z.strictObject({
    id: bridgeRequestIdSchema,
    op: z.literal('call'),
    serverId: serverIdSchema,
    method: z.string().min(1).max(64),
    params: z.unknown().optional(),
  }),
]);

/** One ConsoleApi operation sent by the renderer. */
export type BridgeRequest = z.infer<typeof bridgeRequestSchema>;

/** Host → renderer: a reply, a server event, the server list, or the host's greeting. */
export const bridgeMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('hello'),
    app: z.strictObject({
      version: z.string().max(64),
      shell: z.enum(['electron', 'web']),
      platform: z.string().max(64),
    }),
  }),
  z.strictObject({
    type: z.literal('result'),
    /** null when the request was too broken to carry an id. */
    id: bridgeRequestIdSchema.nullable(),
    result: z.union([
      z.strictObject({ ok: z.literal(true), value: z.unknown() }),
      z.strictObject({ ok: z.literal(false), error: apiErrorBodySchema }),
    ]),
  }),
  z.strictObject({
    type: z.literal('event'),
    serverId: serverIdSchema,
    event: z.string().min(1).max(128),
    payload: z.unknown(),
  }),
  z.strictObject({ type: z.literal('servers'), servers: z.array(serverEntrySchema) }),
]);

/** Anything the host sends to the renderer. */
export type BridgeMessage = z.infer<typeof bridgeMessageSchema>;
