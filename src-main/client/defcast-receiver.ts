/**
 * The endpoint's Defcast receiver (SPEC §4.5), an HTTP listener:
 * - `GET /definitions` → `X-Signatures-Sequence` (0 = none) and `X-Signatures-Version` of the set
 *   it runs, `X-Date-Installed`, and `X-Defcast-Outcome`: what the last install did to the local
 *   quarantine (the answer waits, boundedly, for a rescan in progress so the server's follow-up
 *   query after a push carries it).
 * - `PUT /definitions` with a package → checked to come from the configured server (signature,
 *   see defcast-wire.ts), verified with exactly the checks of the server's import, installed
 *   atomically, answered `200` with `X-Date-Installed`; then the local quarantine is rescanned.
 *   Refusals carry `X-Error` (`declined`, `content`, `missing`, `unpackage`, `internal`).
 * A library first: `createDefcastReceiver(options)` → `{ listen, close, address }`.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WireError, formatXError } from '../../src-shared/catalog/errors.js';
import { formatHttpDate, parseHttpDate } from '../../src-shared/codec/dates.js';
import { createLogger } from '../log/logger.js';
import {
  DEFINITIONS_PATH,
  OUTCOME_HEADER,
  SIGNATURE_HEADER,
  TARGET_HEADER,
  formatOutcome,
  verifyPush,
  type OutcomeEntry,
} from '../server/defcast/defcast-wire.js';
import {
  DEFAULT_PACKAGE_LIMITS,
  verifyPackage,
  type PackageLimits,
} from '../server/definitions/package-reader.js';
import type { EndpointDefinitions, InstalledSet } from './endpoint-definitions.js';

const log = createLogger('client-defcast');

/** How the receiver runs. */
export interface DefcastReceiverOptions {
  readonly host: string;
  readonly port: number;
  readonly definitions: EndpointDefinitions;
  /** This endpoint's GUID (pushes name it). */
  readonly guid: string;
  /** The pinned public key of the server, or null while it is not known yet. */
  readonly serverKey: () => string | null;
  readonly limits?: Partial<PackageLimits>;
  /** Largest difference between a push's `Date` and the local clock; default 15 min. */
  readonly maxSkewMs?: number;
  /** Rescan after an install; resolves with the report. */
  readonly afterInstall: (set: InstalledSet) => Promise<OutcomeEntry[]>;
  /** Longest a `GET /definitions` waits for a rescan in progress; default 30 s. */
  readonly reportWaitMs?: number;
}

/** A running receiver. */
export interface DefcastReceiver {
  listen(): Promise<AddressInfo>;
  close(): Promise<void>;
  address(): AddressInfo | null;
  /** Resolves when no install or rescan is running (tests). */
  idle(): Promise<void>;
}

function send(
  res: http.ServerResponse,
  status: number,
  headers: Record<string, string>,
  body = '',
): void {
  res.writeHead(status, { 'Content-Type': 'text/plain', ...headers });
  res.end(body);
}

function refuse(res: http.ServerResponse, error: WireError): void {
  const value = formatXError(error.code, error.params);
  send(res, error.httpStatus, { 'X-Error': value, Connection: 'close' }, `error: ${value}\n`);
}

function one(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: http.IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new WireError('declined', ['package-size', size, max], 413);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** Create the receiver. */
export function createDefcastReceiver(options: DefcastReceiverOptions): DefcastReceiver {
  const limits: PackageLimits = { ...DEFAULT_PACKAGE_LIMITS, ...options.limits };
  const maxSkewMs = options.maxSkewMs ?? 15 * 60_000;
  let installs: Promise<unknown> = Promise.resolve();
  let rescan: Promise<void> | null = null;
  let lastOutcome: OutcomeEntry[] = [];

  const report = (set: InstalledSet | null): Record<string, string> => {
    const headers: Record<string, string> = {
      'X-Signatures-Sequence': String(set?.sequence ?? 0),
      'Cache-Control': 'no-store',
    };
    if (set) {
      headers['X-Signatures-Version'] = set.version;
      headers['X-Date-Installed'] = formatHttpDate(set.installedAt);
    }
    if (lastOutcome.length > 0) headers[OUTCOME_HEADER] = formatOutcome(lastOutcome);
    return headers;
  };

  const authenticate = (req: http.IncomingMessage, md5: string): void => {
    const key = options.serverKey();
    if (!key) throw new WireError('declined', ['server-key-unknown'], 503);
    const date = one(req, 'Date') ?? '';
    const signature = one(req, SIGNATURE_HEADER) ?? '';
    const target = one(req, TARGET_HEADER) ?? '';
    const sequence = Number(one(req, 'X-Signatures-Sequence') ?? '');
    if (!signature || !Number.isInteger(sequence) || sequence < 1) {
      throw new WireError('declined', ['signature'], 403);
    }
    if (!verifyPush(key, { date, md5, sequence, target }, signature)) {
      throw new WireError('declined', ['signature'], 403);
    }
    if (target.toUpperCase() !== options.guid.toUpperCase())
      throw new WireError('declined', ['target'], 403);
    const sent = parseHttpDate(date);
    if (sent === null || Math.abs(Date.now() - sent) > maxSkewMs)
      throw new WireError('declined', ['date'], 403);
  };

  const put = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const length = one(req, 'Content-Length');
    if (length === undefined || !/^\d{1,15}$/.test(length))
      throw new WireError('missing', ['Content-Length'], 411);
    if (Number(length) > limits.maxPackageBytes) {
      throw new WireError('declined', ['package-size', length, limits.maxPackageBytes], 413);
    }
    const bytes = await readBody(req, limits.maxPackageBytes);
    const md5 = createHash('md5').update(bytes).digest('hex');
    const claimed = (one(req, 'X-Signatures-Checksum') ?? '').toLowerCase();
    if (claimed !== md5) throw new WireError('content', [claimed, md5], 400);
    authenticate(req, md5);
    // Installs run one at a time; a push arriving during another waits its turn.
    const task = installs.then(async () => {
      const pkg = await verifyPackage(bytes, { expectedMd5: md5, limits });
      if (pkg.manifest.sequence !== Number(one(req, 'X-Signatures-Sequence'))) {
        throw new WireError('unpackage', [
          `the package holds sequence ${pkg.manifest.sequence}, not the announced ${one(req, 'X-Signatures-Sequence')}`,
        ]);
      }
      const current = options.definitions.current();
      // The same or an older set changes nothing: sequences are cumulative.
      if (current && current.sequence >= pkg.manifest.sequence)
        return { set: current, fresh: false };
      return { set: await options.definitions.install(pkg), fresh: true };
    });
    installs = task.catch(() => undefined);
    const { set, fresh } = await task;
    if (fresh) {
      log.info('definitions installed by Defcast', {
        sequence: set.sequence,
        version: set.version,
      });
      const running = installs.then(async () => {
        try {
          lastOutcome = await options.afterInstall(set);
        } catch (error) {
          log.error('rescan after install failed', { error: String(error) });
          lastOutcome = [];
        }
      });
      rescan = running.finally(() => {
        if (rescan === running) rescan = null;
      });
      installs = running;
    }
    send(res, 200, report(set), `installed ${set.sequence}\n`);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = (req.url ?? '/').split('?')[0];
    if (url !== DEFINITIONS_PATH) {
      req.resume();
      send(res, 404, { Connection: 'close' }, 'not found\n');
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      req.resume();
      if (rescan) {
        await Promise.race([
          rescan,
          new Promise((r) => setTimeout(r, options.reportWaitMs ?? 30_000).unref()),
        ]);
      }
      send(res, 200, report(options.definitions.current()), req.method === 'HEAD' ? '' : 'ok\n');
      return;
    }
    if (req.method !== 'PUT') {
      req.resume();
      send(res, 405, { Allow: 'GET, HEAD, PUT', Connection: 'close' }, 'method not allowed\n');
      return;
    }
    await put(req, res);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const wire =
        error instanceof WireError
          ? error
          : (log.error('defcast receiver failure', { error: String(error) }),
            new WireError('internal', [], 500));
      if (wire.code !== 'internal')
        log.warn('push refused', { code: wire.code, params: wire.params });
      if (res.headersSent) {
        res.destroy();
        return;
      }
      refuse(res, wire);
      req.resume();
    });
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 10 * 60_000;
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  return {
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port, options.host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.race([installs, new Promise((r) => setTimeout(r, 10_000).unref())]);
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    address: () => server.address() as AddressInfo | null,
    idle: async () => {
      await installs;
    },
  };
}
