/**
 * The gateway's HTTP front (SPEC §4.3): routes, customer checks, and errors as `X-Error`.
 * Every `/v1` request must name an accepted customer: an absent `X-Customer-Identifier` is
 * `400 missing`, an unknown customer or wrong credentials `403 declined`.
 */
import type http from 'node:http';
import { WireError } from '../../../src-shared/catalog/errors.js';
import { createLogger } from '../../log/logger.js';
import type { Customer } from '../model.js';
import { asWireError, methodNotAllowed, notFound, sendError } from './responses.js';
import type { RouteContext } from './route-context.js';
import { getStatus, postSample } from './samples-routes.js';
import { getNewest, getPackage } from './signatures-routes.js';

const log = createLogger('gateway');

type Handler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  customer: Customer,
  match: RouteMatch,
  ctx: RouteContext,
) => void | Promise<void>;

interface RouteMatch {
  readonly param: string;
  readonly query: URLSearchParams;
}

interface Route {
  readonly pattern: RegExp;
  readonly methods: Readonly<Record<string, Handler>>;
}

const ROUTES: readonly Route[] = [
  {
    pattern: /^\/v1\/samples$/,
    methods: { POST: (req, res, customer, _m, ctx) => postSample(req, res, customer, ctx) },
  },
  {
    pattern: /^\/v1\/samples\/([^/]+)$/,
    methods: {
      GET: (req, res, customer, m, ctx) => getStatus(req, res, customer, m.param, ctx),
    },
  },
  {
    pattern: /^\/v1\/signatures\/newest$/,
    methods: { GET: (req, res, _c, m, ctx) => getNewest(req, res, m.query, ctx) },
  },
  {
    pattern: /^\/v1\/signatures\/([^/]+)$/,
    methods: {
      GET: (req, res, _c, m, ctx) => getPackage(req, res, m.param, m.query, ctx),
      HEAD: (req, res, _c, m, ctx) => getPackage(req, res, m.param, m.query, ctx),
    },
  },
];

function single(req: http.IncomingMessage, name: string): string | undefined | null {
  const values = req.headersDistinct[name];
  if (values === undefined) return undefined;
  return values.length === 1 ? (values[0] ?? '').trim() : null;
}

/** The customer a request names, or the refusal. */
function authenticate(req: http.IncomingMessage, ctx: RouteContext): Customer | WireError {
  const identifier = single(req, 'x-customer-identifier');
  if (identifier === undefined || identifier === '') {
    return new WireError('missing', ['X-Customer-Identifier']);
  }
  const credentials = single(req, 'x-customer-credentials');
  if (identifier === null || credentials === null) return new WireError('declined', [], 403);
  const customer = ctx.auth.authenticate(identifier, credentials, req.socket.remoteAddress);
  return customer ?? new WireError('declined', [], 403);
}

async function dispatch(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  ctx: RouteContext,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://gateway.invalid');
  for (const route of ROUTES) {
    const match = route.pattern.exec(url.pathname);
    if (!match) continue;
    const handler = route.methods[req.method ?? ''];
    if (handler === undefined) {
      methodNotAllowed(req, res, Object.keys(route.methods).join(', '));
      return;
    }
    const customer = authenticate(req, ctx);
    if (customer instanceof WireError) {
      sendError(res, customer, true);
      req.resume();
      return;
    }
    let param = match[1] ?? '';
    try {
      param = decodeURIComponent(param);
    } catch {
      // Left as sent: it will not name anything the gateway knows.
    }
    await handler(req, res, customer, { param, query: url.searchParams }, ctx);
    return;
  }
  notFound(req, res);
}

/** The request handler for a gateway listener. */
export function createGatewayHandler(
  ctx: RouteContext,
): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    dispatch(req, res, ctx).catch((error: unknown) => {
      if (!(error instanceof WireError)) {
        log.error('unexpected gateway failure', { error: String(error) });
      }
      if (!res.headersSent) sendError(res, asWireError(error), true);
      else res.destroy();
    });
  };
}
