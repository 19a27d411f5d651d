// node-ipc 12 ships no types. This declares only the part ipc-transport.ts uses (raw-buffer mode
// over a local socket), so any other use shows up as a type error rather than silently `any`.
declare module 'node-ipc' {
  import type { Server, Socket } from 'node:net';

  /** The per-instance settings of node-ipc (see its entities/Defaults.js). */
  interface IpcConfig {
    id: string;
    appspace: string;
    encoding: BufferEncoding;
    rawBuffer: boolean;
    sync: boolean;
    unlink: boolean;
    silent: boolean;
    logger: (line: string) => void;
    maxConnections: number;
    retry: number;
    maxRetries: number;
    stopRetrying: boolean;
    readableAll: boolean;
    writableAll: boolean;
  }

  /** node-ipc's local socket server (dao/socketServer.js). */
  interface IpcSocketServer {
    readonly server: Server | false;
    readonly sockets: Socket[];
    start(): void;
    stop(): void;
    emit(socket: Socket, data: Buffer): void;
    on(event: 'start', handler: () => void): this;
    on(event: 'connect', handler: (socket: Socket) => void): this;
    on(event: 'data', handler: (data: Buffer, socket: Socket) => void): this;
    on(event: 'error', handler: (error: Error) => void): this;
  }

  /** node-ipc's client for one service (dao/client.js). */
  interface IpcClient {
    readonly socket: Socket | false;
    emit(data: Buffer): void;
    on(event: 'connect' | 'disconnect' | 'destroy', handler: () => void): this;
    on(event: 'data', handler: (data: Buffer) => void): this;
    on(event: 'error', handler: (error: Error) => void): this;
  }

  /** One independent node-ipc instance: its own config, server and clients. */
  class IPCModule {
    config: IpcConfig;
    readonly of: Record<string, IpcClient | undefined>;
    readonly server: IpcSocketServer | false;
    serve(path: string, onStart?: () => void): void;
    connectTo(id: string, path: string, onCreated?: () => void): void;
    disconnect(id: string): void;
  }

  const singleton: IPCModule;
  export default singleton;
  export { IPCModule };
}
