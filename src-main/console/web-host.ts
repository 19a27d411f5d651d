/**
 * `cq console --web`'s server (SPEC §13): serves the built renderer and the ConsoleApi over a
 * WebSocket, on 127.0.0.1 only. A random token in the URL is the key: without it (or the
 * cookie set from it) pages and sockets get 403. Host and Origin are checked too, so neither
 * DNS rebinding nor another web page can reach the API. Every frame is validated; a bad one
 * gets an error reply and changes nothing.
 */
import { randomBytes, createHash, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { BridgeMessage } from '../../src-shared/api/console-api.js';
import { createLogger } from '../log/logger.js';
import type { AttachManager } from './attach-manager.js';
import { dispatchBridgeRequest, parseBridgeRequest } from './console-dispatch.js';

const log = createLogger('console.web');

/** The only address the web console listens on. */
export const WEB_HOST = '127.0.0.1';

/** Path of the API WebSocket. */
export const WEB_SOCKET_PATH = '/api';

/** Largest WebSocket message the host accepts. */
const MAX_PAYLOAD_BYTES = 1024 * 1024;

/** Stop sending events to a browser that has this much unsent (it resyncs on its next page). */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/** Settings of the web host. */
export interface WebHostOptions {
  readonly manager: AttachManager;
  /** The built renderer (`dist-renderer/`). */
  readonly staticDir: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Default: 32 random bytes, base64url. */
  readonly token?: string;
  /** The console's version, told to the renderer. */
  readonly version: string;
}

/** A running web host. */
export interface WebHost {
  readonly token: string;
  /** Start listening; resolves with the URL to open (token included). */
  listen(): Promise<string>;
  /** The bound port (0 before `listen`). */
  port(): number;
  /** Close every socket and stop listening. */
  close(): Promise<void>;
}

/** A new random access token. */
export function createAccessToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Compare a presented token with the real one in constant time (whatever its length). */
export function tokenMatches(presented: string | undefined | null, token: string): boolean {
  if (typeof presented !== 'string' || presented.length === 0) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/** The Content-Security-Policy of every page: our own scripts and styles, our own socket. */
export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ws://${WEB_HOST}:${port} ws://localhost:${port}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

function cookieName(port: number): string {
  // Cookies are shared between ports of one host; the port keeps two consoles apart.
  return `cq_console_${port}`;
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Create the web host (call `listen` to start). */
export function createWebHost(options: WebHostOptions): WebHost {
  const token = options.token ?? createAccessToken();
  const staticDir = path.resolve(options.staticDir);
  let boundPort = 0;
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD_BYTES });
  const unsubscribe: (() => void)[] = [];

  const allowedHosts = (): string[] => [`${WEB_HOST}:${boundPort}`, `localhost:${boundPort}`];
  const allowedOrigins = (): string[] => allowedHosts().map((h) => `http://${h}`);

  /** The token presented by a request, from the URL or the cookie. */
  const presentedToken = (req: http.IncomingMessage, url: URL): string | undefined =>
    url.searchParams.get('token') ?? readCookie(req.headers.cookie, cookieName(boundPort));

  const securityHeaders = (): Record<string, string> => ({
    'Content-Security-Policy': contentSecurityPolicy(boundPort),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  });

  const refuse = (res: http.ServerResponse, status: number, text: string): void => {
    res.writeHead(status, { ...securityHeaders(), 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`${text}\n`);
  };

  const handleRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (!allowedHosts().includes(req.headers.host ?? '')) {
      refuse(res, 403, 'forbidden: the console answers on 127.0.0.1 only');
      return;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${WEB_HOST}:${boundPort}`);
    } catch {
      refuse(res, 400, 'bad request');
      return;
    }
    if (!tokenMatches(presentedToken(req, url), token)) {
      refuse(res, 403, 'forbidden: open the console with the URL it printed (it holds the token)');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      refuse(res, 405, 'method not allowed');
      return;
    }
    let relative: string;
    try {
      relative = decodeURIComponent(url.pathname);
    } catch {
      refuse(res, 400, 'bad path');
      return;
    }
    if (relative === '/' || relative === '') relative = '/index.html';
    const file = path.resolve(staticDir, '.' + relative);
    if (relative.includes('\0') || (file !== staticDir && !file.startsWith(staticDir + path.sep))) {
      refuse(res, 404, 'not found');
      return;
    }
    fs.stat(file, (error, stat) => {
      if (error || !stat.isFile()) {
        refuse(res, 404, 'not found');
        return;
      }
      const headers: Record<string, string> = {
        ...securityHeaders(),
        'Content-Type':
          CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
        'Content-Length': String(stat.size),
      };
      if (url.searchParams.has('token')) {
        // The page's scripts, styles and socket then authenticate without the token in their URL.
        headers['Set-Cookie'] =
          `${cookieName(boundPort)}=${token}; Path=/; HttpOnly; SameSite=Strict`;
      }
      res.writeHead(200, headers);
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      const stream = fs.createReadStream(file);
      stream.on('error', () => res.destroy());
      stream.pipe(res);
    });
  };

  const rejectUpgrade = (socket: Duplex, status: number, text: string): void => {
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length + 1}\r\n\r\n${text}\n`,
    );
    socket.destroy();
  };

  const handleUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${WEB_HOST}:${boundPort}`);
    } catch {
      rejectUpgrade(socket, 400, 'Bad Request');
      return;
    }
    const origin = req.headers.origin;
    if (
      !allowedHosts().includes(req.headers.host ?? '') ||
      (origin !== undefined && !allowedOrigins().includes(origin)) ||
      !tokenMatches(presentedToken(req, url), token)
    ) {
      rejectUpgrade(socket, 403, 'Forbidden');
      return;
    }
    if (url.pathname !== WEB_SOCKET_PATH) {
      rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws));
  };

  const send = (ws: WebSocket, message: BridgeMessage): void => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(JSON.stringify(message));
  };

  const serveSocket = (ws: WebSocket): void => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('error', (error) => log.warn('web socket error', { error: String(error) }));
    send(ws, {
      type: 'hello',
      app: { version: options.version, shell: 'web', platform: process.platform },
    });
    send(ws, { type: 'servers', servers: options.manager.list() });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      void answer(ws, data, isBinary);
    });
  };

  const answer = async (ws: WebSocket, data: RawData, isBinary: boolean): Promise<void> => {
    let frame: unknown;
    try {
      if (isBinary) throw new Error('binary frames are not accepted');
      const text = Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data as ArrayBuffer).toString('utf8');
      frame = JSON.parse(text);
    } catch (error) {
      send(ws, {
        type: 'result',
        id: null,
        result: {
          ok: false,
          error: {
            code: 'invalid-request',
            message: `bad console request: ${error instanceof Error ? error.message : 'not JSON'}`,
          },
        },
      });
      return;
    }
    const parsed = parseBridgeRequest(frame);
    if (!parsed.ok) {
      send(ws, { type: 'result', id: parsed.id, result: parsed.result });
      return;
    }
    const result = await dispatchBridgeRequest(options.manager, parsed.request);
    send(ws, { type: 'result', id: parsed.request.id, result });
  };

  const broadcast = (message: BridgeMessage, droppable: boolean): void => {
    if (sockets.size === 0) return;
    const text = JSON.stringify(message);
    for (const ws of sockets) {
      if (ws.readyState !== ws.OPEN) continue;
      if (droppable && ws.bufferedAmount > MAX_BUFFERED_BYTES) continue;
      ws.send(text);
    }
  };

  const server = http.createServer(handleRequest);
  server.on('upgrade', handleUpgrade);
  server.on('clientError', (_error, socket) => socket.destroy());

  return {
    token,
    port: () => boundPort,

    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 0, WEB_HOST, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address();
      boundPort = typeof address === 'object' && address ? address.port : 0;
      unsubscribe.push(
        options.manager.onEvent((serverId, event, payload) =>
          broadcast({ type: 'event', serverId, event, payload }, true),
        ),
        options.manager.onServersChanged((servers) =>
          broadcast({ type: 'servers', servers }, false),
        ),
      );
      return `http://${WEB_HOST}:${boundPort}/?token=${token}`;
    },

    async close() {
      for (const off of unsubscribe.splice(0)) off();
      const open = [...sockets];
      for (const ws of open) ws.close(1001, 'console closing');
      // Give browsers a moment to see the close frame, then cut whatever is left.
      await Promise.race([
        Promise.all(
          open.map((ws) => new Promise<void>((resolve) => ws.once('close', () => resolve()))),
        ),
        new Promise<void>((resolve) => setTimeout(resolve, 500).unref()),
      ]);
      for (const ws of open) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
