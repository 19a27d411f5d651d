/**
 * Who may talk to the main process over IPC (the VS Code `ValidatedIpcMain` model): only the main
 * frame of the console window, showing a page of our own `app://console` origin. Sub-frames,
 * other windows or webContents (devtools, a stray popup), `file://`, remote pages and frames
 * that have already gone away are all refused.
 */
import { APP_HOST, APP_SCHEME } from './app-protocol.js';

/** The part of Electron's `WebFrameMain` the check reads. */
export interface SenderFrame {
  readonly url: string;
  readonly parent: unknown;
  readonly processId?: number;
  readonly routingId?: number;
}

/** The part of Electron's `WebContents` the check reads. */
export interface SenderContents {
  readonly mainFrame: SenderFrame;
}

/** The part of an `IpcMainInvokeEvent` the check reads. */
export interface SenderEvent {
  readonly sender: unknown;
  readonly senderFrame: SenderFrame | null;
}

/** The outcome of a sender check, with the reason for the log when it fails. */
export type SenderVerdict = { ok: true } | { ok: false; reason: string };

/** True when `url` is a page of our own origin (`app://console/...`). */
export function isAppOriginUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  // Custom schemes have an opaque `origin` in WHATWG URL, so compare scheme and host.
  return (
    parsed.protocol === `${APP_SCHEME}:` &&
    parsed.host.toLowerCase() === APP_HOST &&
    parsed.username === '' &&
    parsed.password === ''
  );
}

/**
 * True when `frame` is `main`: the same object, or (should Electron hand out a fresh wrapper for
 * the same frame) the same renderer process and routing id.
 */
function isSameFrame(frame: SenderFrame, main: SenderFrame): boolean {
  if (frame === main) return true;
  return (
    frame.processId !== undefined &&
    frame.routingId !== undefined &&
    frame.processId === main.processId &&
    frame.routingId === main.routingId
  );
}

/**
 * Check an IPC event against the one trusted webContents (`null` when the window is gone, in
 * which case nothing is trusted).
 */
export function checkIpcSender(
  event: SenderEvent,
  trusted: SenderContents | null | undefined,
): SenderVerdict {
  if (!trusted) return { ok: false, reason: 'no console window' };
  if (event.sender !== trusted) return { ok: false, reason: 'another webContents' };
  const frame = event.senderFrame;
  if (!frame) return { ok: false, reason: 'sender frame is gone' };
  if (frame.parent !== null || !isSameFrame(frame, trusted.mainFrame))
    return { ok: false, reason: 'not the main frame' };
  if (!isAppOriginUrl(frame.url)) return { ok: false, reason: `foreign origin ${frame.url}` };
  return { ok: true };
}
