/**
 * The console window never navigates and never opens windows: every navigation, redirect to
 * another origin, `window.open` and `<webview>` is refused. A link to a vetted https page (an
 * allowlisted host, no credentials, no odd port) goes to the system browser instead.
 */
import { createLogger, type Logger } from '../../log/logger.js';
import { isAppOriginUrl } from './sender-guard.js';

/** Hosts the console may open in the system browser (documentation and project pages). */
export const EXTERNAL_HOST_ALLOWLIST: readonly string[] = ['github.com', 'www.clamav.net'];

/** Longest URL handed to the system browser. */
const MAX_EXTERNAL_URL = 2048;

/**
 * The URL to open externally, normalised, or null when it is not vetted: https only, host exactly
 * on the allowlist, no user or password, default port.
 */
export function vetExternalUrl(
  raw: string,
  allowlist: readonly string[] = EXTERNAL_HOST_ALLOWLIST,
): string | null {
  if (raw.length > MAX_EXTERNAL_URL) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:') return null;
  if (url.username !== '' || url.password !== '' || url.port !== '') return null;
  if (!allowlist.includes(url.hostname.toLowerCase())) return null;
  return url.href;
}

/** An event the guard can cancel. */
export interface PreventableEvent {
  preventDefault(): void;
}

/** The part of `WebContents` the guards hook into. */
export interface GuardedContents {
  on(event: 'will-navigate', listener: (event: PreventableEvent, url: string) => void): unknown;
  on(event: 'will-redirect', listener: (event: PreventableEvent, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: PreventableEvent) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

/** What the guards need. */
export interface NavigationGuardOptions {
  /** `shell.openExternal`. */
  readonly openExternal: (url: string) => Promise<void>;
  readonly allowlist?: readonly string[];
  readonly log?: Logger;
}

const defaultLog = createLogger('console.navigation');

/** Install the guards on one webContents (every one the app creates). */
export function installNavigationGuards(
  contents: GuardedContents,
  options: NavigationGuardOptions,
): void {
  const log = options.log ?? defaultLog;
  const openIfVetted = (url: string): void => {
    const vetted = vetExternalUrl(url, options.allowlist);
    if (!vetted) {
      log.warn('refused navigation', { url: url.slice(0, 256) });
      return;
    }
    options.openExternal(vetted).catch((error: unknown) => {
      log.warn('cannot open the system browser', { url: vetted, error: String(error) });
    });
  };
  contents.on('will-navigate', (event, url) => {
    event.preventDefault();
    openIfVetted(url);
  });
  contents.on('will-redirect', (event, url) => {
    if (isAppOriginUrl(url)) return;
    event.preventDefault();
    log.warn('refused redirect', { url: url.slice(0, 256) });
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    log.warn('refused a webview');
  });
  contents.setWindowOpenHandler(({ url }) => {
    openIfVetted(url);
    return { action: 'deny' };
  });
}
