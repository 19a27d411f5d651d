/**
 * The console window and the session it runs in: the `app://console` protocol, the hardened
 * session (no remote requests, no permissions but clipboard writing), navigation guards on every
 * webContents, and the window itself with its size and place restored and saved. The decisions
 * live in pure modules (`window-options`, `window-state`, `navigation`, `app-protocol`); this
 * file only wires them to Electron.
 */
import {
  BrowserWindow,
  nativeTheme,
  protocol,
  screen,
  shell,
  type App,
  type Session,
} from 'electron';
import type { ConsoleAppInfo } from '../../../src-shared/api/console-api.js';
import type { Logger } from '../../log/logger.js';
import {
  APP_ENTRY_URL,
  APP_SCHEME,
  APP_SCHEME_PRIVILEGES,
  createAppProtocolHandler,
} from './app-protocol.js';
import { installNavigationGuards } from './navigation.js';
import { buildWindowOptions, isPermissionAllowed } from './window-options.js';
import { readWindowStateFile, restoreWindowState, writeWindowStateFile } from './window-state.js';

/** Requests the console's session never makes: everything off this computer, and files. */
const BLOCKED_REQUESTS = ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*', 'file://*/*'];

/** Reloads after renderer crashes before giving up. */
const MAX_RELOADS = 3;

/** Register the `app` scheme's privileges; must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } },
  ]);
}

/** Guard every webContents the app ever creates (the window, devtools, anything unexpected). */
export function guardAllWebContents(app: App, log: Logger): void {
  app.on('web-contents-created', (_event, contents) => {
    installNavigationGuards(contents, { openExternal: (url) => shell.openExternal(url), log });
  });
}

/**
 * Serve `rendererRoot` on `app://console` and lock the session down: remote and file requests
 * cancelled, permission requests and checks denied except clipboard writing from our origin.
 */
export function prepareSession(session: Session, rendererRoot: string, log: Logger): void {
  const handler = createAppProtocolHandler({
    root: rendererRoot,
    onRefused: (url, reason) => log.warn('refused an app:// request', { url, reason }),
  });
  session.protocol.handle(APP_SCHEME, (request) =>
    handler({ url: request.url, method: request.method }),
  );
  session.webRequest.onBeforeRequest({ urls: BLOCKED_REQUESTS }, (details, callback) => {
    log.warn('blocked a request from the console session', { url: details.url.slice(0, 256) });
    callback({ cancel: true });
  });
  session.setPermissionRequestHandler((_contents, permission, callback, details) => {
    callback(isPermissionAllowed(permission, details.requestingUrl));
  });
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
    isPermissionAllowed(permission, requestingOrigin),
  );
}

/** What the window needs from the app. */
export interface ConsoleWindowOptions {
  readonly preloadPath: string;
  /** Where `window-state.json` lives (userData). */
  readonly stateDir: string;
  readonly appInfo: ConsoleAppInfo;
  readonly devTools: boolean;
  /** True once the app is quitting: closing then really closes instead of hiding to the tray. */
  readonly isQuitting: () => boolean;
  readonly log: Logger;
}

/** Create, place and load the console window. */
export function createConsoleWindow(options: ConsoleWindowOptions): BrowserWindow {
  const state = restoreWindowState(
    readWindowStateFile(options.stateDir),
    screen.getAllDisplays(),
    screen.getPrimaryDisplay(),
  );
  const win = new BrowserWindow(
    buildWindowOptions({
      preloadPath: options.preloadPath,
      bounds: state.bounds,
      appInfo: options.appInfo,
      devTools: options.devTools,
      darkBackground: nativeTheme.shouldUseDarkColors,
    }),
  );
  win.once('ready-to-show', () => {
    if (state.maximized) win.maximize();
    win.show();
  });
  const save = (): void => {
    if (win.isDestroyed()) return;
    writeWindowStateFile(options.stateDir, {
      bounds: win.getNormalBounds(),
      maximized: win.isMaximized(),
    });
  };
  win.on('close', (event) => {
    save();
    // The console keeps running in the tray for alerts; Quit (tray menu) really closes it.
    if (!options.isQuitting()) {
      event.preventDefault();
      win.hide();
    }
  });
  let reloads = 0;
  win.webContents.on('render-process-gone', (_event, details) => {
    options.log.error('the console renderer went away', { reason: details.reason });
    // A few reloads recover from a one-off crash; a renderer that keeps dying is left alone.
    if (details.reason !== 'clean-exit' && !win.isDestroyed() && reloads++ < MAX_RELOADS)
      void load();
  });
  const load = async (): Promise<void> => {
    try {
      await win.loadURL(APP_ENTRY_URL);
    } catch (error) {
      options.log.error('cannot load the console page', { error: String(error) });
    }
  };
  void load();
  return win;
}
