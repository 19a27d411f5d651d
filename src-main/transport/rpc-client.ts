/**
 * The Node side of `ControlClient`: `cq ctl`, the console's attach manager and tests reach a
 * server through it, over the local socket or TCP/TLS. Every call settles: with the answer, with
 * the server's typed error, or with `unavailable` when the link drops or the answer is late.
 */
import { ApiError, type ControlClient } from '../../src-shared/api/client-api.js';
import type {
  EventName,
  EventOf,
  MethodName,
  RequestOf,
  ResponseOf,
  SessionUser,
} from '../../src-shared/api/contract.js';
import { eventFrameSchema, responseFrameSchema } from '../../src-shared/api/wire.js';
import { createLogger } from '../log/logger.js';
import { FrameError, type Connection } from './connection.js';
import { connectIpc } from './ipc-transport.js';
import { connectTcp, type TcpClientTlsOptions } from './tcp-transport.js';

const log = createLogger('control.client');

/** Default time a call may wait for its answer. */
export const DEFAULT_CALL_TIMEOUT_MS = 60_000;

/** Settings common to every way of connecting. */
export interface ControlClientOptions {
  /** Reject a call with `unavailable` after this long without an answer; 0 = wait forever. */
  readonly timeoutMs?: number;
  /** Limit on establishing a TCP connection (a local socket answers or fails at once). */
  readonly connectTimeoutMs?: number;
  readonly maxFrameBytes?: number;
}

/** Attach to a server on its local socket (no login needed). */
export interface LocalTarget extends ControlClientOptions {
  readonly socket: string;
}

/** Attach to a server over the network; logs in when a user is given. */
export interface RemoteTarget extends ControlClientOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: TcpClientTlsOptions;
  readonly user?: string;
  readonly password?: string;
  readonly domain?: string;
}

/** Where and how to attach. */
export type ConnectControlOptions = LocalTarget | RemoteTarget;

/** A `ControlClient` bound to one live connection. */
export interface ConnectedControlClient extends ControlClient {
  /** Who the session is logged in as (null until `session.login` succeeds). */
  readonly session: SessionUser | null;
  /** True once the connection has ended. */
  readonly closed: boolean;
  /** Listen to the end of the connection (server gone, network down, `close()`). */
  onClose(listener: () => void): () => void;
}

/** Connect to a server's control API; rejects (and closes) if the connection or login fails. */
export async function connectControl(
  options: ConnectControlOptions,
): Promise<ConnectedControlClient> {
  const connection =
    'socket' in options
      ? await connectIpc({
          path: options.socket,
          ...(options.maxFrameBytes !== undefined ? { maxFrameBytes: options.maxFrameBytes } : {}),
        })
      : await connectTcp({
          host: options.host,
          port: options.port,
          ...(options.tls !== undefined ? { tls: options.tls } : {}),
          ...(options.maxFrameBytes !== undefined ? { maxFrameBytes: options.maxFrameBytes } : {}),
          ...(options.connectTimeoutMs !== undefined
            ? { connectTimeoutMs: options.connectTimeoutMs }
            : {}),
        });
  const client = createControlClient(connection, options);
  if (!('socket' in options) && options.user !== undefined) {
    try {
      await client.call('session.login', {
        user: options.user,
        password: options.password ?? '',
        ...(options.domain !== undefined ? { domain: options.domain } : {}),
      });
    } catch (error) {
      await client.close();
      throw error;
    }
  }
  return client;
}

interface Pending {
  readonly method: MethodName;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: ApiError) => void;
  readonly timer: ReturnType<typeof setTimeout> | undefined;
}

/** Wrap any message `Connection` as a typed control client. */
export function createControlClient(
  connection: Connection,
  options: ControlClientOptions = {},
): ConnectedControlClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const pending = new Map<number, Pending>();
  const eventListeners = new Map<string, Set<(payload: never) => void>>();
  const closeListeners = new Set<() => void>();
  let nextId = 1;
  let session: SessionUser | null = null;
  let closed = false;
  let closedPromise: Promise<void> | null = null;

  const settleAll = (): void => {
    for (const [id, call] of pending) {
      pending.delete(id);
      if (call.timer) clearTimeout(call.timer);
      call.reject(new ApiError('unavailable', `connection closed before ${call.method} answered`));
    }
  };

  connection.onMessage((message) => {
    const response = responseFrameSchema.safeParse(message);
    if (response.success) {
      const { id } = response.data;
      const call = typeof id === 'number' ? pending.get(id) : undefined;
      if (!call) {
        // id null: the server could not read something we sent; nothing waits for it.
        log.warn('unmatched response', { id, ok: response.data.ok });
        return;
      }
      pending.delete(id as number);
      if (call.timer) clearTimeout(call.timer);
      if (response.data.ok) call.resolve(response.data.value);
      else call.reject(ApiError.fromBody(response.data.error));
      return;
    }
    const event = eventFrameSchema.safeParse(message);
    if (event.success) {
      for (const listener of eventListeners.get(event.data.event) ?? []) {
        try {
          listener(event.data.payload as never);
        } catch (error) {
          log.error('event listener threw', { event: event.data.event, error: String(error) });
        }
      }
      return;
    }
    log.warn('ignoring unexpected message from server');
  });

  const closedSignal = new Promise<void>((resolve) => {
    connection.onClose(() => {
      closed = true;
      settleAll();
      for (const listener of closeListeners) {
        try {
          listener();
        } catch (error) {
          log.error('close listener threw', { error: String(error) });
        }
      }
      resolve();
    });
  });

  return {
    get session() {
      return session;
    },

    get closed() {
      return closed;
    },

    call<M extends MethodName>(method: M, params: RequestOf<M>): Promise<ResponseOf<M>> {
      if (closed || connection.closed) {
        return Promise.reject(new ApiError('unavailable', 'not connected to the server'));
      }
      const id = nextId++;
      return new Promise<ResponseOf<M>>((resolve, reject) => {
        const timer =
          timeoutMs > 0
            ? setTimeout(() => {
                pending.delete(id);
                reject(new ApiError('unavailable', `${method} got no answer in ${timeoutMs} ms`));
              }, timeoutMs)
            : undefined;
        pending.set(id, {
          method,
          resolve: (value) => {
            if (method === 'session.login') session = value as SessionUser;
            resolve(value as ResponseOf<M>);
          },
          reject,
          timer,
        });
        try {
          connection.send({ type: 'request', id, method, params });
        } catch (error) {
          pending.delete(id);
          if (timer) clearTimeout(timer);
          const tooLarge = error instanceof FrameError && error.reason === 'too-large';
          reject(
            new ApiError(
              tooLarge ? 'too-large' : 'invalid-request',
              error instanceof Error ? error.message : String(error),
            ),
          );
        }
      });
    },

    on<E extends EventName>(event: E, listener: (payload: EventOf<E>) => void): () => void {
      let set = eventListeners.get(event);
      if (!set) eventListeners.set(event, (set = new Set()));
      const entry = listener as (payload: never) => void;
      set.add(entry);
      return () => {
        eventListeners.get(event)?.delete(entry);
      };
    },

    onClose(listener) {
      closeListeners.add(listener);
      return () => {
        closeListeners.delete(listener);
      };
    },

    close() {
      if (!closedPromise) {
        connection.close();
        closedPromise = closedSignal;
      }
      return closedPromise;
    },
  };
}
