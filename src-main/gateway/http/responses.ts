/** Small helpers for answering gateway requests. */
import type http from 'node:http';
import { WireError } from '../../../src-shared/catalog/errors.js';
import { sendError } from '../../server/intake/intake-server.js';

export { sendError };

/** Bytes of a refused body read before the connection is dropped instead. */
const REFUSED_BODY_DRAIN = 1 << 20;

/**
 * Refuse a request whose body may still be arriving: answer, then read a small body so the
 * client sees the answer cleanly, or cut a large one.
 */
export function refuseEarly(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  error: WireError,
  extraHeaders: Record<string, string> = {},
): void {
  for (const [name, value] of Object.entries(extraHeaders)) res.setHeader(name, value);
  sendError(res, error, true);
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > REFUSED_BODY_DRAIN) req.destroy();
  });
  req.resume();
}

/** 405 with the allowed methods. */
export function methodNotAllowed(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  allow: string,
): void {
  res.writeHead(405, { Allow: allow, 'Content-Type': 'text/plain', Connection: 'close' });
  res.end('method not allowed\n');
  req.resume();
}

/** 404 for a path the gateway does not serve. */
export function notFound(req: http.IncomingMessage, res: http.ServerResponse): void {
  res.writeHead(404, { 'Content-Type': 'text/plain', Connection: 'close' });
  res.end('not found\n');
  req.resume();
}

/** An empty-bodied answer with attribute headers. */
export function sendHeaders(
  res: http.ServerResponse,
  status: number,
  headers: Record<string, string>,
  text: string,
): void {
  res.writeHead(status, { ...headers, 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' });
  res.end(text);
}

/** Turn anything thrown by a handler into a wire error (unknown failures are `internal`). */
export function asWireError(error: unknown): WireError {
  return error instanceof WireError ? error : new WireError('internal', [], 500);
}
