/**
 * A small programmable gateway for agent tests (SPEC §4.3): real HTTP(S) on a loopback port,
 * real content decoding and checks of submissions, and answers the test scripts per route.
 * Defaults behave like a well-mannered gateway: submissions accepted with one cookie per
 * content (duplicates answered from the known analysis), status from `analyses`.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';
import { decodeSample } from '../../src-main/codec/content.js';
import { formatXError, WireError } from '../../src-shared/catalog/errors.js';
import { formatHttpDate } from '../../src-shared/codec/dates.js';
import { decodeHeaderValue } from '../../src-shared/codec/headers.js';
import { contentPlanFromHeaders } from '../../src-shared/codec/transforms.js';

/** One request the fake gateway received. */
export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** Header names lower-cased, values decoded (RFC 2047). */
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly at: number;
}

/** A submission as the fake decoded it. */
export interface FakeSubmission {
  readonly request: FakeRequest;
  readonly bytes: Buffer;
  readonly md5: string;
}

/** An answer; `hang` never answers, `destroy` cuts the connection. */
export type FakeReply =
  { status: number; headers?: Record<string, string>; body?: Buffer | string } | 'hang' | 'destroy';

/** An `X-Error` refusal. */
export function refusal(
  status: number,
  code: WireError['code'],
  params: (string | number)[] = [],
  headers: Record<string, string> = {},
): FakeReply {
  return { status, headers: { 'X-Error': formatXError(code, params), ...headers } };
}

/** The fake gateway. */
export class FakeGateway {
  readonly requests: FakeRequest[] = [];
  readonly submissions: FakeSubmission[] = [];
  /** Cookie → status attributes answered by `GET /v1/samples/{cookie}`. */
  readonly analyses = new Map<string, Record<string, string>>();
  /** Content MD5 → cookie: duplicates get the known cookie. */
  readonly cookies = new Map<string, string>();
  /** Override the answer to a submission (default: accept). */
  onSubmit: ((s: FakeSubmission) => FakeReply | undefined) | undefined;
  /** Override the answer to a status query (default: `analyses`, else crumbled). */
  onStatus: ((cookie: string, r: FakeRequest) => FakeReply | undefined) | undefined;
  /** Answer to `GET /v1/signatures/newest` (default: unavailable). */
  onNewest: ((certified: boolean, r: FakeRequest) => FakeReply) | undefined;
  /** Answer to `GET /v1/signatures/{n}` (default: unavailable). */
  onSignatures: ((sequence: number, r: FakeRequest) => FakeReply) | undefined;
  /** Customer accepted (default: any). */
  customer: { identifier: string; credentials: string } | undefined;
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly hanging = new Set<http.ServerResponse>();

  constructor(tls?: { key: string; cert: string }) {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void this.handle(req, Buffer.concat(chunks)).then((reply) => this.send(res, reply));
      });
    };
    this.server = tls ? https.createServer(tls, handler) : http.createServer(handler);
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Listen on loopback (port 0 = any). */
  async listen(port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  /** The port it listens on. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Stop listening and cut every connection. */
  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    for (const socket of this.sockets) socket.destroy();
    if (this.server.listening)
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Requests for a path prefix. */
  requestsTo(prefix: string): FakeRequest[] {
    return this.requests.filter((r) => r.path.startsWith(prefix));
  }

  /** Set what a status query for `cookie` answers (merged into the current answer). */
  setAnalysis(cookie: string, attributes: Record<string, string>): void {
    this.analyses.set(cookie, { ...(this.analyses.get(cookie) ?? {}), ...attributes });
  }

  /** The cookie given to the submission of content with this MD5. */
  cookieFor(md5: string): string | undefined {
    return this.cookies.get(md5.toUpperCase());
  }

  private async handle(req: http.IncomingMessage, body: Buffer): Promise<FakeReply> {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers[name] = decodeHeaderValue(value);
    }
    const request: FakeRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      headers,
      body,
      at: Date.now(),
    };
    this.requests.push(request);
    if (
      this.customer &&
      (headers['x-customer-identifier'] !== this.customer.identifier ||
        headers['x-customer-credentials'] !== this.customer.credentials)
    ) {
      return refusal(403, 'declined');
    }
    if (req.method === 'POST' && url.pathname === '/v1/samples') return this.submit(request);
    const status = /^\/v1\/samples\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && status) {
      const cookie = decodeURIComponent(status[1]!);
      const custom = this.onStatus?.(cookie, request);
      if (custom) return custom;
      const analysis = this.analyses.get(cookie);
      return analysis ? { status: 200, headers: analysis } : refusal(404, 'crumbled');
    }
    if (req.method === 'GET' && url.pathname === '/v1/signatures/newest') {
      return (
        this.onNewest?.(url.searchParams.get('certified') === '1', request) ??
        refusal(404, 'unavailable')
      );
    }
    const signatures = /^\/v1\/signatures\/(\d+)$/.exec(url.pathname);
    if (req.method === 'GET' && signatures) {
      return (
        this.onSignatures?.(Number(signatures[1]), request) ??
        refusal(404, 'unavailable', [signatures[1]!])
      );
    }
    return { status: 404, body: 'not found' };
  }

  private async submit(request: FakeRequest): Promise<FakeReply> {
    const h = (name: string): string | undefined => request.headers[name.toLowerCase()];
    const chunks: Buffer[] = [];
    let md5: string;
    try {
      const plan = contentPlanFromHeaders(h);
      const decoded = await decodeSample(
        Readable.from([request.body]),
        {
          compression: plan.compression,
          scrambling: plan.scrambling,
          encoding: plan.encoding,
          ...(h('X-Content-Checksum') ? { contentChecksum: h('X-Content-Checksum')! } : {}),
          sampleChecksum: h('X-Sample-Checksum') ?? '',
          sampleSize: Number(h('X-Sample-Size') ?? '-1'),
          maxSampleSize: 1 << 30,
          contentLength: request.body.length,
        },
        { onDecoded: (c) => void chunks.push(Buffer.from(c)) },
      );
      md5 = decoded.md5;
    } catch (error) {
      if (error instanceof WireError)
        return refusal(error.httpStatus, error.code, [...error.params]);
      throw error;
    }
    const submission: FakeSubmission = { request, bytes: Buffer.concat(chunks), md5 };
    this.submissions.push(submission);
    const custom = this.onSubmit?.(submission);
    if (custom) return custom;
    let cookie = this.cookies.get(md5);
    if (cookie === undefined) {
      cookie = randomBytes(8).toString('hex').toUpperCase();
      this.cookies.set(md5, cookie);
      this.setAnalysis(cookie, {
        'X-Analysis-Cookie': cookie,
        'X-Analysis-Issue': String(this.cookies.size).padStart(6, '0'),
        'X-Analysis-State': 'accepted',
        'X-Date-Submitted': formatHttpDate(Date.now()),
      });
    }
    return { status: 202, headers: this.analyses.get(cookie)! };
  }

  private send(res: http.ServerResponse, reply: FakeReply): void {
    if (reply === 'hang') {
      this.hanging.add(res);
      return;
    }
    if (reply === 'destroy') {
      res.destroy();
      return;
    }
    res.writeHead(reply.status, { Date: formatHttpDate(Date.now()), ...reply.headers });
    res.end(reply.body);
  }
}
