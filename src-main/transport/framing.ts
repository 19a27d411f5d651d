/**
 * Newline-delimited JSON framing, shared by every transport. One JSON value per line; JSON never
 * contains a raw newline, so a script can speak the protocol with `nc` or `socat`. Frames are
 * bounded so a peer cannot make us buffer without limit.
 */
import { FrameError } from './connection.js';

/** Default largest frame, in bytes, in either direction. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

const NEWLINE = 0x0a;

/** What one line of input turned out to be. */
export type DecodedFrame =
  | { readonly kind: 'message'; readonly value: unknown }
  | { readonly kind: 'invalid-json'; readonly reason: string }
  | { readonly kind: 'too-large'; readonly limit: number };

/** Serialise one message as a frame; throws `FrameError` if it cannot be sent whole. */
export function encodeFrame(message: unknown, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): Buffer {
  let text: string | undefined;
  try {
    text = JSON.stringify(message);
  } catch (error) {
    throw new FrameError('unserializable', `message is not JSON-serialisable: ${String(error)}`);
  }
  if (text === undefined) throw new FrameError('unserializable', 'message is not a JSON value');
  const frame = Buffer.from(text + '\n', 'utf8');
  if (frame.length > maxFrameBytes) {
    throw new FrameError(
      'too-large',
      `message of ${frame.length} bytes exceeds the ${maxFrameBytes}-byte frame limit`,
    );
  }
  return frame;
}

/**
 * Splits a byte stream into frames. Only the newest chunk is searched for the delimiter, so a
 * frame arriving in many pieces costs linear time. Once a frame is too large the decoder stops:
 * the stream cannot be resynchronised safely and the connection must be closed.
 */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private failed = false;

  constructor(readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** Feed bytes; returns the frames completed by them, in order. */
  push(chunk: Buffer): DecodedFrame[] {
    if (this.failed) return [];
    const out: DecodedFrame[] = [];
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      // The delimiter does not count towards the frame size.
      if (this.pendingBytes + (end - start) > this.maxFrameBytes) {
        this.fail();
        out.push({ kind: 'too-large', limit: this.maxFrameBytes });
        return out;
      }
      if (newline === -1) {
        this.pending.push(chunk.subarray(start));
        this.pendingBytes += chunk.length - start;
        break;
      }
      const line =
        this.pending.length === 0
          ? chunk.subarray(start, end)
          : Buffer.concat([...this.pending, chunk.subarray(start, end)]);
      this.pending = [];
      this.pendingBytes = 0;
      start = newline + 1;
      const decoded = decodeLine(line);
      if (decoded) out.push(decoded);
    }
    return out;
  }

  private fail(): void {
    this.failed = true;
    this.pending = [];
    this.pendingBytes = 0;
  }
}

function decodeLine(line: Buffer): DecodedFrame | null {
  const text = line.toString('utf8');
  // Blank lines (e.g. an extra Enter in `nc`, or CRLF endings) are not frames.
  if (text.trim() === '') return null;
  try {
    return { kind: 'message', value: JSON.parse(text) as unknown };
  } catch (error) {
    return { kind: 'invalid-json', reason: error instanceof Error ? error.message : String(error) };
  }
}
