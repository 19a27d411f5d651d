/**
 * One HTTP(S) request from the agent to the gateway (SPEC §4.3, Firewall tab): direct or
 * through an HTTP proxy with Basic credentials (`CONNECT` tunnel for https, absolute URI for
 * http), certificates checked against the system's or a configured CA. Every failure comes
 * back as a value that says where it happened, never as a thrown error.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';

/** An HTTP proxy between the agent and the gateway. */
export interface ProxySettings {
  readonly host: string;
  readonly port: number;
  /** '' = no credentials. */
  readonly user: string;
  readonly password: string;
}

/** Where and how a request goes. */
export interface ExchangeRoute {
  /** Absolute URL of the resource on the gateway. */
  readonly url: URL;
  /** Trusted CA certificates (PEM) instead of the system's; https only. */
  readonly ca?: string | Buffer;
  readonly proxy?: ProxySettings;
  /** Give up when the connection is silent this long. */
  readonly timeoutMs: number;
  /** Keep-alive agents for direct connections (proxied requests use their own tunnel). */
  readonly agents?: AgentPool;
  readonly signal?: AbortSignal;
}

/** What to send. */
export interface ExchangeRequest {
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  /** Larger answers are cut off and reported as failures. */
  readonly maxBodyBytes: number;
}

/**
 * Where an exchange failed before any answer from the gateway arrived. `proxy`, `connect` and
 * `tls` fail before the request could reach the gateway; after `timeout`, `response` and
 * `aborted` it may have reached it.
 */
export type FailureStage = 'proxy' | 'connect' | 'tls' | 'timeout' | 'response' | 'aborted';

/** Stages after which the gateway may have received the request. */
export const MAYBE_DELIVERED: ReadonlySet<FailureStage> = new Set([
  'timeout',
  'response',
  'aborted',
]);

// Errors raised while connecting: nothing was sent.
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

/** The gateway's answer, or why there is none. */
export type ExchangeResult =
  | {
      readonly ok: true;
      readonly status: number;
      readonly headers: http.IncomingHttpHeaders;
      readonly body: Buffer;
    }
  | {
      readonly ok: false;
      readonly stage: FailureStage;
      readonly message: string;
      /** The proxy's status when it refused or failed (407 = credentials refused). */
      readonly proxyStatus?: number;
    };

/** Keep-alive agents for direct connections, one per scheme and CA. */
export class AgentPool {
  private readonly agents = new Map<string, http.Agent>();

  /** The agent for a scheme and CA. */
  get(secure: boolean, ca: string | Buffer | undefined): http.Agent {
    const key = `${secure ? 'https' : 'http'}:${ca === undefined ? '' : String(ca)}`;
    let agent = this.agents.get(key);
    if (!agent) {
      agent = secure
        ? new https.Agent({ keepAlive: true, maxSockets: 8, ...(ca !== undefined ? { ca } : {}) })
        : new http.Agent({ keepAlive: true, maxSockets: 8 });
      this.agents.set(key, agent);
    }
    return agent;
  }

  /** Close every pooled connection. */
  destroy(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

function failure(
  error: Error & { code?: string },
  signal: AbortSignal | undefined,
): ExchangeResult & { ok: false } {
  if (signal?.aborted) return { ok: false, stage: 'aborted', message: 'the agent is stopping' };
  const code = error.code ?? '';
  if (code === 'ETIMEDOUT' || error.name === 'TimeoutError')
    return { ok: false, stage: 'timeout', message: error.message };
  if (TLS_CODES.has(code) || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS')) {
    return { ok: false, stage: 'tls', message: `TLS failed: ${error.message} (${code})` };
  }
  if (CONNECT_CODES.has(code)) return { ok: false, stage: 'connect', message: error.message };
  return { ok: false, stage: 'response', message: error.message };
}

function basicAuth(proxy: ProxySettings): Record<string, string> {
  if (proxy.user === '') return {};
  const token = Buffer.from(`${proxy.user}:${proxy.password}`, 'utf8').toString('base64');
  return { 'Proxy-Authorization': `Basic ${token}` };
}

function hostHeader(url: URL): string {
  return url.port ? `${url.hostname}:${url.port}` : url.hostname;
}

function targetPort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/** Open a `CONNECT` tunnel through the proxy to the gateway's host and port. */
function openTunnel(
  route: ExchangeRoute & { proxy: ProxySettings },
): Promise<{ ok: true; socket: net.Socket } | (ExchangeResult & { ok: false })> {
  // IPv6 literals keep their brackets (`[::1]:8848`), as CONNECT's authority form requires.
  const authority = `${route.url.hostname}:${targetPort(route.url)}`;
  return new Promise((resolve) => {
    const req = http.request({
      host: route.proxy.host,
      port: route.proxy.port,
      method: 'CONNECT',
      path: authority,
      headers: { Host: authority, ...basicAuth(route.proxy) },
      timeout: route.timeoutMs,
      ...(route.signal ? { signal: route.signal } : {}),
    });
    req.on('connect', (res: http.IncomingMessage, socket: net.Socket) => {
      if (res.statusCode === 200) {
        resolve({ ok: true, socket });
        return;
      }
      socket.destroy();
      resolve({
        ok: false,
        stage: 'proxy',
        proxyStatus: res.statusCode ?? 0,
        message:
          res.statusCode === 407
            ? `the proxy ${route.proxy.host}:${route.proxy.port} refused the credentials (407)`
            : `the proxy ${route.proxy.host}:${route.proxy.port} could not open a tunnel (${res.statusCode})`,
      });
    });
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('proxy timed out'), { code: 'ETIMEDOUT' })),
    );
    req.on('error', (error: Error & { code?: string }) => {
      const result = failure(error, route.signal);
      resolve(
        result.stage === 'aborted'
          ? result
          : {
              ...result,
              stage: 'proxy',
              message: `proxy ${route.proxy.host}:${route.proxy.port}: ${result.message}`,
            },
      );
    });
    req.end();
  });
}

/** Send one request and collect the answer (bounded). */
export async function exchange(
  route: ExchangeRoute,
  request: ExchangeRequest,
): Promise<ExchangeResult> {
  const secure = route.url.protocol === 'https:';
  const headers: Record<string, string> = { ...request.headers, Host: hostHeader(route.url) };
  if (request.body !== undefined) headers['Content-Length'] = String(request.body.length);
  const servername = net.isIP(route.url.hostname.replace(/^\[|\]$/g, ''))
    ? undefined
    : route.url.hostname;
  const tlsOptions = {
    ...(route.ca !== undefined ? { ca: route.ca } : {}),
    ...(servername ? { servername } : {}),
    rejectUnauthorized: true,
  };

  let options: https.RequestOptions;
  if (route.proxy && secure) {
    const tunnel = await openTunnel({ ...route, proxy: route.proxy });
    if (!tunnel.ok) return tunnel;
    const socket = tunnel.socket;
    options = {
      host: route.url.hostname,
      port: targetPort(route.url),
      path: route.url.pathname + route.url.search,
      createConnection: () => tls.connect({ ...tlsOptions, socket }),
    };
  } else if (route.proxy) {
    // Plain http through a proxy: the request line carries the absolute URI.
    options = {
      host: route.proxy.host,
      port: route.proxy.port,
      path: route.url.href,
      agent: false,
    };
    Object.assign(headers, basicAuth(route.proxy));
  } else {
    options = {
      host: route.url.hostname.replace(/^\[|\]$/g, ''),
      port: targetPort(route.url),
      path: route.url.pathname + route.url.search,
      ...(route.agents ? { agent: route.agents.get(secure, route.ca) } : { agent: false }),
      ...(secure ? tlsOptions : {}),
    };
  }
  const transport = secure ? https : http;
  const viaPlainProxy = route.proxy !== undefined && !secure;

  return new Promise<ExchangeResult>((resolve) => {
    let settled = false;
    const settle = (result: ExchangeResult): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const req = transport.request(
      {
        ...options,
        method: request.method,
        headers,
        timeout: route.timeoutMs,
        ...(route.signal ? { signal: route.signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > request.maxBodyBytes) {
            res.destroy();
            settle({
              ok: false,
              stage: 'response',
              message: `the answer is larger than ${request.maxBodyBytes} bytes`,
            });
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (error) => settle(failure(error, route.signal)));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (viaPlainProxy && status === 407) {
            settle({
              ok: false,
              stage: 'proxy',
              proxyStatus: 407,
              message: `the proxy ${route.proxy.host}:${route.proxy.port} refused the credentials (407)`,
            });
            return;
          }
          // A proxy that cannot reach the gateway answers for it, without the gateway's X-Error.
          if (viaPlainProxy && status >= 400 && res.headers['x-error'] === undefined) {
            settle({
              ok: false,
              stage: 'proxy',
              proxyStatus: status,
              message: `the proxy ${route.proxy.host}:${route.proxy.port} could not reach the gateway (${status})`,
            });
            return;
          }
          settle({ ok: true, status, headers: res.headers, body: Buffer.concat(chunks) });
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(
        Object.assign(new Error('the gateway did not answer in time'), { code: 'ETIMEDOUT' }),
      ),
    );
    req.on('error', (error: Error & { code?: string }) => settle(failure(error, route.signal)));
    req.end(request.body);
  });
}
