/**
 * How the console window is built: Electron's security checklist as constructor options, and the
 * small policies the window applies at run time (permissions, bringing it to the front). Pure, so
 * a unit test can assert every flag without an Electron runtime.
 */
import type { BrowserWindowConstructorOptions } from 'electron';
import type { ConsoleAppInfo } from '../../../src-shared/api/console-api.js';
import { isAppOriginUrl } from './sender-guard.js';
import { encodeAppInfoArgument } from './ipc-channels.js';
import { MIN_WINDOW_SIZE, type Rect } from './window-state.js';

/** What the options depend on. */
export interface WindowOptionsInput {
  /** Absolute path of the bundled CommonJS preload. */
  readonly preloadPath: string;
  readonly bounds: Rect;
  readonly appInfo: ConsoleAppInfo;
  /** Developer tools (off in packaged builds). */
  readonly devTools: boolean;
  /** Background painted before the renderer's first frame (follows the OS theme). */
  readonly darkBackground: boolean;
  readonly icon?: string;
}

/** The BrowserWindow options of the console window. */
export function buildWindowOptions(input: WindowOptionsInput): BrowserWindowConstructorOptions {
  return {
    x: input.bounds.x,
    y: input.bounds.y,
    width: input.bounds.width,
    height: input.bounds.height,
    minWidth: MIN_WINDOW_SIZE.width,
    minHeight: MIN_WINDOW_SIZE.height,
    title: 'Central Quarantine',
    // Shown on `ready-to-show`, so there is no white flash and no half-painted window.
    show: false,
    backgroundColor: input.darkBackground ? '#1e1e1e' : '#ffffff',
    // The renderer draws the MMC menu bar and toolbar itself.
    autoHideMenuBar: true,
    ...(input.icon !== undefined ? { icon: input.icon } : {}),
    webPreferences: {
      preload: input.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      devTools: input.devTools,
      additionalArguments: [encodeAppInfoArgument(input.appInfo)],
    },
  };
}

/**
 * Permissions the console page may use. It needs none of the browser's device or notification
 * permissions (native notifications come from the main process); writing to the clipboard is the
 * one thing "Copy" in the list pane asks for.
 */
const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

/** Decide a permission request or check from a page. */
export function isPermissionAllowed(permission: string, requestingUrl: string): boolean {
  return ALLOWED_PERMISSIONS.has(permission) && isAppOriginUrl(requestingUrl);
}

/** The part of a BrowserWindow `focusWindow` drives. */
export interface FocusableWindow {
  isDestroyed(): boolean;
  isMinimized(): boolean;
  isVisible(): boolean;
  restore(): void;
  show(): void;
  focus(): void;
}

/**
 * Bring the console window to the front (second launch, tray "Open console", a clicked
 * notification): un-minimise, show if hidden to the tray, focus. False when there is no window.
 */
export function focusWindow(win: FocusableWindow | null | undefined): boolean {
  if (!win || win.isDestroyed()) return false;
  if (win.isMinimized()) win.restore();
  if (!win.isVisible()) win.show();
  win.focus();
  return true;
}
