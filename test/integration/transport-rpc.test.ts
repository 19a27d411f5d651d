import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setLogSink, type LogRecord, type LogSink } from '../../src-main/log/logger.js';
import { createLoginGuard } from '../../src-main/server/control/auth.js';
import { hashPassword } from '../../src-main/server/control/password.js';
import type { TransportServer } from '../../src-main/transport/connection.js';
import { connectIpc, createIpcTransport } from '../../src-main/transport/ipc-transport.js';
import {
  connectControl,
  type ConnectedControlClient,
  type ControlClientOptions,
} from '../../src-main/transport/rpc-client.js';
import { createRpcServer, type RpcServer } from '../../src-main/transport/rpc-server.js';
import { createTcpTransport } from '../../src-main/transport/tcp-transport.js';
import { ApiError } from '../../src-shared/api/client-api.js';
import type { MethodName, ResponseOf, SampleSummary } from '../../src-shared/api/contract.js';

type Kind = 'ipc' | 'tcp';

const PASSWORD = 'correct horse';
let adminHash: string;
const records: LogRecord[] = [];
let previousSink: LogSink;
const dirs: string[] = [];

beforeAll(async () => {
  adminHash = await hashPassword(PASSWORD);
  previousSink = setLogSink((r) => records.push(r));
});

afterAll(() => {
  setLogSink(previousSink);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-rpc-'));
  dirs.push(dir);
  return dir;
}

const sample = (id: string): SampleSummary => ({
  id,
  fileName: 'eicar.com',
  userName: 'ann',
  computer: 'WS-1',
  domain: null,
  receivedOn: 1_700_000_000_000,
  submittedOn: null,
  submittedBy: null,
  status: 'held',
  virus: null,
  analyzed: false,
  sampleState: null,
  definitionsNeeded: null,
  errors: 0,
  checksum: '44d88612fea8a8f36de82e1278abb02f',
  size: 68,
  priority: 0,
  changes: 0,
});

const INFO: ResponseOf<'server.info'> = {
  name: 'test',
  version: '0.0.0',
  setupType: 'internet',
  activeDefinitions: null,
  counts: { total: 0, byStatus: {} },
  setupComplete: false,
  quota: { usedBytes: 0, maxBytes: 1, freeBytes: 1 },
  listeners: {},
  startedAt: 0,
};

/** Lets a test hold a handler mid-call and know when the call reached it. */
function gate(): { entered: Promise<void>; enter(): void; wait: Promise<void>; release(): void } {
  let enter!: () => void;
  let release!: () => void;
  const entered = new Promise<void>((r) => (enter = r));
  const wait = new Promise<void>((r) => (release = r));
  return { entered, enter, wait, release };
}

interface Harness {
  readonly kind: Kind;
  readonly server: RpcServer;
  readonly address: string;
  readonly hang: ReturnType<typeof gate>;
  connect(
    options?: { user?: string; password?: string } & ControlClientOptions,
  ): Promise<ConnectedControlClient>;
  raw(): Promise<RawPeer>;
}

interface HarnessOptions {
  maxFrameBytes?: number;
  idleTimeoutMs?: number;
  maxRequestsBeforeLogin?: number;
  path?: string;
}

const running: Harness[] = [];
const clients: ConnectedControlClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const h of running.splice(0)) {
    h.hang.release();
    await h.server.close();
  }
});

async function start(kind: Kind, options: HarnessOptions = {}): Promise<Harness> {
  const hang = gate();
  const transport: TransportServer =
    kind === 'ipc'
      ? createIpcTransport({
          path: options.path ?? path.join(tempDir(), 'control.sock'),
          ...(options.maxFrameBytes ? { maxFrameBytes: options.maxFrameBytes } : {}),
        })
      : createTcpTransport({
          host: '127.0.0.1',
          port: 0,
          ...(options.maxFrameBytes ? { maxFrameBytes: options.maxFrameBytes } : {}),
          ...(options.idleTimeoutMs ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
        });
  const guard = createLoginGuard({
    lookup: (name, domain) => (name === 'admin' && domain === '' ? adminHash : undefined),
    maxFailures: 3,
  });
  const server = createRpcServer({
    transports: [transport],
    requireLogin: (connection) => connection.kind === 'tcp',
    login: (params, ctx) => guard.login(params, ctx.connection.remoteAddress),
    ...(options.maxRequestsBeforeLogin
      ? { maxRequestsBeforeLogin: options.maxRequestsBeforeLogin }
      : {}),
    handlers: {
      'server.info': () => INFO,
      'samples.list': (params) => ({ total: 0, offset: params.offset, rows: [] }),
      'samples.delete': (params, ctx) => ({
        done: params.ids,
        refused: ctx.user ? [] : [{ id: '0', reason: 'no user' }],
      }),
      'config.get': () => ({ config: { blob: 'x'.repeat(10_000) } }),
      'config.set': (params) => ({ config: params.patch }),
      'audit.verify': () => undefined as never,
      'samples.get': async ({ id }) => {
        if (id === '404') throw new ApiError('not-found', `no sample ${id}`);
        if (id === '500') throw new Error('secret detail');
        if (id === '999') return { sample: { ...sample(id), status: 'NOT A TOKEN' } } as never;
        if (id === '777') {
          hang.enter();
          await hang.wait;
        }
        return { sample: sample(id), attributes: {}, history: [], errors: [] };
      },
    },
  });
  const [address] = await server.listen();
  const harness: Harness = {
    kind,
    server,
    address: address!,
    hang,
    async connect(extra = {}) {
      const client =
        kind === 'ipc'
          ? await connectControl({ socket: address!, ...extra })
          : await connectControl({ host: '127.0.0.1', port: portOf(address!), ...extra });
      clients.push(client);
      return client;
    },
    raw: () => rawConnect(kind, address!),
  };
  running.push(harness);
  return harness;
}

function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

/** A peer that speaks raw bytes, to send what a well-behaved client never would. */
interface RawPeer {
  send(data: string | Buffer): void;
  next(): Promise<Record<string, unknown>>;
  readonly closed: Promise<void>;
}

function rawConnect(kind: Kind, address: string): Promise<RawPeer> {
  return new Promise((resolve, reject) => {
    const socket =
      kind === 'ipc'
        ? net.connect({ path: address })
        : net.connect({ host: '127.0.0.1', port: portOf(address) });
    const frames: Record<string, unknown>[] = [];
    const waiters: ((frame: Record<string, unknown>) => void)[] = [];
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      buffer += text;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) !== -1) {
        const frame = JSON.parse(buffer.slice(0, newline)) as Record<string, unknown>;
        buffer = buffer.slice(newline + 1);
        const waiter = waiters.shift();
        if (waiter) waiter(frame);
        else frames.push(frame);
      }
    });
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      resolve({
        send: (data) => void socket.write(data),
        next: () => {
          const frame = frames.shift();
          return frame ? Promise.resolve(frame) : new Promise((r) => waiters.push(r));
        },
        closed,
      });
    });
  });
}

async function loggedIn(
  h: Harness,
  extra: ControlClientOptions = {},
): Promise<ConnectedControlClient> {
  return h.kind === 'tcp'
    ? h.connect({ user: 'admin', password: PASSWORD, ...extra })
    : h.connect(extra);
}

/** Send a request over a raw peer; on TCP log in first so the request itself is judged. */
async function rawReady(h: Harness): Promise<RawPeer> {
  const peer = await h.raw();
  if (h.kind === 'tcp') {
    peer.send(
      JSON.stringify({
        type: 'request',
        id: 0,
        method: 'session.login',
        params: { user: 'admin', password: PASSWORD },
      }) + '\n',
    );
    expect(await peer.next()).toMatchObject({ id: 0, ok: true });
  }
  return peer;
}

describe.each<Kind>(['ipc', 'tcp'])('control RPC over %s', (kind) => {
  it('answers valid calls, with request defaults filled in', async () => {
    const h = await start(kind);
    const client = await loggedIn(h);
    await expect(client.call('server.info', {})).resolves.toEqual(INFO);
    await expect(client.call('samples.list', {})).resolves.toEqual({
      total: 0,
      offset: 0,
      rows: [],
    });
    await expect(client.call('samples.get', { id: '12' })).resolves.toMatchObject({
      sample: { id: '12' },
    });
  });

  it.each<[string, MethodName, unknown, string]>([
    ['an unknown method', 'samples.explode' as MethodName, {}, 'unknown-method'],
    ['a malformed id', 'samples.get', { id: 'abc' }, 'invalid-request'],
    ['an unknown parameter', 'samples.get', { id: '1', deep: true }, 'invalid-request'],
    ['a wrong type', 'samples.delete', { ids: 'all' }, 'invalid-request'],
    [
      'too many ids',
      'samples.delete',
      { ids: Array.from({ length: 1001 }, () => '1') },
      'invalid-request',
    ],
    ['a typed handler error', 'samples.get', { id: '404' }, 'not-found'],
    ['a contract method without a handler', 'log.query', {}, 'unavailable'],
    ['a handler that returns nothing', 'audit.verify', {}, 'internal'],
  ])('refuses %s with a typed error', async (_why, method, params, code) => {
    const h = await start(kind);
    const client = await loggedIn(h);
    await expect(client.call(method, params as never)).rejects.toMatchObject({ code });
    // The connection survives a refused call.
    await expect(client.call('server.info', {})).resolves.toEqual(INFO);
  });

  it('carries a large message with multi-byte text intact in both directions', async () => {
    const h = await start(kind);
    const client = await loggedIn(h);
    // Over a megabyte, so it crosses many socket chunks; the emoji and accents straddle them.
    const patch = {
      note: 'Zoë ☣ 🦠 '.repeat(100_000),
      list: Array.from({ length: 1000 }, (_, i) => i),
    };
    await expect(client.call('config.set', { patch })).resolves.toEqual({ config: patch });
  });

  it('names the offending parameter in the error details', async () => {
    const h = await start(kind);
    const client = await loggedIn(h);
    const error = (await client
      .call('samples.list', { filter: { status: [7] } } as never)
      .catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.message).toContain('filter.status.0');
    expect(error.details).toEqual({
      issues: [expect.objectContaining({ path: 'filter.status.0' })],
    });
  });

  it('hides a crashing handler behind a generic internal error and keeps serving', async () => {
    const h = await start(kind);
    const client = await loggedIn(h);
    const error = (await client
      .call('samples.get', { id: '500' })
      .catch((e: unknown) => e)) as ApiError;
    expect(error).toMatchObject({ code: 'internal' });
    expect(error.message).not.toContain('secret');
    expect(
      records.some(
        (r) => r.level === 'error' && JSON.stringify(r.fields).includes('secret detail'),
      ),
    ).toBe(true);
    await expect(client.call('samples.get', { id: '1' })).resolves.toBeTruthy();
  });

  it('reports a handler result that breaks the contract as internal', async () => {
    const h = await start(kind);
    const client = await loggedIn(h);
    await expect(client.call('samples.get', { id: '999' })).rejects.toMatchObject({
      code: 'internal',
    });
  });

  it('answers a non-JSON frame with invalid-request and keeps the connection', async () => {
    const h = await start(kind);
    const peer = await rawReady(h);
    peer.send('this is not json\n');
    expect(await peer.next()).toMatchObject({
      type: 'response',
      id: null,
      ok: false,
      error: { code: 'invalid-request' },
    });
    peer.send(JSON.stringify({ type: 'request', id: 5, method: 'server.info', params: {} }) + '\n');
    expect(await peer.next()).toMatchObject({ id: 5, ok: true });
  });

  it.each([
    ['not an object', '42', null],
    ['a response frame', { type: 'response', id: 3, ok: true, value: 1 }, 3],
    ['a numeric method', { type: 'request', id: 4, method: 9, params: {} }, 4],
    [
      'an extra frame key',
      { type: 'request', id: 6, method: 'server.info', params: {}, as: 'root' },
      6,
    ],
  ])('answers a frame that is %s with invalid-request', async (_why, frame, id) => {
    const h = await start(kind);
    const peer = await rawReady(h);
    peer.send((typeof frame === 'string' ? frame : JSON.stringify(frame)) + '\n');
    expect(await peer.next()).toMatchObject({ id, ok: false, error: { code: 'invalid-request' } });
  });

  it('treats a request without params as empty params', async () => {
    const h = await start(kind);
    const peer = await rawReady(h);
    peer.send(JSON.stringify({ type: 'request', id: 'a', method: 'server.info' }) + '\n');
    expect(await peer.next()).toMatchObject({ id: 'a', ok: true, value: INFO });
  });

  it('answers an oversize frame with too-large and closes the connection', async () => {
    const h = await start(kind, { maxFrameBytes: 4096 });
    const peer = await h.raw();
    peer.send('{"pad":"' + 'x'.repeat(5000));
    expect(await peer.next()).toMatchObject({ id: null, ok: false, error: { code: 'too-large' } });
    await peer.closed;
  });

  it('refuses an answer too large for one frame with too-large', async () => {
    const h = await start(kind, { maxFrameBytes: 4096 });
    const client = await loggedIn(h);
    await expect(client.call('config.get', {})).rejects.toMatchObject({ code: 'too-large' });
    await expect(client.call('server.info', {})).resolves.toEqual(INFO);
  });

  it('delivers events to a logged-in (or local) client', async () => {
    const h = await start(kind);
    const client = await loggedIn(h);
    const got = new Promise((resolve) => client.on('definitions.installed', resolve));
    h.server.broadcast('definitions.installed', { sequence: 680, version: '2024.01.01.001' });
    await expect(got).resolves.toEqual({ sequence: 680, version: '2024.01.01.001' });
  });

  it('does not broadcast a payload that breaks the contract', async () => {
    const h = await start(kind);
    const client = await loggedIn(h);
    const seen: number[] = [];
    client.on('definitions.installed', (p) => seen.push(p.sequence));
    h.server.broadcast('definitions.installed', { sequence: -1 } as never);
    h.server.broadcast('definitions.installed', { sequence: 2, version: 'v' });
    await expect.poll(() => seen).toEqual([2]);
  });

  it('rejects pending calls with unavailable when the server closes', async () => {
    const h = await start(kind);
    const client = await loggedIn(h);
    const closed = new Promise<void>((resolve) => client.onClose(resolve));
    // Attach the expectation first: the rejection may come before close() resolves.
    const refused = expect(client.call('samples.get', { id: '777' })).rejects.toMatchObject({
      code: 'unavailable',
    });
    await h.hang.entered;
    await h.server.close();
    await refused;
    await closed;
    await expect(client.call('server.info', {})).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('rejects pending calls with unavailable when the client closes', async () => {
    const h = await start(kind);
    const client = await loggedIn(h);
    const refused = expect(client.call('samples.get', { id: '777' })).rejects.toMatchObject({
      code: 'unavailable',
    });
    await h.hang.entered;
    await client.close();
    await refused;
    expect(client.closed).toBe(true);
  });

  it('gives up on a call that gets no answer in time', async () => {
    const h = await start(kind);
    // Long enough for a scrypt login on a busy machine; the held call never answers.
    const client = await loggedIn(h, { timeoutMs: 2000 });
    await expect(client.call('samples.get', { id: '777' })).rejects.toMatchObject({
      code: 'unavailable',
    });
  });

  it('lists its connections and forgets closed ones', async () => {
    const h = await start(kind);
    const client = await loggedIn(h);
    expect(h.server.connections()).toEqual([
      expect.objectContaining({ user: kind === 'tcp' ? { user: 'admin', domain: '' } : null }),
    ]);
    await client.close();
    await expect.poll(() => h.server.connections().length).toBe(0);
  });
});

describe('control RPC over tcp: sessions', () => {
  it('refuses every method but session.login before login', async () => {
    const h = await start('tcp');
    const client = await h.connect();
    await expect(client.call('server.info', {})).rejects.toMatchObject({ code: 'unauthenticated' });
    await expect(client.call('samples.delete', { ids: ['1'] })).rejects.toMatchObject({
      code: 'unauthenticated',
    });
  });

  it('serves calls after login, with the user in the call context', async () => {
    const h = await start('tcp');
    const client = await h.connect();
    await expect(
      client.call('session.login', { user: 'admin', password: PASSWORD }),
    ).resolves.toEqual({
      user: 'admin',
      domain: '',
    });
    expect(client.session).toEqual({ user: 'admin', domain: '' });
    await expect(client.call('samples.delete', { ids: ['3'] })).resolves.toEqual({
      done: ['3'],
      refused: [],
    });
  });

  it.each([
    ['a wrong password', { user: 'admin', password: 'wrong' }],
    ['an unknown user', { user: 'root', password: PASSWORD }],
  ])('refuses %s with login-failed', async (_why, credentials) => {
    const h = await start('tcp');
    await expect(h.connect(credentials)).rejects.toMatchObject({
      code: 'login-failed',
      message: 'unknown user or wrong password',
    });
  });

  it('rate-limits logins after the failure budget, even with the right password', async () => {
    const h = await start('tcp');
    const client = await h.connect();
    for (let i = 0; i < 3; i++) {
      await expect(
        client.call('session.login', { user: 'admin', password: 'guess' }),
      ).rejects.toMatchObject({
        code: 'login-failed',
      });
    }
    await expect(
      client.call('session.login', { user: 'admin', password: PASSWORD }),
    ).rejects.toMatchObject({
      code: 'rate-limited',
    });
    await expect(h.connect({ user: 'admin', password: PASSWORD })).rejects.toMatchObject({
      code: 'rate-limited',
    });
  });

  it('sends no events before login', async () => {
    const h = await start('tcp');
    const client = await h.connect();
    const seen: number[] = [];
    client.on('definitions.installed', (p) => seen.push(p.sequence));
    // An answered call proves the server already holds this connection's session.
    await expect(client.call('server.info', {})).rejects.toMatchObject({ code: 'unauthenticated' });
    h.server.broadcast('definitions.installed', { sequence: 1, version: 'v1' });
    await client.call('session.login', { user: 'admin', password: PASSWORD });
    const second = new Promise((resolve) => client.on('definitions.installed', resolve));
    h.server.broadcast('definitions.installed', { sequence: 2, version: 'v2' });
    await second;
    // Frames arrive in order: had the first been sent, it would have come before the second.
    expect(seen).toEqual([2]);
  });

  it('closes a connection that keeps calling without logging in', async () => {
    const h = await start('tcp', { maxRequestsBeforeLogin: 3 });
    const client = await h.connect();
    const closed = new Promise<void>((resolve) => client.onClose(resolve));
    for (let i = 0; i < 4; i++) {
      await expect(client.call('server.info', {})).rejects.toMatchObject({
        code: 'unauthenticated',
      });
    }
    await closed;
  });

  it('closes a silent connection before login', async () => {
    const h = await start('tcp', { idleTimeoutMs: 100 });
    const peer = await h.raw();
    await peer.closed;
  });
});

describe('control RPC over ipc: the local socket', () => {
  const unix = process.platform !== 'win32';

  it.runIf(unix)('is reachable only by its owner and removed on close', async () => {
    const h = await start('ipc');
    expect(statSync(h.address).mode & 0o777).toBe(0o600);
    await h.server.close();
    expect(existsSync(h.address)).toBe(false);
  });

  it('needs no login', async () => {
    const h = await start('ipc');
    const client = await h.connect();
    expect(client.session).toBeNull();
    await expect(client.call('samples.delete', { ids: ['1'] })).resolves.toEqual({
      done: ['1'],
      refused: [{ id: '0', reason: 'no user' }],
    });
  });

  it.runIf(unix)('refuses to take over the socket of a running server', async () => {
    const h = await start('ipc');
    await expect(start('ipc', { path: h.address })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    const client = await h.connect();
    await expect(client.call('server.info', {})).resolves.toEqual(INFO);
  });

  it.runIf(unix)('refuses a path that is a regular file', async () => {
    const file = path.join(tempDir(), 'not-a-socket');
    writeFileSync(file, 'keep me');
    await expect(start('ipc', { path: file })).rejects.toThrow('not a socket');
    expect(existsSync(file)).toBe(true);
  });

  it.runIf(unix)('replaces a stale socket left by a killed server', async () => {
    const socketPath = path.join(tempDir(), 'control.sock');
    const child = spawn(
      process.execPath,
      [
        '-e',
        "require('net').createServer().listen(process.argv[1], () => console.log('up'))",
        socketPath,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
    expect(existsSync(socketPath)).toBe(true);
    const h = await start('ipc', { path: socketPath });
    const client = await h.connect();
    await expect(client.call('server.info', {})).resolves.toEqual(INFO);
  });

  it('fails to connect where nothing listens', async () => {
    await expect(connectIpc({ path: path.join(tempDir(), 'absent.sock') })).rejects.toThrow(
      'cannot connect',
    );
  });
});
