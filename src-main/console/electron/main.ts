/**
 * The desktop console's main process (SPEC §1, §10): one instance per user session; an embedded
 * `cq server` on the user's data folder (unless the console is set to attach to remote servers
 * only); the attach manager; one hardened window on `app://console`; the tray with the open-alert
 * count; native notifications for alerts; electron-log for this process; a clean quit that stops
 * the server and closes every connection without ever hanging.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, dialog, Menu, session, type BrowserWindow } from 'electron';
import { createLogger } from '../../log/logger.js';
import { defaultSocketPath } from '../../server/server.js';
import { createAttachManager, EMBEDDED_SERVER_ID, type AttachManager } from '../attach-manager.js';
import { defaultDataFolder } from '../data-folder.js';
import { startEmbeddedServer, type EmbeddedServer } from '../embedded-server.js';
import { connectConsoleHub, createConsoleHandlers, openNotificationTarget } from './console-hub.js';
import { createRendererPush, installElectronIpcBridge } from './ipc-main-bridge.js';
import { SETTINGS_FILE, resolveLaunchSettings } from './launch-settings.js';
import { createShutdown } from './lifecycle.js';
import { setUpMainLogging } from './logging.js';
import { createNativeNotifier } from './notify.js';
import { createAlertNotifier } from './notify-model.js';
import { chooseLauncher } from './server-launcher.js';
import { createConsoleTray, type ConsoleTray } from './tray.js';
import {
  createConsoleWindow,
  guardAllWebContents,
  prepareSession,
  registerAppScheme,
} from './window.js';
import { focusWindow } from './window-options.js';

/** Same id as electron-builder's `appId`: Windows groups notifications and taskbar under it. */
const APP_USER_MODEL_ID = 'org.centralquarantine.console';

/** The longest a quit may take before the app exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 15_000;

/** How long to wait, after the embedded server failed to start, for another one to answer. */
const EMBEDDED_GRACE_MS = 3_000;

const here = path.dirname(fileURLToPath(import.meta.url));

// The name decides the userData folder; set it before anything reads that path.
app.setName('Central Quarantine');
setUpMainLogging(app.getPath('userData'), 'info', !app.isPackaged);
const log = createLogger('console.main');

/** Parse a JSON file, undefined when missing or unreadable (logged). */
function readJsonFile(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      log.warn('ignoring an unreadable settings file', { file, error: String(error) });
    return undefined;
  }
}

/** macOS needs an app menu for its standard shortcuts; elsewhere the renderer draws its own. */
function applicationMenu(): Menu | null {
  if (process.platform !== 'darwin') return null;
  return Menu.buildFromTemplate([
    { role: 'appMenu' },
    { role: 'editMenu' },
    { role: 'windowMenu' },
  ]);
}

function run(): void {
  const userData = app.getPath('userData');
  const launch = resolveLaunchSettings({
    argv: process.argv,
    file: readJsonFile(path.join(userData, SETTINGS_FILE)),
    defaultDataDir: defaultDataFolder(),
  });
  for (const warning of launch.warnings) log.warn(warning);

  let win: BrowserWindow | null = null;
  let quitting = false;
  let shutdownDone = false;
  let manager: AttachManager | null = null;
  let tray: ConsoleTray | null = null;
  let embeddedStart: Promise<EmbeddedServer | null> = Promise.resolve(null);
  let disposers: (() => void)[] = [];

  const showWindow = (): void => {
    focusWindow(win);
  };
  const push = createRendererPush(() => (win && !win.isDestroyed() ? win.webContents : null));

  app.on('second-instance', showWindow);
  app.on('activate', showWindow);
  app.on('before-quit', () => {
    quitting = true;
  });
  guardAllWebContents(app, log);

  const shutdown = createShutdown(
    [
      { name: 'event routing and IPC', run: () => disposers.forEach((dispose) => dispose()) },
      { name: 'tray', run: () => tray?.destroy() },
      { name: 'server connections', run: () => manager?.close() },
      { name: 'embedded server', run: async () => (await embeddedStart)?.stop() },
    ],
    { timeoutMs: SHUTDOWN_TIMEOUT_MS, log },
  );
  app.on('will-quit', (event) => {
    if (shutdownDone) return;
    event.preventDefault();
    void shutdown().then(() => {
      shutdownDone = true;
      log.info('console stopped');
      app.quit();
    });
  });

  const start = async (): Promise<void> => {
    // From a checkout Electron's default menu stays, for reload and the developer tools.
    if (app.isPackaged || process.platform === 'darwin') Menu.setApplicationMenu(applicationMenu());
    const rendererRoot = path.join(app.getAppPath(), 'dist-renderer');
    if (!fs.existsSync(path.join(rendererRoot, 'index.html')))
      log.error('the console UI is not built (no dist-renderer/index.html)', { rendererRoot });
    prepareSession(session.defaultSession, rendererRoot, log);

    const serverDataDir = launch.embeddedDataDir;
    const socketPath = serverDataDir ? defaultSocketPath(serverDataDir) : null;
    // The manager connects to the socket with backoff, so it can start before the server does.
    const attach = createAttachManager({
      dataDir: serverDataDir ?? defaultDataFolder(),
      ...(serverDataDir && socketPath ? { embedded: { socketPath, label: os.hostname() } } : {}),
    });
    manager = attach;
    const consoleTray = createConsoleTray({ onOpen: showWindow, onQuit: () => app.quit() });
    tray = consoleTray;
    const showNotice = createNativeNotifier({
      onClick: (target) => openNotificationTarget(target, { showWindow, push }),
      log,
    });
    const notify = createAlertNotifier({
      isPaused: () => consoleTray.controller.isPaused(),
      serverLabel: (serverId) => hub.serverLabel(serverId),
      show: showNotice,
    });
    // Subscribed before anything can happen on the connections, so no alert is missed.
    const hub = connectConsoleHub(attach, { push, tray: consoleTray.controller, notify });
    disposers = [() => hub.dispose()];
    if (serverDataDir && socketPath) {
      embeddedStart = startEmbedded(serverDataDir, socketPath, attach);
    }

    // Handlers exist before the page loads, so its first calls never meet "no handler".
    disposers.push(
      await installElectronIpcBridge({
        trustedContents: () => (win && !win.isDestroyed() ? win.webContents : null),
        handlers: createConsoleHandlers(attach),
      }),
    );

    win = createConsoleWindow({
      preloadPath: path.join(here, 'preload.cjs'),
      stateDir: userData,
      appInfo: { version: app.getVersion(), shell: 'electron', platform: process.platform },
      devTools: !app.isPackaged,
      isQuitting: () => quitting,
      log,
    });
    log.info('console started', {
      version: app.getVersion(),
      embeddedDataDir: serverDataDir,
      packaged: app.isPackaged,
    });
  };

  /**
   * Start the embedded server. When it cannot start (say, another server already owns the
   * folder) the console keeps trying its socket; the administrator is told only if nothing
   * answers there either.
   */
  const startEmbedded = async (
    dataDir: string,
    socketPath: string,
    attach: AttachManager,
  ): Promise<EmbeddedServer | null> => {
    try {
      const server = await startEmbeddedServer({
        dataDir,
        socketPath,
        fork: chooseLauncher(app.isPackaged, process.env),
        modulePath: path.join(app.getAppPath(), 'bin', 'cq.js'),
        onListening: (name, address) => log.info('embedded server listening', { name, address }),
        onExit: (code) => log.warn('embedded server exited; restarting', { code }),
      });
      log.info('embedded server started', { dataDir, socketPath });
      return server;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      log.error('the embedded server did not start', { dataDir, reason });
      setTimeout(() => {
        const entry = attach.list().find((s) => s.id === EMBEDDED_SERVER_ID);
        if (quitting || entry?.state === 'connected') return;
        const options = {
          type: 'error' as const,
          title: 'Central Quarantine',
          message: 'The Quarantine Server on this computer did not start.',
          detail: `${reason}\n\nData folder: ${dataDir}\nThe console keeps trying to reach it; remote servers can still be attached.`,
        };
        void (win ? dialog.showMessageBox(win, options) : dialog.showMessageBox(options));
      }, EMBEDDED_GRACE_MS);
      return null;
    }
  };

  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      log.error('the console could not start', { error: String(error) });
      dialog.showErrorBox('Central Quarantine', `The console could not start: ${String(error)}`);
      app.exit(1);
    });
}

registerAppScheme();
if (process.platform === 'win32') app.setAppUserModelId(APP_USER_MODEL_ID);
if (!app.requestSingleInstanceLock()) {
  // Another console runs for this user: it is told through `second-instance` and comes forward.
  app.quit();
} else {
  run();
}
