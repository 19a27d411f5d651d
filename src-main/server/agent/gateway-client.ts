/**
 * The gateway protocol of SPEC §4.3 as the agent speaks it: submit, status, newest set and
 * set download, each answer sorted into what the agent does next (use it, treat it as a
 * refusal with its X-Error, retry later, or count the gateway as unreachable).
 */
import fs from 'node:fs';
import { canonicalAttributeName } from '../../../src-shared/catalog/attributes.js';
import { parseXError, type ErrorCode } from '../../../src-shared/catalog/errors.js';
import { formatHttpDate, measureSkew } from '../../../src-shared/codec/dates.js';
import { decodeHeaderValue, encodeHeaderValue } from '../../../src-shared/codec/headers.js';
import type { Config } from '../../../src-shared/config/schema.js';
import { parseRetryAfter } from './backoff.js';
import {
  exchange,
  type AgentPool,
  type ExchangeResult,
  type FailureStage,
  type ProxySettings,
} from './http-exchange.js';

/** Largest status or announcement answer read. */
const MAX_SMALL_ANSWER = 64 * 1024;
/** Largest definitions package downloaded. */
export const MAX_PACKAGE_BYTES = 512 * 1024 * 1024;

/** How to reach the gateway, from Web Communication and Firewall settings. */
export interface GatewaySettings {
  readonly gatewayUrl: string;
  readonly secureSubmission: boolean;
  readonly secureDownload: boolean;
  /** PEM of the CA file, or undefined for the system's authorities. */
  readonly ca: string | undefined;
  readonly proxy: ProxySettings | undefined;
  readonly customerIdentifier: string;
  readonly customerCredentials: string;
  readonly timeoutMs: number;
}

/** A gateway answer, classified. `attributes` are the decoded `X-` headers. */
export type GatewayAnswer =
  | {
      readonly kind: 'ok';
      readonly status: number;
      readonly attributes: Record<string, string>;
      readonly body: Buffer;
      /** Local clock minus the gateway's `Date` header (dates in the answer are corrected by it). */
      readonly skewMs: number;
    }
  | {
      /** The gateway refused with an X-Error that retrying will not change. */
      readonly kind: 'refused';
      readonly status: number;
      readonly code: ErrorCode;
      readonly params: string[];
      readonly attributes: Record<string, string>;
    }
  | {
      /** The gateway answered but cannot serve now (429, 5xx, `internal`, `lost`). */
      readonly kind: 'busy';
      readonly status: number;
      readonly retryAfterMs: number | null;
      readonly message: string;
      readonly code: ErrorCode | null;
    }
  | {
      readonly kind: 'unreachable';
      readonly stage: FailureStage;
      readonly message: string;
      readonly proxyStatus: number | null;
    };

/** Read the CA file named in the configuration ('' = none). Throws when it cannot be read. */
export function readCaFile(file: string): string | undefined {
  return file === '' ? undefined : fs.readFileSync(file, 'utf8');
}

/** Gateway settings from the server configuration. */
export function gatewaySettingsFrom(
  config: Config,
  ca: string | undefined,
  timeoutMs: number,
): GatewaySettings {
  const web = config.webCommunication;
  const fw = config.firewall;
  return {
    gatewayUrl: web.gatewayUrl,
    secureSubmission: web.secureSubmission,
    secureDownload: web.secureDownload,
    ca,
    proxy:
      fw.proxyHost === ''
        ? undefined
        : {
            host: fw.proxyHost,
            port: fw.proxyPort,
            user: fw.proxyUser,
            password: fw.proxyPassword,
          },
    customerIdentifier: web.customerIdentifier,
    customerCredentials: web.customerCredentials,
    timeoutMs,
  };
}

/** The decoded `X-` headers of an answer. */
export function answerAttributes(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('x-') || value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    out[canonicalAttributeName(name)] = decodeHeaderValue(text.trim());
  }
  return out;
}

const TRANSIENT_CODES: ReadonlySet<ErrorCode> = new Set(['internal', 'lost']);

/** Sort an exchange result into a GatewayAnswer. */
export function classifyAnswer(result: ExchangeResult, now: number): GatewayAnswer {
  if (!result.ok) {
    return {
      kind: 'unreachable',
      stage: result.stage,
      message: result.message,
      proxyStatus: result.proxyStatus ?? null,
    };
  }
  const attributes = answerAttributes(result.headers);
  const xError = attributes['X-Error'];
  const wire = xError === undefined ? null : parseXError(xError);
  const retryAfterMs = parseRetryAfter(
    typeof result.headers['retry-after'] === 'string' ? result.headers['retry-after'] : undefined,
    now,
  );
  if (result.status === 429 || result.status >= 500 || (wire && TRANSIENT_CODES.has(wire.code))) {
    return {
      kind: 'busy',
      status: result.status,
      retryAfterMs,
      code: wire?.code ?? null,
      message: wire
        ? `the gateway answered ${result.status} ${xError}`
        : `the gateway answered ${result.status}`,
    };
  }
  if (result.status >= 400 || wire) {
    return {
      kind: 'refused',
      status: result.status,
      code: wire?.code ?? 'internal',
      params: wire?.params ?? [String(result.status)],
      attributes,
    };
  }
  const date = result.headers.date;
  return {
    kind: 'ok',
    status: result.status,
    attributes,
    body: result.body,
    skewMs: measureSkew(typeof date === 'string' ? date : undefined, now),
  };
}

/** Calls to one gateway with the current settings. */
export class GatewayClient {
  constructor(
    private readonly settings: GatewaySettings,
    private readonly agents: AgentPool,
    private readonly signal: AbortSignal,
    private readonly now: () => number = Date.now,
  ) {}

  /** `POST /v1/samples` with a transformed body and its attributes (encoded here). */
  submit(attributes: Readonly<Record<string, string>>, body: Buffer): Promise<GatewayAnswer> {
    const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream' };
    for (const [name, value] of Object.entries(attributes))
      headers[name] = encodeHeaderValue(value);
    return this.call(this.settings.secureSubmission, 'v1/samples', {
      method: 'POST',
      headers,
      body,
      maxBodyBytes: MAX_SMALL_ANSWER,
    });
  }

  /** `GET /v1/samples/{cookie}`. */
  status(cookie: string): Promise<GatewayAnswer> {
    return this.call(this.settings.secureSubmission, `v1/samples/${encodeURIComponent(cookie)}`, {
      method: 'GET',
      headers: {},
      maxBodyBytes: MAX_SMALL_ANSWER,
    });
  }

  /** `GET /v1/signatures/newest?certified=1|0`. */
  newest(certified: boolean): Promise<GatewayAnswer> {
    return this.call(
      this.settings.secureDownload,
      `v1/signatures/newest?certified=${certified ? 1 : 0}`,
      {
        method: 'GET',
        headers: {},
        maxBodyBytes: MAX_SMALL_ANSWER,
      },
    );
  }

  /**
   * `GET /v1/signatures/{sequence}`: the package bytes. The whole set is asked for
   * (`kind=all`): an increment installs only on top of its base set, which this server may
   * not have active.
   */
  signatures(sequence: number): Promise<GatewayAnswer> {
    return this.call(this.settings.secureDownload, `v1/signatures/${sequence}?kind=all`, {
      method: 'GET',
      headers: {},
      maxBodyBytes: MAX_PACKAGE_BYTES,
    });
  }

  /** The URL a request goes to (`secure` upgrades an http gateway URL to https). */
  urlFor(secure: boolean, path: string): URL {
    const base = new URL(this.settings.gatewayUrl);
    if (secure) base.protocol = 'https:';
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    return new URL(path, base);
  }

  private async call(
    secure: boolean,
    path: string,
    request: {
      method: 'GET' | 'POST';
      headers: Record<string, string>;
      body?: Buffer;
      maxBodyBytes: number;
    },
  ): Promise<GatewayAnswer> {
    const url = this.urlFor(secure, path);
    const result = await exchange(
      {
        url,
        ...(url.protocol === 'https:' && this.settings.ca !== undefined
          ? { ca: this.settings.ca }
          : {}),
        ...(this.settings.proxy ? { proxy: this.settings.proxy } : {}),
        timeoutMs: this.settings.timeoutMs,
        agents: this.agents,
        signal: this.signal,
      },
      {
        ...request,
        headers: {
          Date: formatHttpDate(this.now()),
          'X-Customer-Identifier': this.settings.customerIdentifier,
          'X-Customer-Credentials': this.settings.customerCredentials,
          ...request.headers,
        },
      },
    );
    return classifyAnswer(result, this.now());
  }
}
