/**
 * A lean HTTP/1.1 load generator for the intake bench: one keep-alive socket per forward in
 * flight, each request written as prepared bytes, each answer read by a small parser of its own.
 * The bench and the server share this machine's two cores, so every microsecond the load
 * generator spends is taken from the server: `http.request` cost about 0.09 ms of CPU per 4 KiB
 * forward (a tenth of what the server itself spends), this costs a fraction of that.
 *
 * It speaks only what the intake answers: a status line, headers and a `Content-Length` body,
 * no chunked answers, no 1xx. Anything else is an error that fails the run, never a guess.
 */
import net from 'node:net';
import { formatHttpDate } from '../../../src-shared/codec/dates.js';

/** One forward's bytes: the request head without its `Date` line, and the body. */
export interface RawForward {
  /** `POST /samples HTTP/1.1` and every header line but `Date`, each ended by CRLF. */
  readonly head: Buffer;
  readonly body: Buffer;
}

/** A parsed answer: its status code and the headers the bench reads (names in lower case). */
export interface RawAnswer {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
}

const CRLF2 = Buffer.from('\r\n\r\n');
/** A forward with no answer by then fails (a stuck server must not hang the bench). */
export const FORWARD_TIMEOUT_MS = 120_000;
/** No intake answer has a head anywhere near this long. */
const MAX_HEAD = 16 * 1024;

/** Build the fixed part of a forward's request head (`headers` should include `Host`). */
export function rawHead(headers: Record<string, string>): Buffer {
  let head = 'POST /samples HTTP/1.1\r\n';
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name + value)) throw new Error(`header ${name} holds a line break`);
    head += `${name}: ${value}\r\n`;
  }
  return Buffer.from(head, 'latin1');
}

/** The `Date` line, formatted once a second rather than once a forward. */
class DateLine {
  private second = -1;
  private line: Buffer = Buffer.alloc(0);

  current(): Buffer {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (second !== this.second) {
      this.second = second;
      this.line = Buffer.from(`Date: ${formatHttpDate(now)}\r\n\r\n`, 'latin1');
    }
    return this.line;
  }
}

/** Parse a complete answer head (status line and headers, without the blank line). */
function parseHead(text: string): { status: number; headers: Map<string, string> } {
  const lines = text.split('\r\n');
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(lines[0] ?? '');
  if (!match) throw new Error(`not an HTTP/1.1 status line: ${JSON.stringify(lines[0])}`);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`malformed header line: ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    // Two lengths would leave it open where the answer ends.
    if (name === 'content-length' && headers.has(name)) throw new Error('two Content-Lengths');
    headers.set(name, line.slice(colon + 1).trim());
  }
  return { status: Number(match[1]), headers };
}

/** One keep-alive connection carrying one forward at a time. */
class RawConnection {
  private socket: net.Socket | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  private pending:
    { resolve: (answer: RawAnswer) => void; reject: (error: Error) => void } | undefined;
  private answer: { status: number; headers: Map<string, string>; length: number } | undefined;
  private closeAfter = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  /** Send one forward and resolve with its answer. */
  send(forward: RawForward, dateLine: Buffer, timeoutMs: number): Promise<RawAnswer> {
    if (this.pending) return Promise.reject(new Error('a forward is already in flight'));
    const socket = this.connected();
    return new Promise<RawAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new Error(`no answer within ${timeoutMs} ms`));
        this.close();
      }, timeoutMs);
      this.pending = {
        resolve: (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      socket.cork();
      socket.write(forward.head);
      socket.write(dateLine);
      socket.write(forward.body);
      socket.uncork();
    });
  }

  /** Drop the connection; a forward still waiting on it fails. */
  close(): void {
    this.fail(new Error('the connection was closed before the answer'));
    this.socket?.destroy();
    this.socket = undefined;
  }

  private connected(): net.Socket {
    if (this.socket && !this.closeAfter) return this.socket;
    this.close();
    this.closeAfter = false;
    this.buffered = Buffer.alloc(0);
    this.answer = undefined;
    const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
    // Events of a socket already replaced must not touch the forward on its successor.
    socket.on('data', (chunk: Buffer) => {
      if (this.socket === socket) this.onData(chunk);
    });
    socket.on('error', (error) => {
      if (this.socket === socket) this.fail(error);
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.fail(new Error('the server closed the connection before answering'));
    });
    this.socket = socket;
    return socket;
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    try {
      if (!this.answer) {
        const end = this.buffered.indexOf(CRLF2);
        if (end < 0) {
          if (this.buffered.length > MAX_HEAD) throw new Error('answer head too long');
          return;
        }
        const { status, headers } = parseHead(this.buffered.toString('latin1', 0, end));
        if (headers.has('transfer-encoding')) throw new Error('chunked answers are not expected');
        const declared = headers.get('content-length') ?? '';
        const length = /^\d{1,15}$/.test(declared) ? Number(declared) : Number.NaN;
        if (Number.isNaN(length)) {
          throw new Error(`answer ${status} without a usable Content-Length`);
        }
        this.closeAfter = (headers.get('connection') ?? '')
          .split(',')
          .some((token) => token.trim().toLowerCase() === 'close');
        this.answer = { status, headers, length };
        this.buffered = this.buffered.subarray(end + CRLF2.length);
      }
      if (this.buffered.length < this.answer.length) return;
      if (this.buffered.length > this.answer.length) throw new Error('bytes after the answer');
      const { status, headers } = this.answer;
      const body = this.buffered;
      this.answer = undefined;
      this.buffered = Buffer.alloc(0);
      const pending = this.pending;
      this.pending = undefined;
      pending?.resolve({ status, headers, body });
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
      this.close();
    }
  }

  private fail(error: Error): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(error);
  }
}

/** Connections to one intake, one per forward in flight. */
export class RawForwarder {
  private readonly idle: RawConnection[] = [];
  private readonly all: RawConnection[] = [];
  private readonly date = new DateLine();

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs = FORWARD_TIMEOUT_MS,
  ) {}

  /** Send one forward on a free connection (a new one when none is free). */
  async send(forward: RawForward): Promise<RawAnswer> {
    let connection = this.idle.pop();
    if (!connection) {
      connection = new RawConnection(this.host, this.port);
      this.all.push(connection);
    }
    try {
      return await connection.send(forward, this.date.current(), this.timeoutMs);
    } catch (error) {
      connection.close();
      throw error;
    } finally {
      this.idle.push(connection);
    }
  }

  /** Close every connection; forwards still waiting fail. */
  close(): void {
    for (const connection of this.all) connection.close();
  }
}
