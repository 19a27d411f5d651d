/**
 * The control API on the local machine: node-ipc on a unix socket (a named pipe on Windows).
 * This is the only module that touches node-ipc (a risky dependency, pinned and kept behind
 * `Connection`). node-ipc runs in raw-buffer mode: it only moves bytes, and our own framing
 * bounds frame sizes and survives bad JSON, which node-ipc's message mode does not.
 */
import { chmod, lstat } from 'node:fs/promises';
import net from 'node:net';
import { IPCModule } from 'node-ipc';
import { createLogger } from '../log/logger.js';
import type { Connection, TransportServer } from './connection.js';
import { SocketConnection } from './socket-connection.js';

const log = createLogger('transport.ipc');

const WINDOWS = process.platform === 'win32';
const PIPE_PREFIX = '\\\\.\\pipe\\';

/** Settings of a local control listener. */
export interface IpcTransportOptions {
  /** Socket path (on Windows, a pipe name or `\\.\pipe\name`). */
  readonly path: string;
  readonly maxFrameBytes?: number;
  /** Cut connections silent for this long; 0 (default) = never, local consoles may idle. */
  readonly idleTimeoutMs?: number;
  readonly closeGraceMs?: number;
}

/** Create a local control listener on a socket only the current user can open. */
export function createIpcTransport(options: IpcTransportOptions): TransportServer {
  const listeners: ((connection: Connection) => void)[] = [];
  const open = new Map<net.Socket, SocketConnection>();
  let ipc: IPCModule | null = null;
  let count = 0;

  return {
    onConnection(listener) {
      listeners.push(listener);
    },

    async listen() {
      if (ipc) throw new Error('already listening');
      const instance = createInstance();
      ipc = instance;
      try {
        if (!WINDOWS) await refuseLiveOrForeignPath(options.path);
        await serve(instance);
        await restrictToOwner(options.path);
      } catch (error) {
        ipc = null;
        await stop(instance);
        throw error;
      }
      return printablePath(options.path);
    },

    close() {
      const instance = ipc;
      ipc = null;
      return instance ? stop(instance) : Promise.resolve();
    },
  };

  function serve(instance: IPCModule): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let started = false;
      instance.serve(serverPath(options.path), () => {
        started = true;
        resolve();
      });
      const server = instance.server;
      if (!server) throw new Error('node-ipc did not create a server');
      server.on('error', (error) => {
        // After start node-ipc reports every socket's errors here too; connections log those.
        if (!started) reject(error);
      });
      server.on('connect', (socket) => {
        const connection = new SocketConnection({
          kind: 'local',
          remote: `local#${++count}`,
          remoteAddress: 'local',
          socket,
          write: (frame) => server.emit(socket, frame),
          answerBadFrames: true,
          ...(options.maxFrameBytes !== undefined ? { maxFrameBytes: options.maxFrameBytes } : {}),
          ...(options.closeGraceMs !== undefined ? { closeGraceMs: options.closeGraceMs } : {}),
        });
        connection.setIdleTimeout(options.idleTimeoutMs ?? 0);
        open.set(socket, connection);
        connection.onClose(() => open.delete(socket));
        for (const listener of listeners) listener(connection);
      });
      server.on('data', (data, socket) => open.get(socket)?.receive(data));
      server.start();
    });
  }

  function stop(instance: IPCModule): Promise<void> {
    const netServer = instance.server ? instance.server.server : false;
    if (!instance.server || !netServer || !netServer.listening) return Promise.resolve();
    const server = instance.server;
    return new Promise<void>((resolve) => {
      netServer.once('close', () => resolve());
      // node-ipc's stop() closes the listener (libuv then unlinks the socket file).
      server.stop();
      for (const connection of open.values()) connection.close();
    });
  }
}

/** Settings of an outgoing local control connection. */
export interface IpcConnectOptions {
  readonly path: string;
  readonly maxFrameBytes?: number;
  readonly closeGraceMs?: number;
}

/** Open a local control connection. node-ipc's reconnect loop is off: a closed link stays closed. */
export function connectIpc(options: IpcConnectOptions): Promise<Connection> {
  const ipc = createInstance();
  ipc.config.maxRetries = 0;
  ipc.config.stopRetrying = true;
  const id = 'control';
  return new Promise<Connection>((resolve, reject) => {
    // node-ipc derives the Windows pipe name from the path the same way the server does.
    ipc.connectTo(id, options.path);
    const client = ipc.of[id];
    const socket = client?.socket;
    if (!client || !socket) {
      reject(new Error('node-ipc did not create a client'));
      return;
    }
    let connection: SocketConnection | null = null;
    client.on('error', (error) => {
      if (!connection) {
        reject(new Error(`cannot connect to ${options.path}: ${error.message}`, { cause: error }));
      }
    });
    client.on('data', (data) => connection?.receive(data));
    client.on('connect', () => {
      connection = new SocketConnection({
        kind: 'local',
        remote: options.path,
        remoteAddress: 'local',
        socket,
        write: (frame) => client.emit(frame),
        answerBadFrames: false,
        ...(options.maxFrameBytes !== undefined ? { maxFrameBytes: options.maxFrameBytes } : {}),
        ...(options.closeGraceMs !== undefined ? { closeGraceMs: options.closeGraceMs } : {}),
      });
      // Forget the client in node-ipc's table once the socket is gone.
      connection.onClose(() => ipc.disconnect(id));
      resolve(connection);
    });
  });
}

/** A private node-ipc instance: no shared singleton state, no console logging, bytes only. */
function createInstance(): IPCModule {
  const ipc = new IPCModule();
  ipc.config.silent = true;
  ipc.config.logger = () => undefined;
  ipc.config.rawBuffer = true;
  // latin1 maps every byte to one character and back, so node-ipc's string round trip of raw
  // data is lossless (utf8 would mangle a multi-byte character split across chunks' bytes).
  ipc.config.encoding = 'latin1';
  ipc.config.sync = false;
  ipc.config.unlink = true;
  ipc.config.maxConnections = 32;
  return ipc;
}

/** node-ipc prefixes `\\.\pipe\` itself on Windows; give it the bare name. */
function serverPath(path: string): string {
  return WINDOWS && path.startsWith(PIPE_PREFIX) ? path.slice(PIPE_PREFIX.length) : path;
}

/** The address as node-ipc really binds it (Windows: the pipe name it derives from the path). */
function printablePath(path: string): string {
  if (!WINDOWS || path.startsWith(PIPE_PREFIX)) return path;
  return PIPE_PREFIX + path.replace(/^\//, '').replace(/\//g, '-');
}

/**
 * node-ipc unlinks whatever is at the path before listening. Only let it remove a stale socket:
 * never a regular file, and never the socket of a server that is still running.
 */
async function refuseLiveOrForeignPath(path: string): Promise<void> {
  const stat = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (!stat) return;
  if (!stat.isSocket()) throw new Error(`${path} exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) {
    throw Object.assign(new Error(`another server is listening on ${path}`), {
      code: 'EADDRINUSE',
    });
  }
  log.info('removing stale socket', { path });
}

/** Only the owner may connect: local connections skip login, so the socket is the boundary. */
async function restrictToOwner(path: string): Promise<void> {
  if (WINDOWS) return;
  await chmod(path, 0o600);
}
