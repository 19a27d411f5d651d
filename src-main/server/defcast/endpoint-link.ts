/**
 * The server's side of one Defcast exchange with an endpoint receiver (SPEC §4.5): ask which
 * sequence it runs (`GET /definitions`) and push a package to it (`PUT /definitions`).
 */
import http from 'node:http';
import { parseXError, type ErrorCode } from '../../../src-shared/catalog/errors.js';
import { formatHttpDate } from '../../../src-shared/codec/dates.js';
import {
  DEFINITIONS_PATH,
  OUTCOME_HEADER,
  SIGNATURE_HEADER,
  TARGET_HEADER,
  parseOutcome,
  signPush,
  type OutcomeEntry,
} from './defcast-wire.js';
import type { SigningKey } from './signing-key.js';

/** Where an endpoint's receiver listens. */
export interface EndpointAddress {
  readonly host: string;
  readonly port: number;
}

/** What an endpoint reports about its definitions. */
export interface EndpointReport {
  readonly sequence: number;
  readonly version: string | null;
  /** X-Date-Installed as sent (RFC 1123), when it installed the set. */
  readonly installedAt: string | null;
  /** What it did to its local quarantine after the last install. */
  readonly outcome: OutcomeEntry[];
}

/** A package to push. */
export interface PushPackage {
  readonly bytes: Buffer;
  /** MD5 of `bytes`, hex. */
  readonly md5: string;
  readonly sequence: number;
}

/** A failed exchange: unreachable (`wire` null, `httpStatus` null) or refused by the endpoint. */
export class EndpointError extends Error {
  constructor(
    message: string,
    readonly httpStatus: number | null,
    readonly wire: { code: ErrorCode; params: string[] } | null,
  ) {
    super(message);
    this.name = 'EndpointError';
  }
}

function header(res: http.IncomingMessage, name: string): string | undefined {
  const value = res.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function toReport(res: http.IncomingMessage): EndpointReport {
  const sequence = Number(header(res, 'X-Signatures-Sequence') ?? '');
  if (!Number.isInteger(sequence) || sequence < 0) {
    throw new EndpointError('the endpoint did not report a sequence', res.statusCode ?? null, null);
  }
  return {
    sequence,
    version: header(res, 'X-Signatures-Version') ?? null,
    installedAt: header(res, 'X-Date-Installed') ?? null,
    outcome: parseOutcome(header(res, OUTCOME_HEADER)),
  };
}

function exchange(
  address: EndpointAddress,
  method: 'GET' | 'PUT',
  headers: Record<string, string>,
  body: Buffer | undefined,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<EndpointReport> {
  const where = `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: address.host,
        port: address.port,
        method,
        path: DEFINITIONS_PATH,
        headers: { ...headers, Connection: 'close' },
        timeout: timeoutMs,
        // One exchange per endpoint now and then: pooling sockets would only hold them open.
        agent: false,
        ...(signal ? { signal } : {}),
      },
      (res) => {
        res.resume();
        res.on('error', (error) =>
          reject(new EndpointError(`${where}: ${error.message}`, null, null)),
        );
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status === 200) {
            try {
              resolve(toReport(res));
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            }
            return;
          }
          const xError = header(res, 'X-Error');
          const wire = xError ? parseXError(xError) : null;
          const reason = wire ? `${wire.code} ${wire.params.join(' ')}`.trim() : `HTTP ${status}`;
          reject(new EndpointError(`${where} refused: ${reason}`, status, wire));
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(new EndpointError(`${where}: no answer within ${timeoutMs} ms`, null, null)),
    );
    req.on('error', (error) =>
      reject(
        error instanceof EndpointError
          ? error
          : new EndpointError(`cannot reach ${where}: ${error.message}`, null, null),
      ),
    );
    req.end(body);
  });
}

/** Ask an endpoint which definitions it runs. */
export function queryEndpoint(
  address: EndpointAddress,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<EndpointReport> {
  return exchange(address, 'GET', {}, undefined, timeoutMs, signal);
}

/**
 * Push `pkg` to the endpoint with GUID `target`, signed with `key`. Resolves once the endpoint
 * answered `200` (it verified and installed the set); rejects with an EndpointError otherwise.
 */
export function pushPackage(
  address: EndpointAddress,
  target: string,
  pkg: PushPackage,
  key: SigningKey,
  timeoutMs: number,
  now = Date.now(),
  signal?: AbortSignal,
): Promise<EndpointReport> {
  const date = formatHttpDate(now);
  const md5 = pkg.md5.toLowerCase();
  return exchange(
    address,
    'PUT',
    {
      Date: date,
      'Content-Type': 'application/zip',
      'Content-Length': String(pkg.bytes.length),
      'X-Signatures-Sequence': String(pkg.sequence),
      'X-Signatures-Checksum': md5,
      [TARGET_HEADER]: target,
      [SIGNATURE_HEADER]: signPush(key.privateKey, { date, md5, sequence: pkg.sequence, target }),
    },
    pkg.bytes,
    timeoutMs,
    signal,
  );
}
