import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_WINDOW_SIZE,
  MIN_WINDOW_SIZE,
  WINDOW_STATE_FILE,
  readWindowStateFile,
  restoreWindowState,
  writeWindowStateFile,
  type DisplayArea,
} from '../../src-main/console/electron/window-state.js';
import { tempDir } from '../helpers/temp.js';

/** A 1920×1080 primary display with a 40 px taskbar, and a 1280×1024 one to its right. */
const primary: DisplayArea = { workArea: { x: 0, y: 0, width: 1920, height: 1040 } };
const right: DisplayArea = { workArea: { x: 1920, y: 0, width: 1280, height: 984 } };
const both = [primary, right];

function saved(x: number, y: number, width: number, height: number, maximized = false) {
  return { bounds: { x, y, width, height }, maximized };
}

describe('restoring the window state', () => {
  it('keeps a window that fits where it was', () => {
    expect(restoreWindowState(saved(100, 80, 1200, 800), both, primary)).toEqual(
      saved(100, 80, 1200, 800),
    );
  });

  it('keeps a window on the second display', () => {
    expect(restoreWindowState(saved(2000, 50, 1000, 700, true), both, primary)).toEqual(
      saved(2000, 50, 1000, 700, true),
    );
  });

  it('pulls a window hanging off the bottom-right edge back inside its display', () => {
    const restored = restoreWindowState(saved(1500, 900, 1000, 700), [primary], primary);
    expect(restored.bounds).toEqual({ x: 920, y: 340, width: 1000, height: 700 });
  });

  it('uses the display that shows most of a window straddling two', () => {
    const restored = restoreWindowState(saved(1700, 100, 1000, 600), both, primary);
    expect(restored.bounds).toEqual({ x: 1920, y: 100, width: 1000, height: 600 });
  });

  it('centres a window saved on a display that is gone on the primary one', () => {
    const restored = restoreWindowState(saved(4000, 200, 1000, 700, true), both, primary);
    expect(restored).toEqual(saved(460, 170, 1000, 700, true));
  });

  it('treats a window with only a sliver visible as gone', () => {
    const restored = restoreWindowState(saved(1880, 100, 1000, 600), [primary], primary);
    expect(restored.bounds).toEqual({ x: 460, y: 220, width: 1000, height: 600 });
  });

  it('shrinks a window larger than its display and grows one below the minimum', () => {
    expect(restoreWindowState(saved(0, 0, 5000, 3000), [primary], primary).bounds).toEqual({
      x: 0,
      y: 0,
      width: 1920,
      height: 1040,
    });
    expect(restoreWindowState(saved(10, 10, 300, 200), [primary], primary).bounds).toEqual({
      x: 10,
      y: 10,
      width: MIN_WINDOW_SIZE.width,
      height: MIN_WINDOW_SIZE.height,
    });
  });

  it.each([
    ['nothing saved', undefined],
    ['not an object', 'garbage'],
    ['missing bounds', { maximized: true }],
    ['fractional numbers', saved(1.5, 0, 800, 600)],
    ['negative size', saved(0, 0, -800, 600)],
    ['huge coordinates', saved(1e9, 0, 800, 600)],
    [
      'a string maximized flag',
      { bounds: { x: 0, y: 0, width: 800, height: 600 }, maximized: 'yes' },
    ],
    ['extra keys', { ...saved(0, 0, 800, 600), fullscreen: true }],
  ])('falls back to the default centred on the primary display for %s', (_name, value) => {
    const restored = restoreWindowState(value, both, primary);
    expect(restored).toEqual({
      bounds: {
        x: (1920 - DEFAULT_WINDOW_SIZE.width) / 2,
        y: (1040 - DEFAULT_WINDOW_SIZE.height) / 2,
        width: DEFAULT_WINDOW_SIZE.width,
        height: DEFAULT_WINDOW_SIZE.height,
      },
      maximized: false,
    });
  });

  it('fits the default into a small primary display', () => {
    const small: DisplayArea = { workArea: { x: 0, y: 0, width: 1024, height: 728 } };
    expect(restoreWindowState(undefined, [small], small).bounds).toEqual({
      x: 0,
      y: 0,
      width: 1024,
      height: 728,
    });
  });
});

describe('window state file', () => {
  it('round-trips through userData, rounding to whole pixels', () => {
    const dir = path.join(tempDir('cq-electron-state-'), 'userData');
    expect(
      writeWindowStateFile(dir, {
        bounds: { x: 10.4, y: 20.6, width: 1000, height: 700 },
        maximized: true,
      }),
    ).toBe(true);
    expect(readWindowStateFile(dir)).toEqual(saved(10, 21, 1000, 700, true));
    expect(fs.readdirSync(dir)).toEqual([WINDOW_STATE_FILE]);
  });

  it('does not write an invalid state, and reads a corrupt file as nothing', () => {
    const dir = tempDir('cq-electron-state-');
    expect(
      writeWindowStateFile(dir, {
        bounds: { x: NaN, y: 0, width: 800, height: 600 },
        maximized: false,
      }),
    ).toBe(false);
    expect(fs.existsSync(path.join(dir, WINDOW_STATE_FILE))).toBe(false);
    fs.writeFileSync(path.join(dir, WINDOW_STATE_FILE), '{"bounds": ');
    expect(readWindowStateFile(dir)).toBeUndefined();
    expect(readWindowStateFile(path.join(dir, 'missing'))).toBeUndefined();
  });
});
