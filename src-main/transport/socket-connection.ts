/**
 * A `Connection` over one stream socket (TCP, TLS or a local socket), using the framing of
 * `framing.ts`. Both transports build on it so limits and error handling are the same on each.
 */
import type { Socket } from 'node:net';
import { errorResponseFrame } from '../../src-shared/api/wire.js';
import { createLogger } from '../log/logger.js';
import type { Connection, ConnectionKind } from './connection.js';
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame, FrameDecoder } from './framing.js';

const log = createLogger('transport');

/** How long a closing connection may take to flush before it is cut. */
export const DEFAULT_CLOSE_GRACE_MS = 2000;

/** Settings of one socket connection. */
export interface SocketConnectionOptions {
  readonly kind: ConnectionKind;
  readonly remote: string;
  readonly remoteAddress: string;
  readonly socket: Socket;
  /** How bytes go out; node-ipc routes writes through its own `emit`. Default: `socket.write`. */
  readonly write?: (frame: Buffer) => void;
  readonly maxFrameBytes?: number;
  /**
   * The serving side answers a broken frame with an error response so the peer learns why; a
   * client has nobody to answer (the server does not read responses) and just logs it.
   */
  readonly answerBadFrames: boolean;
  readonly closeGraceMs?: number;
}

/** A framed message connection over a stream socket; the transport feeds it with `receive`. */
export class SocketConnection implements Connection {
  readonly kind: ConnectionKind;
  readonly remote: string;
  readonly remoteAddress: string;
  private readonly socket: Socket;
  private readonly writeFrame: (frame: Buffer) => void;
  private readonly decoder: FrameDecoder;
  private readonly answerBadFrames: boolean;
  private readonly closeGraceMs: number;
  private readonly messageListeners: ((message: unknown) => void)[] = [];
  private readonly closeListeners: (() => void)[] = [];
  private closing = false;
  private ended = false;

  constructor(options: SocketConnectionOptions) {
    this.kind = options.kind;
    this.remote = options.remote;
    this.remoteAddress = options.remoteAddress;
    this.socket = options.socket;
    this.writeFrame = options.write ?? ((frame) => void this.socket.write(frame));
    this.decoder = new FrameDecoder(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
    this.answerBadFrames = options.answerBadFrames;
    this.closeGraceMs = options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
    // Without an error listener a reset by the peer would be an uncaught exception.
    this.socket.on('error', (error) =>
      log.debug('socket error', { remote: this.remote, error: error.message }),
    );
    this.socket.on('timeout', () => {
      log.info('closing idle connection', { remote: this.remote });
      this.close();
    });
    this.socket.once('close', () => this.handleClosed());
    if (this.socket.destroyed) queueMicrotask(() => this.handleClosed());
  }

  /** True once closing has started or the socket is gone. */
  get closed(): boolean {
    return this.closing || this.ended || this.socket.destroyed;
  }

  /** Send one message; dropped silently when the connection is already closing. */
  send(message: unknown): void {
    const frame = encodeFrame(message, this.decoder.maxFrameBytes);
    if (this.closed) return;
    this.writeFrame(frame);
  }

  /** Listen to whole messages. */
  onMessage(listener: (message: unknown) => void): void {
    this.messageListeners.push(listener);
  }

  /** Listen to the end of the connection. */
  onClose(listener: () => void): void {
    if (this.ended) queueMicrotask(listener);
    else this.closeListeners.push(listener);
  }

  /** Half-close after flushing; cut the socket if the peer does not finish in time. */
  close(): void {
    if (this.closing || this.ended) return;
    this.closing = true;
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), this.closeGraceMs);
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
  }

  /** Close after `ms` without traffic (0 = never). */
  setIdleTimeout(ms: number): void {
    this.socket.setTimeout(ms);
  }

  /** Bytes from the socket. */
  receive(chunk: Buffer): void {
    if (this.closing || this.ended) return;
    for (const frame of this.decoder.push(chunk)) {
      switch (frame.kind) {
        case 'message':
          this.emitMessage(frame.value);
          break;
        case 'invalid-json':
          log.warn('frame is not valid JSON', { remote: this.remote, reason: frame.reason });
          if (this.answerBadFrames) {
            this.sendQuietly(
              errorResponseFrame(null, {
                code: 'invalid-request',
                message: `frame is not valid JSON: ${frame.reason}`,
              }),
            );
          }
          break;
        case 'too-large':
          log.warn('frame too large; closing', { remote: this.remote, limit: frame.limit });
          if (this.answerBadFrames) {
            this.sendQuietly(
              errorResponseFrame(null, {
                code: 'too-large',
                message: `frame exceeds the ${frame.limit}-byte limit; closing the connection`,
              }),
            );
          }
          this.close();
          return;
      }
    }
  }

  private emitMessage(message: unknown): void {
    for (const listener of this.messageListeners) {
      if (this.closing || this.ended) return;
      try {
        listener(message);
      } catch (error) {
        // A throwing listener must not take the socket's data handler (and the process) down.
        log.error('message listener threw', { remote: this.remote, error: describe(error) });
      }
    }
  }

  private sendQuietly(message: unknown): void {
    try {
      this.send(message);
    } catch (error) {
      log.error('could not send', { remote: this.remote, error: describe(error) });
    }
  }

  private handleClosed(): void {
    if (this.ended) return;
    this.ended = true;
    const listeners = this.closeListeners.splice(0);
    for (const listener of listeners) {
      try {
        listener();
      } catch (error) {
        log.error('close listener threw', { remote: this.remote, error: describe(error) });
      }
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
