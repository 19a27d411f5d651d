/**
 * The console's connections to Quarantine Servers (SPEC §4.6, §10): the embedded (or local)
 * server over its socket and remote servers over TCP/TLS with user, password and domain. Both
 * console hosts — the Electron main process and `cq console --web` — serve the renderer's
 * ConsoleApi from one of these. Plain Node: it never imports electron.
 *
 * Rules: results are envelopes and nothing here throws at a caller; a call to a server that is
 * not connected fails at once with `unavailable` (the console never hangs on a dead server);
 * a link that drops is retried with capped exponential backoff; passwords live in memory only.
 */
import { createHash } from 'node:crypto';
import { isApiError } from '../../src-shared/api/client-api.js';
import {
  attachRequestSchema,
  type AttachRequest,
  type ConsoleResult,
  type ServerEntry,
} from '../../src-shared/api/console-api.js';
import {
  EVENT_NAMES,
  EVENTS,
  summarizeIssues,
  type EventName,
} from '../../src-shared/api/contract.js';
import type { ApiErrorBody } from '../../src-shared/api/wire.js';
import { createLogger } from '../log/logger.js';
import {
  connectControl,
  type ConnectControlOptions,
  type ConnectedControlClient,
} from '../transport/rpc-client.js';
import { checkConsoleCall } from './call-validation.js';
import { loadRegistry, saveRegistry, type RememberedServer } from './server-registry.js';

const log = createLogger('console.attach');

/** Id of the server the console runs itself (or the local one given by `--socket`). */
export const EMBEDDED_SERVER_ID = 'embedded';

/** What the tree shows for a remembered server until it is attached again. */
export const PASSWORD_NEEDED = 'password needed: attach to this server again to reconnect';

/** Settings of an attach manager. */
export interface AttachManagerOptions {
  /** Folder of `console-servers.json` (the remembered remote servers). */
  readonly dataDir: string;
  /** The server on this computer, reached over its local socket without logging in. */
  readonly embedded?: {
    readonly socketPath: string;
    readonly label: string;
    /** 'embedded' when the console started it, 'local' when it was already running. */
    readonly kind?: 'embedded' | 'local';
  };
  /** How to open a control connection (tests inject failures); default `connectControl`. */
  readonly connect?: (options: ConnectControlOptions) => Promise<ConnectedControlClient>;
  /** Longest wait for one call's answer before it fails with `unavailable`. */
  readonly callTimeoutMs?: number;
  /** Longest wait for a TCP connection to open. */
  readonly connectTimeoutMs?: number;
  /** Reconnect delays: the first, and the cap of the doubling. */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
}

/** Server event listener: which server, which event, its (contract-checked) payload. */
export type ServerEventListener = (serverId: string, event: EventName, payload: unknown) => void;

/** Options of one attach. */
export interface AttachOptions {
  /** Remember the server in `console-servers.json` (default true). */
  readonly remember?: boolean;
}

/** The console's view of every server it knows. */
export interface AttachManager {
  /** Servers in tree order: the embedded or local one first, then remote ones as attached. */
  list(): ServerEntry[];
  /** Attach (or re-attach) a remote server: connects and logs in, then remembers it. */
  attach(request: unknown, options?: AttachOptions): Promise<ConsoleResult<ServerEntry>>;
  /** Disconnect and forget a remote server. */
  detach(serverId: string): Promise<ConsoleResult<null>>;
  /** Call a control API method on one server; validated against the contract before sending. */
  call(serverId: string, method: string, params: unknown): Promise<ConsoleResult<unknown>>;
  /** Listen to every server's events; returns the function that stops listening. */
  onEvent(listener: ServerEventListener): () => void;
  /** Listen to changes of the server list or of a server's state. */
  onServersChanged(listener: (servers: ServerEntry[]) => void): () => void;
  /** Close every connection and stop reconnecting. */
  close(): Promise<void>;
}

interface Link {
  entry: ServerEntry;
  /** How to connect; null for a remembered server whose password is not known yet. */
  target: ConnectControlOptions | null;
  /** The registry record of a remote server. */
  remembered: RememberedServer | null;
  client: ConnectedControlClient | null;
  attempt: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Detached or closed: never reconnect. */
  gone: boolean;
}

function fail<T>(code: ApiErrorBody['code'], message: string, details?: unknown): ConsoleResult<T> {
  return {
    ok: false,
    error: details === undefined ? { code, message } : { code, message, details },
  };
}

/** A readable error body for anything a connect or call may throw. */
function toErrorBody(error: unknown, context: string): ApiErrorBody {
  if (isApiError(error)) {
    return { code: error.code, message: error.message };
  }
  const text = error instanceof Error ? error.message : String(error);
  return { code: 'unavailable', message: `${context}: ${text}` };
}

/** Stable id of a remote server: the same host, port and user always map to the same entry. */
export function remoteServerId(host: string, port: number, user: string, domain = ''): string {
  const key = `${host.toLowerCase()}\n${port}\n${domain.toLowerCase()}\n${user}`;
  return `remote-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

/** Create the attach manager; the embedded server (if any) is connected right away. */
export function createAttachManager(options: AttachManagerOptions): AttachManager {
  const connect = options.connect ?? connectControl;
  const callTimeoutMs = options.callTimeoutMs ?? 30_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 8_000;
  const initialDelay = options.backoff?.initialMs ?? 250;
  const maxDelay = options.backoff?.maxMs ?? 10_000;
  const links = new Map<string, Link>();
  const eventListeners = new Set<ServerEventListener>();
  const serverListeners = new Set<(servers: ServerEntry[]) => void>();
  let closed = false;

  const list = (): ServerEntry[] => [...links.values()].map((link) => ({ ...link.entry }));

  const changed = (): void => {
    const servers = list();
    for (const listener of serverListeners) {
      try {
        listener(servers);
      } catch (error) {
        log.error('servers listener threw', { error: String(error) });
      }
    }
  };

  const setState = (link: Link, state: ServerEntry['state'], lastError: string | null): void => {
    if (link.entry.state === state && link.entry.lastError === lastError) return;
    link.entry = { ...link.entry, state, lastError };
    changed();
  };

  const emit = (serverId: string, event: EventName, payload: unknown): void => {
    for (const listener of eventListeners) {
      try {
        listener(serverId, event, payload);
      } catch (error) {
        log.error('event listener threw', { event, error: String(error) });
      }
    }
  };

  const persist = (): void => {
    const remembered = [...links.values()]
      .map((link) => link.remembered)
      .filter((r): r is RememberedServer => r !== null);
    try {
      saveRegistry(options.dataDir, remembered);
    } catch (error) {
      log.error('cannot save the remembered servers', { error: String(error) });
    }
  };

  /** Wire a fresh client to its link: events out, reconnect when it closes. */
  const adopt = (link: Link, client: ConnectedControlClient): void => {
    link.client = client;
    link.attempt = 0;
    for (const event of EVENT_NAMES) {
      client.on(event, (payload: unknown) => {
        // Only contract-shaped events reach the renderer.
        const checked = EVENTS[event].safeParse(payload);
        if (checked.success) emit(link.entry.id, event, checked.data);
        else log.warn('dropping an event that does not match the contract', { event });
      });
    }
    client.onClose(() => {
      if (link.client !== client) return;
      link.client = null;
      if (link.gone || closed) return;
      setState(link, 'disconnected', 'the connection to the server was lost; reconnecting');
      scheduleReconnect(link);
    });
    setState(link, 'connected', null);
  };

  const scheduleReconnect = (link: Link): void => {
    if (link.gone || closed || link.target === null || link.timer) return;
    const base = Math.min(maxDelay, initialDelay * 2 ** Math.min(link.attempt, 16));
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    link.attempt++;
    link.timer = setTimeout(() => {
      link.timer = undefined;
      void reconnect(link);
    }, delay);
  };

  const reconnect = async (link: Link): Promise<void> => {
    if (link.gone || closed || link.target === null || link.client) return;
    setState(link, 'connecting', link.entry.lastError);
    try {
      const client = await connect(link.target);
      if (link.gone || closed) {
        await client.close();
        return;
      }
      adopt(link, client);
    } catch (error) {
      const body = toErrorBody(error, `cannot reach ${link.entry.address}`);
      if (body.code === 'login-failed') {
        // The password changed on the server: retrying cannot help, the admin must attach again.
        link.target = null;
        setState(link, 'disconnected', `${body.message}; attach to this server again`);
        return;
      }
      setState(link, 'disconnected', body.message);
      scheduleReconnect(link);
    }
  };

  if (options.embedded) {
    const { socketPath, label } = options.embedded;
    const link: Link = {
      entry: {
        id: EMBEDDED_SERVER_ID,
        label,
        kind: options.embedded.kind ?? 'embedded',
        state: 'connecting',
        address: socketPath,
        user: null,
        lastError: null,
      },
      target: { socket: socketPath, timeoutMs: callTimeoutMs },
      remembered: null,
      client: null,
      attempt: 0,
      timer: undefined,
      gone: false,
    };
    links.set(link.entry.id, link);
    void reconnect(link);
  }

  for (const remembered of loadRegistry(options.dataDir)) {
    if (links.has(remembered.id)) continue;
    links.set(remembered.id, {
      entry: {
        id: remembered.id,
        label: remembered.label,
        kind: 'remote',
        state: 'disconnected',
        address: `${remembered.host}:${remembered.port}`,
        user: remembered.domain ? `${remembered.domain}\\${remembered.user}` : remembered.user,
        lastError: PASSWORD_NEEDED,
      },
      target: null,
      remembered,
      client: null,
      attempt: 0,
      timer: undefined,
      gone: false,
    });
  }

  return {
    list,

    async attach(request, attachOptions = {}) {
      if (closed) return fail('unavailable', 'the console is shutting down');
      const parsed = attachRequestSchema.safeParse(request);
      if (!parsed.success) {
        const { message, issues } = summarizeIssues(parsed.error);
        return fail('invalid-request', message, { issues });
      }
      const req: AttachRequest = parsed.data;
      const domain = req.domain?.trim() ?? '';
      const id = remoteServerId(req.host, req.port, req.user, domain);
      const address = `${req.host}:${req.port}`;
      const target: ConnectControlOptions = {
        host: req.host,
        port: req.port,
        user: req.user,
        password: req.password,
        ...(domain ? { domain } : {}),
        ...(req.tls ? { tls: req.ca ? { ca: req.ca } : {} } : {}),
        timeoutMs: callTimeoutMs,
        connectTimeoutMs,
      };
      let client: ConnectedControlClient;
      try {
        client = await connect(target);
      } catch (error) {
        return { ok: false, error: toErrorBody(error, `cannot reach ${address}`) };
      }
      if (closed) {
        await client.close();
        return fail('unavailable', 'the console is shutting down');
      }
      const previous = links.get(id);
      if (previous) {
        previous.gone = true;
        if (previous.timer) clearTimeout(previous.timer);
        const old = previous.client;
        previous.client = null;
        if (old) await old.close();
      }
      const remember = attachOptions.remember ?? true;
      const link: Link = {
        entry: {
          id,
          label: previous?.entry.label ?? address,
          kind: 'remote',
          state: 'connecting',
          address,
          user: domain ? `${domain}\\${req.user}` : req.user,
          lastError: null,
        },
        target,
        remembered: remember
          ? {
              id,
              label: previous?.entry.label ?? address,
              host: req.host,
              port: req.port,
              user: req.user,
              ...(domain ? { domain } : {}),
              ...(req.tls ? { tls: true } : {}),
            }
          : null,
        client: null,
        attempt: 0,
        timer: undefined,
        gone: false,
      };
      // Re-attaching keeps the server's place in the tree.
      if (previous) {
        const order = [...links.entries()].map(([key, value]) =>
          key === id ? ([id, link] as const) : ([key, value] as const),
        );
        links.clear();
        for (const [key, value] of order) links.set(key, value);
      } else {
        links.set(id, link);
      }
      if (remember || previous?.remembered) persist();
      adopt(link, client);
      log.info('attached to a remote server', { address, user: link.entry.user });
      return { ok: true, value: { ...link.entry } };
    },

    async detach(serverId) {
      const link = links.get(serverId);
      if (!link) return fail('not-found', `no server with id ${serverId}`);
      if (link.entry.kind !== 'remote') {
        return fail('not-allowed', 'the server on this computer cannot be detached');
      }
      link.gone = true;
      if (link.timer) clearTimeout(link.timer);
      links.delete(serverId);
      const client = link.client;
      link.client = null;
      if (client) await client.close();
      persist();
      changed();
      return { ok: true, value: null };
    },

    async call(serverId, method, params) {
      const link = links.get(serverId);
      if (!link) return fail('not-found', `no server with id ${serverId}`);
      const checked = checkConsoleCall(method, params);
      if (!checked.ok) return { ok: false, error: checked.error };
      const client = link.client;
      if (!client || client.closed || link.entry.state !== 'connected') {
        const why = link.entry.lastError ? ` (${link.entry.lastError})` : '';
        return fail('unavailable', `${link.entry.label} is not connected${why}`);
      }
      try {
        const value: unknown = await client.call(checked.method, checked.params as never);
        return { ok: true, value };
      } catch (error) {
        return { ok: false, error: toErrorBody(error, `${method} failed`) };
      }
    },

    onEvent(listener) {
      eventListeners.add(listener);
      return () => {
        eventListeners.delete(listener);
      };
    },

    onServersChanged(listener) {
      serverListeners.add(listener);
      return () => {
        serverListeners.delete(listener);
      };
    },

    async close() {
      closed = true;
      const clients: ConnectedControlClient[] = [];
      for (const link of links.values()) {
        link.gone = true;
        if (link.timer) clearTimeout(link.timer);
        if (link.client) clients.push(link.client);
        link.client = null;
      }
      await Promise.all(clients.map((client) => client.close()));
      eventListeners.clear();
      serverListeners.clear();
    },
  };
}
