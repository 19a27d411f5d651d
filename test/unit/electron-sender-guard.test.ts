import { describe, expect, it } from 'vitest';
import { APP_ENTRY_URL } from '../../src-main/console/electron/app-protocol.js';
import {
  checkIpcSender,
  isAppOriginUrl,
  type SenderEvent,
  type SenderFrame,
} from '../../src-main/console/electron/sender-guard.js';

/** A fake webContents with its main frame, as Electron's `WebContents.mainFrame`. */
function fakeContents(url = APP_ENTRY_URL): { mainFrame: SenderFrame } {
  return { mainFrame: { url, parent: null } };
}

function eventFrom(sender: unknown, frame: SenderFrame | null): SenderEvent {
  return { sender, senderFrame: frame };
}

describe('IPC sender guard', () => {
  const ours = fakeContents();

  it('accepts the main frame of our window on app://console', () => {
    expect(checkIpcSender(eventFrom(ours, ours.mainFrame), ours)).toEqual({ ok: true });
  });

  it('accepts a fresh wrapper of our main frame (same process and routing id)', () => {
    const contents = {
      mainFrame: { url: APP_ENTRY_URL, parent: null, processId: 4, routingId: 1 },
    };
    const again: SenderFrame = { url: APP_ENTRY_URL, parent: null, processId: 4, routingId: 1 };
    expect(checkIpcSender(eventFrom(contents, again), contents)).toEqual({ ok: true });
  });

  it('accepts any page of our origin in the main frame', () => {
    const contents = fakeContents('app://console/index.html#/servers/embedded?tab=alerts');
    expect(checkIpcSender(eventFrom(contents, contents.mainFrame), contents).ok).toBe(true);
  });

  const refusals: [
    string,
    () => { event: SenderEvent; trusted: { mainFrame: SenderFrame } | null },
  ][] = [
    [
      'another origin (a remote page)',
      () => {
        const c = fakeContents('https://evil.example/index.html');
        return { event: eventFrom(c, c.mainFrame), trusted: c };
      },
    ],
    [
      'file://',
      () => {
        const c = fakeContents('file:///opt/central-quarantine/dist-renderer/index.html');
        return { event: eventFrom(c, c.mainFrame), trusted: c };
      },
    ],
    [
      'our scheme with another host',
      () => {
        const c = fakeContents('app://evil/index.html');
        return { event: eventFrom(c, c.mainFrame), trusted: c };
      },
    ],
    [
      'credentials smuggled into our origin',
      () => {
        const c = fakeContents('app://user:pw@console/index.html');
        return { event: eventFrom(c, c.mainFrame), trusted: c };
      },
    ],
    [
      'a sub-frame of our window, even on our origin',
      () => {
        const c = fakeContents();
        const sub: SenderFrame = { url: APP_ENTRY_URL, parent: c.mainFrame };
        return { event: eventFrom(c, sub), trusted: c };
      },
    ],
    [
      'a frame that is not the main frame but claims no parent',
      () => {
        const c = fakeContents();
        const other: SenderFrame = { url: APP_ENTRY_URL, parent: null };
        return { event: eventFrom(c, other), trusted: c };
      },
    ],
    [
      'a top-level frame with another routing id',
      () => {
        const c = { mainFrame: { url: APP_ENTRY_URL, parent: null, processId: 4, routingId: 1 } };
        const other: SenderFrame = { url: APP_ENTRY_URL, parent: null, processId: 4, routingId: 2 };
        return { event: eventFrom(c, other), trusted: c };
      },
    ],
    [
      'another webContents (devtools, a popup) on our origin',
      () => {
        const c = fakeContents();
        const stranger = fakeContents();
        return { event: eventFrom(stranger, stranger.mainFrame), trusted: c };
      },
    ],
    [
      'a frame that has already gone away',
      () => {
        const c = fakeContents();
        return { event: eventFrom(c, null), trusted: c };
      },
    ],
    [
      'anything while there is no window',
      () => {
        const c = fakeContents();
        return { event: eventFrom(c, c.mainFrame), trusted: null };
      },
    ],
  ];

  for (const [name, make] of refusals) {
    it(`rejects ${name}`, () => {
      const { event, trusted } = make();
      const verdict = checkIpcSender(event, trusted);
      expect(verdict.ok).toBe(false);
      if (!verdict.ok) expect(verdict.reason.length).toBeGreaterThan(0);
    });
  }

  it.each([
    ['app://console/index.html', true],
    ['app://console', true],
    ['app://CONSOLE/index.html', true],
    ['app://console.evil/index.html', false],
    ['http://console/index.html', false],
    ['devtools://devtools/bundled/index.html', false],
    ['not a url', false],
  ])('isAppOriginUrl(%s) = %s', (url, expected) => {
    expect(isAppOriginUrl(url)).toBe(expected);
  });
});
