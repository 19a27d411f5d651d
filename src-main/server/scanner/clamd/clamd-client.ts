/**
 * Talking to a ClamAV daemon over its socket (clamd's own protocol, `z`-prefixed commands with
 * NUL-terminated replies): PING, RELOAD and INSTREAM. Every call opens its own connection, as
 * clamd answers one command per connection unless sessions are used.
 */
import net from 'node:net';

/** Where a clamd listens: a Unix socket path, or TCP host and port. */
export type ClamdAddress =
  { readonly path: string } | { readonly host: string; readonly port: number };

/** Parse `host:port`, `[v6]:port` or a socket path into an address. */
export function parseClamdAddress(text: string): ClamdAddress {
  const tcp = /^(?:\[([^\]]+)\]|([^:/\\]+)):(\d{1,5})$/.exec(text);
  if (tcp) {
    const port = Number(tcp[3]);
    if (port > 0 && port < 65536) return { host: tcp[1] ?? tcp[2]!, port };
  }
  return { path: text };
}

/** A printable form of an address, for logs. */
export function formatClamdAddress(address: ClamdAddress): string {
  return 'path' in address ? address.path : `${address.host}:${address.port}`;
}

/** Why talking to clamd failed: it could not be reached, or it answered something unusable. */
export class ClamdError extends Error {
  constructor(
    message: string,
    /** True when the daemon was not reachable at all (nothing was scanned). */
    readonly unreachable: boolean,
  ) {
    super(message);
    this.name = 'ClamdError';
  }
}

/** What clamd said about one stream. */
export type ClamdScanReply =
  | { readonly kind: 'clean' }
  | { readonly kind: 'found'; readonly name: string }
  | { readonly kind: 'limit'; readonly message: string }
  | { readonly kind: 'error'; readonly message: string };

// clamd appends this to names from databases that are not signed official ones.
const UNOFFICIAL = '.UNOFFICIAL';
// With AlertExceedsMax clamd reports limits it hit as detections of these names.
const LIMIT_PREFIX = 'Heuristics.Limits.Exceeded';

/** Classify clamd's reply to an INSTREAM (`stream: OK`, `stream: NAME FOUND`, `… ERROR`). */
export function parseScanReply(reply: string): ClamdScanReply {
  const text = reply.replace(/\0+$/, '').trim();
  if (/size limit exceeded/i.test(text)) return { kind: 'limit', message: text };
  const found = /^stream: (.+) FOUND$/.exec(text);
  if (found) {
    let name = found[1]!;
    if (name.endsWith(UNOFFICIAL)) name = name.slice(0, -UNOFFICIAL.length);
    if (name.startsWith(LIMIT_PREFIX)) return { kind: 'limit', message: name };
    return { kind: 'found', name };
  }
  if (/^stream: OK$/.test(text)) return { kind: 'clean' };
  return { kind: 'error', message: text || 'empty reply' };
}

/** Limits of one exchange. */
export interface ClamdCallOptions {
  /** Give up when the connection is silent this long. */
  readonly idleTimeoutMs?: number;
}

const UNREACHABLE_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTSOCK', 'EHOSTUNREACH']);

function connect(address: ClamdAddress): net.Socket {
  return 'path' in address
    ? net.connect({ path: address.path })
    : net.connect({ host: address.host, port: address.port });
}

/** Content could not be read (a damaged blob): the scan stops, and it is not clamd's fault. */
class SourceError extends Error {
  constructor(readonly original: unknown) {
    super('reading the content failed');
  }
}

/**
 * One exchange: send what `send` writes, collect the reply until clamd closes the connection or
 * a NUL ends it. Data that arrived before a reset still counts (clamd resets the connection
 * right after refusing an oversized stream, often while we are still writing).
 */
function exchange(
  address: ClamdAddress,
  send: (socket: net.Socket, answered: Promise<void>) => Promise<void>,
  options: ClamdCallOptions,
): Promise<string> {
  let onAnswer: () => void = () => undefined;
  const answered = new Promise<void>((resolve) => (onAnswer = resolve));
  return new Promise((resolve, reject) => {
    const socket = connect(address);
    const chunks: Buffer[] = [];
    let connected = false;
    let done = false;
    let failure: NodeJS.ErrnoException | undefined;
    const finish = (error?: Error): void => {
      if (done) return;
      done = true;
      onAnswer();
      socket.destroy();
      const reply = Buffer.concat(chunks).toString('utf8');
      if (error instanceof SourceError)
        reject(
          error.original instanceof Error ? error.original : new Error(String(error.original)),
        );
      else if (reply.includes('\0') || (reply.length > 0 && !error)) resolve(reply.split('\0')[0]!);
      else if (error) reject(error);
      else reject(new ClamdError('clamd closed the connection without an answer', false));
    };
    socket.setTimeout(options.idleTimeoutMs ?? 120_000, () =>
      finish(new ClamdError('clamd did not answer in time', !connected)),
    );
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (chunk.includes(0)) finish();
    });
    // Errors are only recorded: 'close' follows, after any answer that was already received.
    socket.on('error', (error: NodeJS.ErrnoException) => (failure ??= error));
    socket.on('close', () => {
      if (!failure) {
        finish();
        return;
      }
      const unreachable = !connected && UNREACHABLE_CODES.has(failure.code ?? '');
      finish(
        new ClamdError(
          `${unreachable ? 'cannot connect to clamd' : 'clamd connection failed'} at ${formatClamdAddress(address)}: ${failure.code ?? failure.message}`,
          !connected,
        ),
      );
    });
    socket.once('connect', () => {
      connected = true;
      send(socket, answered).catch((error: unknown) => {
        // Socket trouble surfaces through 'error'/'close'; only a failing source stops us here.
        if (error instanceof SourceError) finish(error);
      });
    });
  });
}

function write(socket: net.Socket, data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) {
      reject(new ClamdError('clamd closed the connection', false));
      return;
    }
    const flushed = socket.write(data, (error) => (error ? reject(error) : undefined));
    if (flushed) resolve();
    else {
      const onDrain = (): void => {
        socket.off('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        socket.off('drain', onDrain);
        reject(new ClamdError('clamd closed the connection', false));
      };
      socket.once('drain', onDrain);
      socket.once('close', onClose);
    }
  });
}

/** Send a simple command (`PING`, `RELOAD`, `VERSION`) and return the reply text. */
export function clamdCommand(
  address: ClamdAddress,
  command: string,
  options: ClamdCallOptions = {},
): Promise<string> {
  return exchange(address, (socket) => write(socket, Buffer.from(`z${command}\0`)), options);
}

/** True when clamd answers PING with PONG. */
export async function clamdPing(address: ClamdAddress, idleTimeoutMs = 5_000): Promise<boolean> {
  try {
    return (await clamdCommand(address, 'PING', { idleTimeoutMs })) === 'PONG';
  } catch {
    return false;
  }
}

/**
 * Stream content to clamd with INSTREAM in chunks of at most `chunkSize` bytes (each prefixed
 * with its length as a 32-bit big-endian number, a zero length ends the stream).
 */
export async function clamdInstream(
  address: ClamdAddress,
  content: AsyncIterable<Uint8Array>,
  chunkSize: number,
  options: ClamdCallOptions & {
    /** clamd's StreamMaxLength: past it only a chunk header is sent, which clamd refuses. */
    readonly limit?: number;
  } = {},
): Promise<ClamdScanReply> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let sent = 0;
  const reply = await exchange(
    address,
    async (socket, answered) => {
      await write(socket, Buffer.from('zINSTREAM\0'));
      const pieces = content[Symbol.asyncIterator]();
      let finished = false;
      try {
        for (;;) {
          let step: IteratorResult<Uint8Array>;
          try {
            step = await pieces.next();
          } catch (error) {
            finished = true;
            throw new SourceError(error);
          }
          if (step.done) {
            finished = true;
            break;
          }
          for (let offset = 0; offset < step.value.length; offset += chunkSize) {
            const part = step.value.subarray(offset, offset + chunkSize);
            const length = Buffer.allocUnsafe(4);
            length.writeUInt32BE(part.length, 0);
            await write(socket, length);
            if (sent + part.length > limit) {
              // Writing data clamd will not read ends in EPIPE and can lose its answer.
              await answered;
              return;
            }
            await write(socket, part);
            sent += part.length;
          }
        }
      } finally {
        // Stopped early (clamd hung up): let the source release its file.
        if (!finished) await pieces.return?.().catch(() => undefined);
      }
      await write(socket, Buffer.alloc(4));
    },
    options,
  );
  return parseScanReply(reply);
}
