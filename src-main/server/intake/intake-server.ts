/**
 * The intake listener (SPEC §4.2): HTTP/1.1, optionally TLS, on the configured port. Routes
 * `POST /samples` and `GET /health`; other routes answer 404/405. A library first:
 * `createIntakeServer(options)` → `{ listen, close, address }`.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createListener } from '../../http/listener.js';
import { WireError, formatXError } from '../../../src-shared/catalog/errors.js';
import { formatHttpDate } from '../../../src-shared/codec/dates.js';
import { createLogger } from '../../log/logger.js';
import type { IntakeActivity } from './intake-activity.js';
import { parseSampleRequest } from './sample-headers.js';
import { precheckSample, receiveSample, type ReceiveDeps } from './receive-sample.js';

const log = createLogger('intake');

/** Extra GET routes other parts of the server add (e.g. Defcast downloads). */
export type IntakeRoute = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  path: string,
) => Promise<boolean> | boolean;

/** Options of the intake listener. */
export interface IntakeServerOptions extends ReceiveDeps {
  readonly host: string;
  readonly port: number;
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** Body of `GET /health` beyond `status`. */
  readonly health: () => Record<string, unknown>;
  readonly routes?: readonly IntakeRoute[];
  /** Told about every forward, from its headers to its answer. */
  readonly activity?: IntakeActivity;
}

/** A running intake listener. */
export interface IntakeServer {
  listen(): Promise<AddressInfo>;
  /** Stop accepting, let requests in flight finish (up to `graceMs`), then close. */
  close(graceMs?: number): Promise<void>;
  address(): AddressInfo | null;
}

/** Create the intake listener. */
export function createIntakeServer(options: IntakeServerOptions): IntakeServer {
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    handle(req, res, options).catch((error: unknown) => {
      log.error('unexpected intake failure', { error: String(error) });
      if (!res.headersSent) sendError(res, new WireError('internal', [], 500));
      else res.destroy();
    });
  };
  const listener = createListener(handler, options.tls);
  return {
    listen: () => listener.listen(options.port, options.host),
    close: (graceMs) => listener.close(graceMs),
    address: () => listener.address(),
  };
}

async function handle(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  options: IntakeServerOptions,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (path === '/samples') {
    if (req.method !== 'POST') return methodNotAllowed(req, res, 'POST');
    const ended = options.activity?.begin();
    if (ended) res.once('close', ended);
    return postSample(req, res, options);
  }
  if (path === '/health') {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return methodNotAllowed(req, res, 'GET, HEAD');
    const body = JSON.stringify({ status: 'ok', ...options.health() });
    answer(res, 200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }, body, {
      headOnly: req.method === 'HEAD',
    });
    return;
  }
  for (const route of options.routes ?? []) {
    if (await route(req, res, path)) return;
  }
  answer(res, 404, { 'Content-Type': 'text/plain', Connection: 'close' }, 'not found\n');
  req.resume();
}

function methodNotAllowed(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  allow: string,
): void {
  answer(
    res,
    405,
    { Allow: allow, 'Content-Type': 'text/plain', Connection: 'close' },
    'method not allowed\n',
  );
  req.resume();
}

async function postSample(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  options: IntakeServerOptions,
): Promise<void> {
  let sample;
  try {
    sample = parseSampleRequest(req.headers, req.headersDistinct, Date.now());
    precheckSample(sample, options);
  } catch (error) {
    if (!(error instanceof WireError)) throw error;
    refuseEarly(req, res, error);
    return;
  }
  let aborted = false;
  req.once('aborted', () => (aborted = true));
  const socket = req.socket;
  const onSocketClose = (): void => {
    if (!req.complete) aborted = true;
  };
  socket.once('close', onSocketClose);
  // A keep-alive socket carries many requests: without this, every one of them would leave a
  // listener (holding its request) on the socket until the client hangs up.
  res.once('close', () => socket.off('close', onSocketClose));
  try {
    const result = await receiveSample(req, sample, options);
    const headers: Record<string, string> = {
      'X-Sample-Id': String(result.id),
      'X-Sample-Changes': String(result.changes),
      'X-Date-Forwarded': sample.attributes['X-Date-Forwarded'] ?? formatHttpDate(Date.now()),
      'Content-Type': 'text/plain',
    };
    if (!result.duplicate) headers['X-Sample-Status'] = 'quarantined';
    answer(
      res,
      result.duplicate ? 200 : 201,
      headers,
      `${result.duplicate ? 'duplicate' : 'quarantined'} ${result.id}\n`,
    );
  } catch (error) {
    if (aborted) {
      log.warn('sample connection lost before the whole body arrived', {
        host: sample.attributes['X-Platform-Host'],
      });
      res.destroy();
      return;
    }
    const wire =
      error instanceof WireError
        ? error
        : isAbort(error)
          ? new WireError('lost', [sample.contentLength ?? '', ''], 400)
          : (log.error('sample intake failed', { error: String(error) }),
            new WireError('internal', [], 500));
    refuseEarly(req, res, wire);
  }
}

function isAbort(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE';
}

/** Bytes of a refused body read before the connection is dropped instead. */
const REFUSED_BODY_DRAIN = 1 << 20;

function refuseEarly(req: http.IncomingMessage, res: http.ServerResponse, error: WireError): void {
  sendError(res, error, true);
  // A small refused body is read so the client sees the answer cleanly; a large one is cut.
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > REFUSED_BODY_DRAIN) req.destroy();
  });
  req.resume();
}

/** Answer with an `X-Error` header and a one-line body. */
export function sendError(res: http.ServerResponse, error: WireError, close = false): void {
  const value = formatXError(error.code, error.params);
  answer(
    res,
    error.httpStatus,
    { 'X-Error': value, 'Content-Type': 'text/plain', ...(close ? { Connection: 'close' } : {}) },
    `error: ${value}\n`,
  );
}

/**
 * Send a whole answer with its `Content-Length`, so that it goes out in one piece rather than
 * chunked (what `writeHead` followed by `end(body)` does), and any client reads it simply.
 */
function answer(
  res: http.ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string,
  options: { headOnly?: boolean } = {},
): void {
  res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(options.headOnly ? undefined : body);
}
