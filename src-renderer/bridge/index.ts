/**
 * The renderer's one way out: the ConsoleApi the Electron preload exposes as `window.cq`, or,
 * in a browser (`cq console --web`), the WebSocket bridge to the web host.
 */
import type { ConsoleApi } from '../../src-shared/api/console-api.js';
import { createWebBridge, socketUrlFromLocation } from './web-bridge.js';

/** The console API for this window. */
export function getConsoleApi(): ConsoleApi {
  const injected = (window as Window & { cq?: ConsoleApi }).cq;
  if (injected) return injected;
  return createWebBridge({ url: socketUrlFromLocation(window.location) });
}
