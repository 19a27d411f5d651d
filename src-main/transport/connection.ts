/**
 * The one seam between the control RPC and how its messages travel (node-ipc on a local socket,
 * TCP with optional TLS). The RPC layer sees only whole JSON messages and connection lifetimes.
 */

/** Where a connection comes from: the local socket (owner only) or the network. */
export type ConnectionKind = 'local' | 'tcp';

/** One bidirectional message channel. */
export interface Connection {
  readonly kind: ConnectionKind;
  /** Printable peer, for logs (`127.0.0.1:53122`, `local#3`). */
  readonly remote: string;
  /** The peer's address alone, the key for per-address limits (`127.0.0.1`, `local`). */
  readonly remoteAddress: string;
  /** True once the connection is closed or closing; sends are dropped from then on. */
  readonly closed: boolean;
  /** Send one message (JSON-serialisable). Throws `FrameError` if it cannot be framed. */
  send(message: unknown): void;
  /** Listen to every whole message that arrives. */
  onMessage(listener: (message: unknown) => void): void;
  /** Listen to the end of the connection (called once, also if already closed). */
  onClose(listener: () => void): void;
  /** Close after pending output is flushed. */
  close(): void;
  /** Close the connection after `ms` without traffic; 0 turns the limit off. */
  setIdleTimeout(ms: number): void;
}

/** A listener that hands out connections. */
export interface TransportServer {
  /** Start accepting; resolves with the printable address (`HOST:PORT` or the socket path). */
  listen(): Promise<string>;
  /** Stop accepting and close every connection. */
  close(): Promise<void>;
  /** Listen to new connections (register before `listen`). */
  onConnection(listener: (connection: Connection) => void): void;
}

/** A message that cannot be put on the wire. */
export class FrameError extends Error {
  constructor(
    readonly reason: 'too-large' | 'unserializable',
    message: string,
  ) {
    super(message);
    this.name = 'FrameError';
  }
}
