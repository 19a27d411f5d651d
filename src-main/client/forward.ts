/**
 * Forwarding a sample to a Quarantine Server's intake (SPEC §4.1, §4.2): what a nonmanaged
 * product does, what `cq forward` runs and what the endpoint agent uses.
 */
import http from 'node:http';
import https from 'node:https';
import { WireError, parseXError } from '../../src-shared/catalog/errors.js';
import { formatHttpDate } from '../../src-shared/codec/dates.js';
import { encodeHeaderValue } from '../../src-shared/codec/headers.js';
import { encodeSample } from '../codec/content.js';

/** Where the server's intake listens. */
export interface IntakeTarget {
  readonly host: string;
  readonly port: number;
  readonly tls?: { readonly ca?: string | Buffer; readonly rejectUnauthorized?: boolean };
}

/** What the server answered to an accepted forward. */
export interface ForwardResult {
  readonly id: string;
  readonly duplicate: boolean;
  readonly status: string | null;
  readonly changes: number;
}

/** A forward the server refused or that could not be completed. */
export class ForwardError extends Error {
  constructor(
    message: string,
    readonly httpStatus: number | null,
    readonly wire: { code: string; params: string[] } | null,
  ) {
    super(message);
    this.name = 'ForwardError';
  }
}

/** Parse `HOST:PORT` (IPv6 as `[::1]:8847`). */
export function parseHostPort(text: string, defaultPort = 8847): { host: string; port: number } {
  const match = /^\[([^\]]+)\](?::(\d+))?$|^([^:]+)(?::(\d+))?$/.exec(text.trim());
  if (!match) throw new Error(`not a HOST:PORT address: ${text}`);
  const host = match[1] ?? match[3] ?? '';
  const port = Number(match[2] ?? match[4] ?? defaultPort);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`not a HOST:PORT address: ${text}`);
  }
  return { host, port };
}

/**
 * Send `bytes` with `attributes` (canonical names → Unicode values; encoded for the wire here)
 * and resolve with the server's answer. Content is deflated and scrambled by default.
 */
export async function forwardSample(
  target: IntakeTarget,
  bytes: Buffer,
  attributes: Record<string, string>,
  options: { base64?: boolean; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<ForwardResult> {
  const encoded = encodeSample(bytes, { base64: options.base64 ?? false });
  const headers: Record<string, string> = {
    Date: formatHttpDate(Date.now()),
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(encoded.body.length),
  };
  for (const [name, value] of Object.entries(attributes)) headers[name] = encodeHeaderValue(value);
  Object.assign(headers, encoded.headers);

  const transport = target.tls ? https : http;
  return new Promise<ForwardResult>((resolve, reject) => {
    const req = transport.request(
      {
        host: target.host,
        port: target.port,
        method: 'POST',
        path: '/samples',
        headers,
        timeout: options.timeoutMs ?? 60_000,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(target.tls
          ? { ca: target.tls.ca, rejectUnauthorized: target.tls.rejectUnauthorized ?? true }
          : {}),
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const xError = res.headers['x-error'];
          if (status === 201 || status === 200) {
            resolve({
              id: String(res.headers['x-sample-id'] ?? ''),
              duplicate: status === 200,
              status: (res.headers['x-sample-status'] as string | undefined) ?? null,
              changes: Number(res.headers['x-sample-changes'] ?? 0),
            });
            return;
          }
          const wire = typeof xError === 'string' ? parseXError(xError) : null;
          reject(
            new ForwardError(
              wire
                ? `${wire.code}${wire.params.length ? ' ' + wire.params.join(' ') : ''}`
                : `HTTP ${status}`,
              status,
              wire,
            ),
          );
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(new ForwardError('timed out waiting for the server', null, null)),
    );
    req.on('error', (error) =>
      reject(
        error instanceof ForwardError || error instanceof WireError
          ? error
          : new ForwardError(
              `cannot reach ${target.host}:${target.port}: ${error.message}`,
              null,
              null,
            ),
      ),
    );
    req.end(encoded.body);
  });
}
