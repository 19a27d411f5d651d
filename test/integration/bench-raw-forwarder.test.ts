/**
 * The intake bench's lean load generator (`test/bench/support/raw-forwarder.ts`) against real
 * HTTP servers on loopback: what it sends is valid HTTP/1.1, it reads answers correctly, and
 * anything it does not understand fails the forward instead of being guessed at.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { rawHead, RawForwarder } from '../bench/support/raw-forwarder.js';

interface Seen {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly socket: number;
}

const servers: http.Server[] = [];
const rawServers: net.Server[] = [];
const forwarders: RawForwarder[] = [];

afterEach(async () => {
  for (const f of forwarders.splice(0)) f.close();
  for (const server of rawServers.splice(0)) server.close();
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

/** A server that records each request and answers with `reply`. */
async function serve(
  reply: (res: http.ServerResponse, n: number) => void,
): Promise<{ seen: Seen[]; forwarder: RawForwarder }> {
  const seen: Seen[] = [];
  const sockets = new Map<unknown, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!sockets.has(req.socket)) sockets.set(req.socket, sockets.size);
      seen.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks),
        socket: sockets.get(req.socket)!,
      });
      reply(res, seen.length);
    });
  });
  servers.push(server);
  const { forwarder } = await listenWithForwarder(server);
  return { seen, forwarder };
}

/** Listen on a loopback port and make a forwarder to it (closed after the test). */
async function listenWithForwarder(
  server: net.Server,
): Promise<{ forwarder: RawForwarder; port: number }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const forwarder = new RawForwarder('127.0.0.1', port);
  forwarders.push(forwarder);
  return { forwarder, port };
}

/**
 * A bare TCP server that reads each request head and body (by its Content-Length) and then
 * lets `answer` write whatever bytes it likes.
 */
async function rawServe(
  answer: (socket: net.Socket) => void | Promise<void>,
): Promise<{ forwarder: RawForwarder; port: number }> {
  const server = net.createServer((socket) => {
    let seen = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const end = seen.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(seen.toString('latin1', 0, end))?.[1]);
      if (seen.length < end + 4 + length) return;
      seen = Buffer.alloc(0);
      void answer(socket);
    });
  });
  rawServers.push(server);
  return listenWithForwarder(server);
}

const body = Buffer.from('scrambled bytes');
const forward = {
  head: rawHead({ Host: '127.0.0.1', 'Content-Length': String(body.length), 'X-Sample-Size': '9' }),
  body,
};

describe('bench raw forwarder', () => {
  it('sends a valid POST with a Date and reuses its keep-alive connection', async () => {
    const { seen, forwarder } = await serve((res, n) =>
      res.writeHead(201, { 'Content-Length': '4', 'X-Sample-Id': String(n) }).end('ok\r\n'),
    );
    const first = await forwarder.send(forward);
    const second = await forwarder.send(forward);
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.headers.get('x-sample-id')).toBe('2');
    expect(second.body.toString()).toBe('ok\r\n');
    expect(seen.map((s) => [s.method, s.url, s.body.toString(), s.socket])).toEqual([
      ['POST', '/samples', 'scrambled bytes', 0],
      ['POST', '/samples', 'scrambled bytes', 0],
    ]);
    expect(Number.isNaN(Date.parse(String(seen[0]!.headers.date)))).toBe(false);
    expect(seen[0]!.headers['x-sample-size']).toBe('9');
  });

  it('opens a new connection after an answer that closes its own', async () => {
    const { seen, forwarder } = await serve((res) =>
      res.writeHead(400, { 'Content-Length': '0', Connection: 'close', 'X-Error': 'sample' }).end(),
    );
    const first = await forwarder.send(forward);
    const second = await forwarder.send(forward);
    expect(first.status).toBe(400);
    expect(first.headers.get('x-error')).toBe('sample');
    expect(second.status).toBe(400);
    expect(seen.map((s) => s.socket)).toEqual([0, 1]);
  });

  it('fails a forward answered in chunks, and the next forward still works', async () => {
    const { forwarder } = await serve((res, n) => {
      if (n === 1) res.writeHead(201).end('chunked');
      else res.writeHead(201, { 'Content-Length': '0' }).end();
    });
    await expect(forwarder.send(forward)).rejects.toThrow(/chunked/);
    expect((await forwarder.send(forward)).status).toBe(201);
  });

  it('fails a forward whose connection is cut before the answer', async () => {
    const { forwarder } = await serve((res) => res.socket?.destroy());
    // A cut shows as the close itself, or as a reset when the kernel had something unread.
    await expect(forwarder.send(forward)).rejects.toThrow(/closed the connection|ECONNRESET/);
  });

  it('reads an answer that arrives a few bytes at a time', async () => {
    const answer = Buffer.from(
      'HTTP/1.1 201 Created\r\nContent-Length: 11\r\nX-Sample-Id: 9\r\n\r\nquarantined',
    );
    const { forwarder } = await rawServe(async (socket) => {
      // Split inside the blank line and inside the body.
      for (let at = 0; at < answer.length; at += 5) {
        socket.write(answer.subarray(at, at + 5));
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    });
    const got = await forwarder.send(forward);
    expect([got.status, got.headers.get('x-sample-id'), got.body.toString()]).toEqual([
      201,
      '9',
      'quarantined',
    ]);
  });

  it.each([
    ['no Content-Length', 'HTTP/1.1 201 Created\r\n\r\n', /usable Content-Length/],
    ['an empty Content-Length', 'HTTP/1.1 201 Created\r\nContent-Length:\r\n\r\n', /usable/],
    ['a hex Content-Length', 'HTTP/1.1 201 Created\r\nContent-Length: 0x1\r\n\r\nx', /usable/],
    [
      'two Content-Lengths',
      'HTTP/1.1 201 Created\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy',
      /two Content-Lengths/,
    ],
    [
      'bytes after the answer',
      'HTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nxy',
      /after the answer/,
    ],
    ['not HTTP/1.1', 'HTTP/1.0 201 Created\r\nContent-Length: 0\r\n\r\n', /status line/],
  ])('fails a forward answered with %s', async (_name, answer, error) => {
    const { forwarder } = await rawServe((socket) => {
      socket.write(answer);
    });
    await expect(forwarder.send(forward)).rejects.toThrow(error);
  });

  it('fails a forward with no answer in time, and one still waiting when it is closed', async () => {
    const { port } = await rawServe(() => undefined);
    const slow = new RawForwarder('127.0.0.1', port, 50);
    forwarders.push(slow);
    await expect(slow.send(forward)).rejects.toThrow(/no answer within 50 ms/);
    const waiting = new RawForwarder('127.0.0.1', port);
    forwarders.push(waiting);
    const sent = waiting.send(forward);
    await new Promise((resolve) => setTimeout(resolve, 20));
    waiting.close();
    await expect(sent).rejects.toThrow(/closed before the answer/);
  });

  it('refuses a header value with a line break', () => {
    expect(() => rawHead({ 'X-Sample-File': 'a\r\nX-Evil: 1' })).toThrow(/line break/);
  });
});
