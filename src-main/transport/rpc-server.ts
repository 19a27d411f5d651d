/**
 * Serves the control API contract over any set of transports. Every frame is checked on arrival
 * (frame shape, method, session, parameters) and every failure becomes a typed error response;
 * nothing a peer sends can throw past this module. Internal failures are logged in full and
 * reported to the peer only as `internal`.
 */
import { ApiError, isApiError } from '../../src-shared/api/client-api.js';
import {
  EVENTS,
  isMethodName,
  METHODS,
  type EventName,
  type EventOf,
  type MethodName,
  type ParamsOf,
  type ResponseOf,
  type SessionUser,
} from '../../src-shared/api/contract.js';
import {
  errorResponseFrame,
  requestFrameSchema,
  requestIdSchema,
  summarizeIssues,
  valueResponseFrame,
  type ApiErrorBody,
  type RequestId,
  type ResponseFrame,
} from '../../src-shared/api/wire.js';
import { createLogger } from '../log/logger.js';
import { FrameError, type Connection, type TransportServer } from './connection.js';

const log = createLogger('control.rpc');

/** What a handler knows about the caller. */
export interface CallContext {
  readonly connection: Connection;
  /** Null on a local connection that never logged in. */
  readonly user: SessionUser | null;
}

/** Methods served by handlers (`session.login` is served by the `login` option). */
export type HandledMethod = Exclude<MethodName, 'session.login'>;

/** The implementation of one method; receives validated parameters with defaults filled in. */
export type MethodHandler<M extends MethodName> = (
  params: ParamsOf<M>,
  ctx: CallContext,
) => Promise<ResponseOf<M>> | ResponseOf<M>;

/** Implementations by method; a contract method without one answers `unavailable`. */
export type MethodHandlers = { readonly [M in HandledMethod]?: MethodHandler<M> };

/** Settings of the RPC server. */
export interface RpcServerOptions {
  readonly transports: readonly TransportServer[];
  readonly handlers: MethodHandlers;
  /** Check credentials; throws `ApiError` `login-failed` or `rate-limited`. */
  readonly login: (params: ParamsOf<'session.login'>, ctx: CallContext) => Promise<SessionUser>;
  /** Whether a connection must log in before anything else (true for remote ones). */
  readonly requireLogin: (connection: Connection) => boolean;
  /** Check handlers' results against the contract. Default: on unless NODE_ENV=production. */
  readonly validateResponses?: boolean;
  /** Requests a connection may send before logging in; then it is closed. Default 20. */
  readonly maxRequestsBeforeLogin?: number;
}

/** One open connection as the RPC server sees it. */
export interface RpcConnectionInfo {
  readonly connection: Connection;
  readonly user: SessionUser | null;
  readonly connectedAt: number;
}

/** A running control API server. */
export interface RpcServer {
  /** Start every transport; resolves with their printable addresses, in order. */
  listen(): Promise<string[]>;
  /** Stop every transport and close every connection. */
  close(): Promise<void>;
  /** Push an event to every local or logged-in connection. */
  broadcast<E extends EventName>(event: E, payload: EventOf<E>): void;
  /** The open connections. */
  connections(): RpcConnectionInfo[];
}

interface Session {
  readonly connection: Connection;
  readonly mustLogIn: boolean;
  readonly connectedAt: number;
  user: SessionUser | null;
  requestsBeforeLogin: number;
}

type AnyHandler = (params: unknown, ctx: CallContext) => unknown;

/** Create the control API server over the given transports. */
export function createRpcServer(options: RpcServerOptions): RpcServer {
  const sessions = new Set<Session>();
  const validateResponses = options.validateResponses ?? process.env.NODE_ENV !== 'production';
  const maxRequestsBeforeLogin = options.maxRequestsBeforeLogin ?? 20;

  const reply = (session: Session, frame: ResponseFrame): void => {
    try {
      session.connection.send(frame);
      return;
    } catch (error) {
      const tooLarge = error instanceof FrameError && error.reason === 'too-large';
      log.error(tooLarge ? 'response too large for one frame' : 'cannot send response', {
        remote: session.connection.remote,
        error: describe(error),
      });
      const body: ApiErrorBody = tooLarge
        ? { code: 'too-large', message: 'the answer is too large for one message; ask for less' }
        : { code: 'internal', message: 'internal error; see the server log' };
      try {
        session.connection.send(errorResponseFrame(frame.id, body));
      } catch (again) {
        log.error('cannot send error response', { error: describe(again) });
      }
    }
  };

  const fail = (session: Session, id: RequestId | null, body: ApiErrorBody): void =>
    reply(session, errorResponseFrame(id, body));

  const handle = async (session: Session, message: unknown): Promise<void> => {
    const frame = requestFrameSchema.safeParse(message);
    if (!frame.success) {
      const { message: text, issues } = summarizeIssues(frame.error);
      fail(session, salvageId(message), {
        code: 'invalid-request',
        message: `not a request frame: ${text}`,
        details: { issues },
      });
      return;
    }
    const { id, method } = frame.data;
    if (!isMethodName(method)) {
      fail(session, id, { code: 'unknown-method', message: `no method "${method}"` });
      return;
    }
    if (session.mustLogIn && session.user === null) {
      session.requestsBeforeLogin += 1;
      if (session.requestsBeforeLogin > maxRequestsBeforeLogin) {
        log.warn('too many requests before login; closing', { remote: session.connection.remote });
        fail(session, id, { code: 'unauthenticated', message: 'too many requests before login' });
        session.connection.close();
        return;
      }
      if (method !== 'session.login') {
        fail(session, id, { code: 'unauthenticated', message: 'log in first (session.login)' });
        return;
      }
    }
    // A frame without params means "no parameters", so `cq ctl server.info` needs no `{}`.
    const params = METHODS[method].request.safeParse(frame.data.params ?? {});
    if (!params.success) {
      const { message: text, issues } = summarizeIssues(params.error);
      fail(session, id, {
        code: 'invalid-request',
        message: `invalid parameters for ${method}: ${text}`,
        details: { issues },
      });
      return;
    }

    const ctx: CallContext = { connection: session.connection, user: session.user };
    let value: unknown;
    try {
      if (method === 'session.login') {
        const user = await options.login(params.data as ParamsOf<'session.login'>, ctx);
        session.user = user;
        // A logged-in console may sit idle for hours waiting for events.
        session.connection.setIdleTimeout(0);
        log.info('logged in', { remote: session.connection.remote, user: user.user });
        value = user;
      } else {
        const handler = options.handlers[method] as AnyHandler | undefined;
        if (!handler) {
          fail(session, id, {
            code: 'unavailable',
            message: `${method} is not available on this server`,
          });
          return;
        }
        value = await handler(params.data, ctx);
      }
    } catch (error) {
      fail(session, id, toErrorBody(error, method, session.connection));
      return;
    }

    if (value === undefined) {
      // JSON has no undefined: the peer would get a frame without a value and wait forever.
      log.error('handler returned nothing', { method });
      fail(session, id, { code: 'internal', message: 'internal error; see the server log' });
      return;
    }
    if (validateResponses) {
      const checked = METHODS[method].response.safeParse(value);
      if (!checked.success) {
        log.error('handler result does not match the contract', {
          method,
          issues: summarizeIssues(checked.error).issues,
        });
        fail(session, id, { code: 'internal', message: 'internal error; see the server log' });
        return;
      }
      value = checked.data;
    }
    reply(session, valueResponseFrame(id, value));
  };

  const attach = (connection: Connection): void => {
    const session: Session = {
      connection,
      mustLogIn: options.requireLogin(connection),
      connectedAt: Date.now(),
      user: null,
      requestsBeforeLogin: 0,
    };
    sessions.add(session);
    connection.onClose(() => sessions.delete(session));
    connection.onMessage((message) => {
      handle(session, message).catch((error: unknown) => {
        // handle() answers every failure itself; reaching this is a bug in this module.
        log.error('request handling failed', { error: describe(error) });
      });
    });
  };

  for (const transport of options.transports) transport.onConnection(attach);

  return {
    async listen() {
      const results = await Promise.allSettled(options.transports.map((t) => t.listen()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) {
        // Do not leave half the listeners running when one could not start.
        await Promise.allSettled(options.transports.map((t) => t.close()));
        throw failed.reason;
      }
      return results.map((r) => (r as PromiseFulfilledResult<string>).value);
    },

    async close() {
      await Promise.all(options.transports.map((t) => t.close()));
    },

    broadcast(event, payload) {
      let checked: unknown = payload;
      if (validateResponses) {
        const result = EVENTS[event].safeParse(payload);
        if (!result.success) {
          log.error('event payload does not match the contract', {
            event,
            issues: summarizeIssues(result.error).issues,
          });
          return;
        }
        checked = result.data;
      }
      const frame = { type: 'event', event, payload: checked };
      for (const session of sessions) {
        if (session.mustLogIn && session.user === null) continue;
        try {
          session.connection.send(frame);
        } catch (error) {
          log.error('cannot send event', { event, error: describe(error) });
        }
      }
    },

    connections() {
      return [...sessions].map((s) => ({
        connection: s.connection,
        user: s.user,
        connectedAt: s.connectedAt,
      }));
    },
  };
}

/** The id of a broken request, if it has a usable one, so the caller can match the error. */
function salvageId(message: unknown): RequestId | null {
  if (typeof message !== 'object' || message === null) return null;
  const id = requestIdSchema.safeParse((message as { id?: unknown }).id);
  return id.success ? id.data : null;
}

function toErrorBody(error: unknown, method: string, connection: Connection): ApiErrorBody {
  if (error instanceof ApiError) return error.toBody();
  if (isApiError(error)) {
    return new ApiError(error.code, String(error.message), error.details).toBody();
  }
  log.error('handler failed', { method, remote: connection.remote, error: describe(error) });
  return { code: 'internal', message: 'internal error; see the server log' };
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
