/**
 * An HTTP/1.1 listener (TLS when given a certificate) that drains on close: it stops
 * accepting, lets requests in flight finish within a grace period, then cuts the stragglers.
 * Shared by the intake (server) and the gateway; each plugs its routes in as one handler.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** TLS material for HTTPS. */
export interface TlsMaterial {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}

/** A listener that can be started, asked for its address, and drained. */
export interface Listener {
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stop accepting, let requests in flight finish (up to `graceMs`), then close. */
  close(graceMs?: number): Promise<void>;
  address(): AddressInfo | null;
}

/** Create a draining HTTP(S) listener around `handler`. */
export function createListener(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  tls?: TlsMaterial,
): Listener {
  const server = tls
    ? https.createServer({ cert: tls.cert, key: tls.key }, handler)
    : http.createServer(handler);
  // Uploads on slow links need time; headers must still arrive promptly.
  server.requestTimeout = 15 * 60_000;
  server.headersTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  let inFlight = 0;
  let drained: (() => void) | undefined;
  server.on('request', (_req, res: http.ServerResponse) => {
    inFlight++;
    res.on('close', () => {
      inFlight--;
      if (inFlight === 0) drained?.();
    });
  });
  return {
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    close: async (graceMs = 10_000) => {
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => (drained = resolve)),
          new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref()),
        ]);
      }
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    address: () => server.address() as AddressInfo | null,
  };
}
