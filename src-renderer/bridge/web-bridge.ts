/**
 * The ConsoleApi over the web host's WebSocket (`cq console --web`). One of the two files that
 * touch a raw transport. Every message from the host is checked against the bridge protocol;
 * every call settles — with the host's answer, or with `unavailable` when the socket is down
 * (the console never hangs). The socket reconnects by itself with a capped backoff.
 */
import {
  bridgeMessageSchema,
  type BridgeRequest,
  type ConsoleApi,
  type ConsoleAppInfo,
  type ConsoleResult,
  type ServerEntry,
} from '../../src-shared/api/console-api.js';
import type {
  EventName,
  EventOf,
  MethodName,
  RequestOf,
  ResponseOf,
} from '../../src-shared/api/contract.js';

/** Longest wait for one answer; the host answers every request, this only guards a stuck link. */
const CALL_TIMEOUT_MS = 90_000;
const RECONNECT_MIN_MS = 300;
const RECONNECT_MAX_MS = 5_000;

type RawEventListener = (serverId: string, event: EventName, payload: unknown) => void;

/** A request without its id (distributes over the union, unlike Omit). */
type Unnumbered<T> = T extends unknown ? Omit<T, 'id'> : never;

interface Pending {
  readonly resolve: (result: ConsoleResult<unknown>) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** Settings of the web bridge. */
export interface WebBridgeOptions {
  /** `ws://127.0.0.1:PORT/api?token=…`. */
  readonly url: string;
}

/** The WebSocket URL of the page's own host, with the page's token. */
export function socketUrlFromLocation(location: Location): string {
  const token = new URLSearchParams(location.search).get('token');
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  return `${scheme}//${location.host}/api${query}`;
}

/** Create the bridge; it connects at once and keeps reconnecting until the page goes away. */
export function createWebBridge(options: WebBridgeOptions): ConsoleApi {
  let app: ConsoleAppInfo = { version: '', shell: 'web', platform: navigator.platform };
  let socket: WebSocket | null = null;
  let open = false;
  let nextId = 1;
  let attempt = 0;
  let servers: ServerEntry[] = [];
  const pending = new Map<number, Pending>();
  const eventListeners = new Set<RawEventListener>();
  const serverListeners = new Set<(servers: ServerEntry[]) => void>();

  const unavailable = (message: string): ConsoleResult<never> => ({
    ok: false,
    error: { code: 'unavailable', message },
  });

  const publishServers = (next: ServerEntry[]): void => {
    servers = next;
    for (const listener of serverListeners) listener(next);
  };

  const settle = (id: number, result: ConsoleResult<unknown>): void => {
    const call = pending.get(id);
    if (!call) return;
    pending.delete(id);
    clearTimeout(call.timer);
    call.resolve(result);
  };

  const onMessage = (data: unknown): void => {
    if (typeof data !== 'string') return;
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return;
    }
    const parsed = bridgeMessageSchema.safeParse(json);
    if (!parsed.success) return;
    const message = parsed.data;
    switch (message.type) {
      case 'hello':
        app = message.app;
        return;
      case 'result':
        if (message.id !== null) settle(message.id, message.result);
        return;
      case 'servers':
        publishServers(message.servers);
        return;
      case 'event':
        for (const listener of eventListeners)
          listener(message.serverId, message.event as EventName, message.payload);
        return;
    }
  };

  const connect = (): void => {
    const ws = new WebSocket(options.url);
    socket = ws;
    ws.addEventListener('open', () => {
      open = true;
      attempt = 0;
    });
    ws.addEventListener('message', (event: MessageEvent) => onMessage(event.data));
    ws.addEventListener('close', () => {
      if (socket !== ws) return;
      open = false;
      socket = null;
      for (const id of [...pending.keys()])
        settle(id, unavailable('the connection to the console host was lost'));
      // Every server is out of reach while the host is.
      publishServers(
        servers.map((s) => ({
          ...s,
          state: 'disconnected',
          lastError: 'the console host is not reachable; reconnecting',
        })),
      );
      const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** attempt);
      attempt = Math.min(attempt + 1, 10);
      setTimeout(connect, delay);
    });
  };

  const request = (frame: Unnumbered<BridgeRequest>): Promise<ConsoleResult<unknown>> => {
    if (!open || !socket) return Promise.resolve(unavailable('the console host is not reachable'));
    const id = nextId++;
    const ws = socket;
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => settle(id, unavailable('the console host did not answer in time')),
        CALL_TIMEOUT_MS,
      );
      pending.set(id, { resolve, timer });
      try {
        ws.send(JSON.stringify({ ...frame, id }));
      } catch {
        settle(id, unavailable('the console host is not reachable'));
      }
    });
  };

  connect();

  return {
    get app() {
      return app;
    },

    listServers: () => request({ op: 'listServers' }) as Promise<ConsoleResult<ServerEntry[]>>,

    attach: (req) => request({ op: 'attach', request: req }) as Promise<ConsoleResult<ServerEntry>>,

    detach: (serverId) => request({ op: 'detach', serverId }) as Promise<ConsoleResult<null>>,

    call<M extends MethodName>(
      serverId: string,
      method: M,
      params: RequestOf<M>,
    ): Promise<ConsoleResult<ResponseOf<M>>> {
      return request({ op: 'call', serverId, method, params }) as Promise<
        ConsoleResult<ResponseOf<M>>
      >;
    },

    onEvent(listener) {
      const raw: RawEventListener = (serverId, event, payload) =>
        listener(serverId, event, payload as EventOf<typeof event>);
      eventListeners.add(raw);
      return () => {
        eventListeners.delete(raw);
      };
    },

    onServersChanged(listener) {
      serverListeners.add(listener);
      return () => {
        serverListeners.delete(listener);
      };
    },
  };
}
