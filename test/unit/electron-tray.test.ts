import zlib from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import type { Alert } from '../../src-shared/api/models.js';
import { drawTrayIcon, trayIconPng } from '../../src-main/console/electron/tray-icon.js';
import {
  createTrayController,
  describeAlertCount,
  toMenuTemplate,
  trayView,
  type TrayIconVariant,
  type TrayView,
} from '../../src-main/console/electron/tray-model.js';

function alert(id: string, sampleId: string | null = '7'): Alert {
  return { id, event: 'sampleHeld', sampleId, message: `alert ${id}`, at: 1_700_000_000_000 };
}

function setup(paused = false) {
  const views: TrayView[] = [];
  const onOpen = vi.fn();
  const onQuit = vi.fn();
  const onPausedChanged = vi.fn();
  const tray = createTrayController({
    render: (view) => views.push(view),
    onOpen,
    onQuit,
    onPausedChanged,
    paused,
  });
  const last = () => views[views.length - 1];
  return { tray, views, last, onOpen, onQuit, onPausedChanged };
}

describe('tray count through raise, clear and pause', () => {
  it('starts at zero with the normal icon and an empty title', () => {
    const { last, views } = setup();
    expect(views).toHaveLength(1);
    expect(last()).toMatchObject({ count: 0, icon: 'normal', title: '', paused: false });
    expect(last()?.tooltip).toBe('Central Quarantine: no open alerts');
  });

  it('counts raised alerts per server and uncounts cleared ones', () => {
    const { tray, last } = setup();
    tray.handleEvent('embedded', 'alert.raised', alert('a1'));
    tray.handleEvent('embedded', 'alert.raised', alert('a2'));
    tray.handleEvent('remote-1', 'alert.raised', alert('a1'));
    expect(last()).toMatchObject({ count: 3, icon: 'alert', title: '3' });
    expect(last()?.tooltip).toBe('Central Quarantine: 3 open alerts');
    tray.handleEvent('embedded', 'alert.cleared', alert('a1'));
    expect(last()?.count).toBe(2);
    tray.handleEvent('remote-1', 'alert.cleared', alert('a1'));
    tray.handleEvent('embedded', 'alert.cleared', alert('a2'));
    expect(last()).toMatchObject({ count: 0, icon: 'normal', title: '' });
  });

  it('counts an alert raised twice once, and ignores clearing an unknown one', () => {
    const { tray, last, views } = setup();
    tray.handleEvent('embedded', 'alert.raised', alert('a1'));
    tray.handleEvent('embedded', 'alert.raised', alert('a1'));
    tray.handleEvent('embedded', 'alert.cleared', alert('zz'));
    expect(last()?.count).toBe(1);
    expect(views).toHaveLength(2);
  });

  it('ignores other events and payloads that are not alerts', () => {
    const { tray, views } = setup();
    tray.handleEvent('embedded', 'sample.added', alert('a1'));
    tray.handleEvent('embedded', 'alert.raised', { id: 'x', event: 'noSuchEvent' });
    tray.handleEvent('embedded', 'alert.raised', null);
    expect(views).toHaveLength(1);
  });

  it('drops the alerts of a detached server but keeps those of a disconnected one', () => {
    const { tray, last } = setup();
    tray.handleEvent('embedded', 'alert.raised', alert('a1'));
    tray.handleEvent('remote-1', 'alert.raised', alert('a2'));
    tray.handleEvent('remote-2', 'alert.raised', alert('a3'));
    tray.serversChanged([{ id: 'embedded' }, { id: 'remote-2' }]);
    expect(last()?.count).toBe(2);
  });

  it('pauses from the menu checkbox, greying the icon and saying so', () => {
    const { tray, last, onPausedChanged } = setup();
    tray.handleEvent('embedded', 'alert.raised', alert('a1'));
    tray.activate('pause');
    expect(tray.isPaused()).toBe(true);
    expect(onPausedChanged).toHaveBeenLastCalledWith(true);
    expect(last()).toMatchObject({ paused: true, icon: 'paused-alert', count: 1 });
    expect(last()?.tooltip).toBe('Central Quarantine: 1 open alert (notifications paused)');
    expect(last()?.menu).toContainEqual({
      kind: 'checkbox',
      id: 'pause',
      label: 'Pause notifications',
      checked: true,
    });
    tray.handleEvent('embedded', 'alert.cleared', alert('a1'));
    expect(last()?.icon).toBe('paused');
    tray.activate('pause');
    expect(onPausedChanged).toHaveBeenLastCalledWith(false);
    expect(last()).toMatchObject({ paused: false, icon: 'normal' });
  });

  it('routes Open console and Quit', () => {
    const { tray, onOpen, onQuit } = setup();
    tray.activate('open');
    expect(onOpen).toHaveBeenCalledTimes(1);
    expect(onQuit).not.toHaveBeenCalled();
    tray.activate('quit');
    expect(onQuit).toHaveBeenCalledTimes(1);
  });
});

describe('tray menu', () => {
  it('lists the count, Open console, Pause notifications and Quit', () => {
    const view = trayView(2, false);
    expect(view.menu.map((item) => ('label' in item ? item.label : '---'))).toEqual([
      '2 open alerts',
      '---',
      'Open console',
      'Pause notifications',
      '---',
      'Quit',
    ]);
  });

  it('builds an Electron template whose clicks reach the controller', () => {
    const activate = vi.fn();
    const template = toMenuTemplate(trayView(1, true), activate);
    expect(template[0]).toEqual({ label: '1 open alert', enabled: false });
    const pause = template.find((item) => item.id === 'pause');
    expect(pause).toMatchObject({ type: 'checkbox', checked: true });
    pause?.click?.({} as never, undefined, {});
    template.find((item) => item.id === 'quit')?.click?.({} as never, undefined, {});
    expect(activate.mock.calls).toEqual([['pause'], ['quit']]);
  });

  it.each([
    [0, 'No open alerts'],
    [1, '1 open alert'],
    [12, '12 open alerts'],
  ])('describes %i as %s', (count, text) => {
    expect(describeAlertCount(count)).toBe(text);
  });
});

/** Decode the PNGs the tray draws (8-bit RGBA, filter 0 rows). */
function decodePng(png: Buffer): { width: number; height: number; rgba: Buffer } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    const crc = png.readUInt32BE(offset + 8 + length);
    expect(crc).toBe(zlib.crc32(png.subarray(offset + 4, offset + 8 + length)) >>> 0);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([data[8], data[9]]).toEqual([8, 6]);
    }
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width * 4 + 1)]).toBe(0);
    raw.copy(rgba, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  }
  return { width, height, rgba };
}

function pixel(image: { width: number; rgba: Buffer }, x: number, y: number): number[] {
  const i = (y * image.width + x) * 4;
  return [...image.rgba.subarray(i, i + 4)];
}

describe('tray icons', () => {
  const variants: TrayIconVariant[] = ['normal', 'alert', 'paused', 'paused-alert'];

  it.each([16, 32])('encodes every variant as a valid %i px PNG', (size) => {
    for (const variant of variants) {
      const image = decodePng(trayIconPng(variant, size));
      expect([image.width, image.height]).toEqual([size, size]);
      expect(image.rgba).toEqual(Buffer.from(drawTrayIcon(variant, size)));
    }
  });

  it('draws a blue shield, grey while paused, transparent in the corners', () => {
    const normal = decodePng(trayIconPng('normal', 32));
    const paused = decodePng(trayIconPng('paused', 32));
    // Below the lens ring, inside the shield.
    expect(pixel(normal, 16, 26)).toEqual([0x1f, 0x5f, 0xbf, 255]);
    expect(pixel(paused, 16, 26)).toEqual([0x80, 0x80, 0x80, 255]);
    expect(pixel(normal, 0, 31)[3]).toBe(0);
    expect(pixel(normal, 31, 31)[3]).toBe(0);
  });

  it('adds a red badge only while alerts are open', () => {
    const badge = [23, 8];
    const [bx = 0, by = 0] = badge;
    expect(pixel(decodePng(trayIconPng('alert', 32)), bx, by)).toEqual([0xd3, 0x2f, 0x2f, 255]);
    expect(pixel(decodePng(trayIconPng('paused-alert', 32)), bx, by)).toEqual([
      0xd3, 0x2f, 0x2f, 255,
    ]);
    expect(pixel(decodePng(trayIconPng('normal', 32)), bx, by).slice(0, 3)).not.toEqual([
      0xd3, 0x2f, 0x2f,
    ]);
  });
});
