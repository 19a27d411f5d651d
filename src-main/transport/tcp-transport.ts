/**
 * The control API for remote consoles: TCP, optionally TLS, carrying newline-delimited JSON.
 * Remote peers are strangers until they log in, so sockets that stay silent are cut early.
 */
import net from 'node:net';
import tls from 'node:tls';
import { createLogger } from '../log/logger.js';
import type { Connection, TransportServer } from './connection.js';
import { DEFAULT_CLOSE_GRACE_MS, SocketConnection } from './socket-connection.js';

const log = createLogger('transport.tcp');

/** Default idle limit for a remote socket (the RPC layer lifts it after login). */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/** Default time allowed to establish an outgoing connection. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Server-side TLS material (PEM). */
export interface TcpServerTlsOptions {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
}

/** Settings of a TCP control listener. */
export interface TcpTransportOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Serve TLS instead of plain TCP. */
  readonly tls?: TcpServerTlsOptions;
  readonly maxFrameBytes?: number;
  /** Cut connections silent for this long; 0 = never. Default 30 s. */
  readonly idleTimeoutMs?: number;
  /** Largest number of simultaneous connections. Default 64. */
  readonly maxConnections?: number;
  readonly closeGraceMs?: number;
}

/** A TCP listener; `address()` tells the bound port once listening. */
export interface TcpTransportServer extends TransportServer {
  /** Bound host and port, or null when not listening. */
  address(): { host: string; port: number } | null;
}

/** Create a TCP (or TLS) control listener. */
export function createTcpTransport(options: TcpTransportOptions): TcpTransportServer {
  const listeners: ((connection: Connection) => void)[] = [];
  const open = new Set<SocketConnection>();
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const secure = options.tls !== undefined;

  const accept = (socket: net.Socket): void => {
    socket.setNoDelay(true);
    // Keep-alive notices consoles that vanished without a FIN while logged in and idle.
    socket.setKeepAlive(true, 60_000);
    const connection = new SocketConnection({
      kind: 'tcp',
      remote: formatHostPort(socket.remoteAddress ?? 'unknown', socket.remotePort ?? 0),
      remoteAddress: socket.remoteAddress ?? 'unknown',
      socket,
      answerBadFrames: true,
      ...(options.maxFrameBytes !== undefined ? { maxFrameBytes: options.maxFrameBytes } : {}),
      ...(options.closeGraceMs !== undefined ? { closeGraceMs: options.closeGraceMs } : {}),
    });
    connection.setIdleTimeout(idleTimeoutMs);
    open.add(connection);
    connection.onClose(() => open.delete(connection));
    socket.on('data', (chunk: Buffer) => connection.receive(chunk));
    log.debug('connection accepted', { remote: connection.remote, secure });
    for (const listener of listeners) listener(connection);
  };

  const server: net.Server = options.tls
    ? tls.createServer(
        {
          key: options.tls.key,
          cert: options.tls.cert,
          minVersion: 'TLSv1.2',
          handshakeTimeout: idleTimeoutMs > 0 ? idleTimeoutMs : 120_000,
        },
        accept,
      )
    : net.createServer(accept);
  server.maxConnections = options.maxConnections ?? 64;
  server.on('tlsClientError', (error: Error, socket: tls.TLSSocket) => {
    log.info('TLS handshake failed', {
      remote: formatHostPort(socket.remoteAddress ?? 'unknown', socket.remotePort ?? 0),
      error: error.message,
    });
  });

  let listening = false;

  return {
    onConnection(listener) {
      listeners.push(listener);
    },

    listen() {
      return new Promise<string>((resolve, reject) => {
        const onError = (error: Error): void => reject(error);
        server.once('error', onError);
        server.listen({ host: options.host, port: options.port }, () => {
          server.off('error', onError);
          listening = true;
          server.on('error', (error) => log.error('listener error', { error: error.message }));
          const bound = server.address() as net.AddressInfo;
          resolve(formatHostPort(bound.address, bound.port));
        });
      });
    },

    close() {
      if (!listening) return Promise.resolve();
      listening = false;
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const connection of open) connection.close();
      });
    },

    address() {
      const bound = listening ? server.address() : null;
      return bound && typeof bound === 'object' ? { host: bound.address, port: bound.port } : null;
    },
  };
}

/** Client-side TLS settings: whom to trust and which name to expect. */
export interface TcpClientTlsOptions {
  /** PEM of the CA (or self-signed certificate) to trust instead of the system store. */
  readonly ca?: string | Buffer;
  /** Default true; false accepts any certificate (tests, first contact). */
  readonly rejectUnauthorized?: boolean;
  readonly servername?: string;
}

/** Settings of an outgoing TCP control connection. */
export interface TcpConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: TcpClientTlsOptions;
  readonly maxFrameBytes?: number;
  readonly connectTimeoutMs?: number;
  readonly closeGraceMs?: number;
}

/** Open a TCP (or TLS) control connection. */
export function connectTcp(options: TcpConnectOptions): Promise<Connection> {
  return new Promise<Connection>((resolve, reject) => {
    const secure = options.tls !== undefined;
    const socket: net.Socket = options.tls
      ? tls.connect({
          host: options.host,
          port: options.port,
          ...(options.tls.ca !== undefined ? { ca: options.tls.ca } : {}),
          rejectUnauthorized: options.tls.rejectUnauthorized ?? true,
          ...(options.tls.servername !== undefined
            ? { servername: options.tls.servername }
            : net.isIP(options.host) === 0
              ? { servername: options.host }
              : {}),
        })
      : net.connect({ host: options.host, port: options.port });
    const target = formatHostPort(options.host, options.port);

    const fail = (error: Error): void => {
      socket.destroy();
      reject(new Error(`cannot connect to ${target}: ${error.message}`, { cause: error }));
    };
    socket.once('error', fail);
    socket.setTimeout(options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, () =>
      fail(new Error('connection timed out')),
    );
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      socket.off('error', fail);
      socket.removeAllListeners('timeout');
      socket.setTimeout(0);
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 60_000);
      const connection = new SocketConnection({
        kind: 'tcp',
        remote: target,
        remoteAddress: options.host,
        socket,
        answerBadFrames: false,
        closeGraceMs: options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS,
        ...(options.maxFrameBytes !== undefined ? { maxFrameBytes: options.maxFrameBytes } : {}),
      });
      socket.on('data', (chunk: Buffer) => connection.receive(chunk));
      resolve(connection);
    });
  });
}

/** `host:port`, with IPv6 hosts in brackets. */
export function formatHostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}
