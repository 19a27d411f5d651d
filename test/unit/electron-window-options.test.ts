import { describe, expect, it, vi } from 'vitest';
import {
  installNavigationGuards,
  vetExternalUrl,
  type GuardedContents,
  type PreventableEvent,
} from '../../src-main/console/electron/navigation.js';
import { APP_INFO_ARGUMENT } from '../../src-main/console/electron/ipc-channels.js';
import {
  buildWindowOptions,
  focusWindow,
  isPermissionAllowed,
} from '../../src-main/console/electron/window-options.js';
import { MIN_WINDOW_SIZE } from '../../src-main/console/electron/window-state.js';
import type { Logger } from '../../src-main/log/logger.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

const options = buildWindowOptions({
  preloadPath: '/opt/cq/dist/src-main/console/electron/preload.cjs',
  bounds: { x: 10, y: 20, width: 1200, height: 700 },
  appInfo: { version: '1.2.3', shell: 'electron', platform: 'win32' },
  devTools: false,
  darkBackground: true,
});
const prefs = options.webPreferences ?? {};

describe('console window options', () => {
  it.each([
    ['contextIsolation', true],
    ['sandbox', true],
    ['nodeIntegration', false],
    ['nodeIntegrationInWorker', false],
    ['nodeIntegrationInSubFrames', false],
    ['webSecurity', true],
    ['allowRunningInsecureContent', false],
    ['experimentalFeatures', false],
    ['webviewTag', false],
    ['navigateOnDragDrop', false],
    ['safeDialogs', true],
    ['devTools', false],
  ] as const)('sets webPreferences.%s to %s', (flag, expected) => {
    expect(prefs[flag]).toBe(expected);
  });

  it('enables no Blink features and sets no partition that could share a session', () => {
    expect(prefs.enableBlinkFeatures).toBeUndefined();
    expect(prefs.partition).toBeUndefined();
  });

  it('loads our bundled CommonJS preload', () => {
    expect(prefs.preload).toBe('/opt/cq/dist/src-main/console/electron/preload.cjs');
  });

  it('hands the app facts to the preload on the command line, not over sync IPC', () => {
    const args = prefs.additionalArguments ?? [];
    expect(args).toHaveLength(1);
    expect(args[0]?.startsWith(APP_INFO_ARGUMENT)).toBe(true);
    const info: unknown = JSON.parse(
      decodeURIComponent(args[0]?.slice(APP_INFO_ARGUMENT.length) ?? ''),
    );
    expect(info).toEqual({ version: '1.2.3', shell: 'electron', platform: 'win32' });
  });

  it('opens hidden at the restored place, with a minimum size', () => {
    expect(options).toMatchObject({ show: false, x: 10, y: 20, width: 1200, height: 700 });
    expect(options.minWidth).toBe(MIN_WINDOW_SIZE.width);
    expect(options.minHeight).toBe(MIN_WINDOW_SIZE.height);
    expect(options.backgroundColor).toBe('#1e1e1e');
  });
});

describe('permissions', () => {
  it.each([
    ['clipboard-sanitized-write', 'app://console/index.html', true],
    ['clipboard-sanitized-write', 'app://console', true],
    ['clipboard-sanitized-write', 'https://evil.example/', false],
    ['clipboard-read', 'app://console/index.html', false],
    ['notifications', 'app://console/index.html', false],
    ['media', 'app://console/index.html', false],
    ['geolocation', 'app://console/index.html', false],
    ['openExternal', 'app://console/index.html', false],
  ])('%s from %s allowed: %s', (permission, url, expected) => {
    expect(isPermissionAllowed(permission, url)).toBe(expected);
  });
});

describe('external links', () => {
  it.each([
    ['https://github.com/some/project', 'https://github.com/some/project'],
    ['https://GITHUB.com/x', 'https://github.com/x'],
    ['http://github.com/x', null],
    ['https://github.com.evil.example/x', null],
    ['https://evil.example/?github.com', null],
    ['https://user:pw@github.com/x', null],
    ['https://github.com:8443/x', null],
    ['file:///etc/passwd', null],
    ['javascript:alert(1)', null],
    ['smb://server/share', null],
    ['app://console/index.html', null],
    ['not a url', null],
    [`https://github.com/${'a'.repeat(3000)}`, null],
  ])('vetExternalUrl(%s) = %s', (url, expected) => {
    expect(vetExternalUrl(url)).toBe(expected);
  });
});

/** A webContents fake that records listeners so the test can fire them. */
function fakeContents() {
  const listeners = new Map<string, (event: PreventableEvent, url: string) => void>();
  let openHandler: ((details: { url: string }) => { action: 'deny' }) | undefined;
  const contents: GuardedContents = {
    on: (event: string, listener: (event: PreventableEvent, url: string) => void) => {
      listeners.set(event, listener);
      return contents;
    },
    setWindowOpenHandler: (handler) => {
      openHandler = handler;
    },
  };
  const fire = (name: string, url = '') => {
    const event = { preventDefault: vi.fn() };
    listeners.get(name)?.(event, url);
    return event.preventDefault;
  };
  return { contents, fire, open: (url: string) => openHandler?.({ url }) };
}

describe('navigation guards', () => {
  function setup() {
    const fake = fakeContents();
    const openExternal = vi.fn(() => Promise.resolve());
    installNavigationGuards(fake.contents, { openExternal, log: quiet });
    return { ...fake, openExternal };
  }

  it('prevents every navigation, sending only vetted links to the browser', () => {
    const { fire, openExternal } = setup();
    expect(fire('will-navigate', 'https://evil.example/phish')).toHaveBeenCalled();
    expect(fire('will-navigate', 'app://console/other.html')).toHaveBeenCalled();
    expect(fire('will-navigate', 'file:///etc/passwd')).toHaveBeenCalled();
    expect(openExternal).not.toHaveBeenCalled();
    expect(fire('will-navigate', 'https://github.com/docs')).toHaveBeenCalled();
    expect(openExternal).toHaveBeenCalledExactlyOnceWith('https://github.com/docs');
  });

  it('denies every new window, opening vetted links externally', () => {
    const { open, openExternal } = setup();
    expect(open('https://evil.example/')).toEqual({ action: 'deny' });
    expect(open('app://console/index.html')).toEqual({ action: 'deny' });
    expect(openExternal).not.toHaveBeenCalled();
    expect(open('https://github.com/help')).toEqual({ action: 'deny' });
    expect(openExternal).toHaveBeenCalledWith('https://github.com/help');
  });

  it('refuses webviews and redirects off our origin', () => {
    const { fire } = setup();
    expect(fire('will-attach-webview')).toHaveBeenCalled();
    expect(fire('will-redirect', 'https://evil.example/')).toHaveBeenCalled();
    expect(fire('will-redirect', 'app://console/index.html')).not.toHaveBeenCalled();
  });
});

describe('focusWindow', () => {
  function fakeWindow(state: { minimized?: boolean; visible?: boolean; destroyed?: boolean }) {
    const calls: string[] = [];
    return {
      calls,
      win: {
        isDestroyed: () => state.destroyed ?? false,
        isMinimized: () => state.minimized ?? false,
        isVisible: () => state.visible ?? true,
        restore: () => calls.push('restore'),
        show: () => calls.push('show'),
        focus: () => calls.push('focus'),
      },
    };
  }

  it('restores a minimised window and shows one hidden in the tray before focusing', () => {
    const minimised = fakeWindow({ minimized: true });
    expect(focusWindow(minimised.win)).toBe(true);
    expect(minimised.calls).toEqual(['restore', 'focus']);
    const hidden = fakeWindow({ visible: false });
    focusWindow(hidden.win);
    expect(hidden.calls).toEqual(['show', 'focus']);
  });

  it('does nothing without a live window', () => {
    const destroyed = fakeWindow({ destroyed: true });
    expect(focusWindow(destroyed.win)).toBe(false);
    expect(destroyed.calls).toEqual([]);
    expect(focusWindow(null)).toBe(false);
  });
});
