/**
 * The console window's size and place between runs (`<userData>/window-state.json`). What is
 * read back is validated and fitted to the displays attached now, so a window saved on a monitor
 * that has since been unplugged comes back on one the user can see.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { createLogger } from '../../log/logger.js';

/** A rectangle in screen coordinates (DIPs). */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** What is saved. */
export interface WindowState {
  readonly bounds: Rect;
  readonly maximized: boolean;
}

/** The part of Electron's `Display` the fitting reads. */
export interface DisplayArea {
  readonly workArea: Rect;
}

/** File name inside userData. */
export const WINDOW_STATE_FILE = 'window-state.json';

/** Size of a first window, shrunk to the display if that is smaller. */
export const DEFAULT_WINDOW_SIZE = { width: 1280, height: 800 } as const;

/** Smallest useful window (tree + list + a readable properties dialog). */
export const MIN_WINDOW_SIZE = { width: 800, height: 560 } as const;

/** How much of a saved window must be on a display for it to stay where it was. */
const MIN_VISIBLE = { width: 120, height: 60 } as const;

const coordinate = z.number().int().min(-100_000).max(100_000);
const extent = z.number().int().min(1).max(100_000);

/** The file's schema. */
export const windowStateSchema = z.strictObject({
  bounds: z.strictObject({ x: coordinate, y: coordinate, width: extent, height: extent }),
  maximized: z.boolean(),
});

const log = createLogger('console.window-state');

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return { width: Math.max(0, width), height: Math.max(0, height) };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), Math.max(low, high));
}

/** A window of `size` (shrunk to fit) centred in `area`. */
function centred(size: { width: number; height: number }, area: Rect): Rect {
  const width = Math.min(size.width, area.width);
  const height = Math.min(size.height, area.height);
  return {
    x: area.x + Math.floor((area.width - width) / 2),
    y: area.y + Math.floor((area.height - height) / 2),
    width,
    height,
  };
}

/** `bounds` fitted inside `area`: no larger than it, moved in so no edge hangs off it. */
function fitInside(bounds: Rect, area: Rect, min: { width: number; height: number }): Rect {
  const width = Math.min(Math.max(bounds.width, min.width), area.width);
  const height = Math.min(Math.max(bounds.height, min.height), area.height);
  return {
    x: clamp(bounds.x, area.x, area.x + area.width - width),
    y: clamp(bounds.y, area.y, area.y + area.height - height),
    width,
    height,
  };
}

/**
 * The window to open from what was saved (anything, possibly garbage) and the displays attached
 * now. A valid state that is still visible enough is fitted to the display showing most of it;
 * otherwise the saved size (or the default) is centred on the primary display.
 */
export function restoreWindowState(
  saved: unknown,
  displays: readonly DisplayArea[],
  primary: DisplayArea,
  min: { width: number; height: number } = MIN_WINDOW_SIZE,
): WindowState {
  const parsed = windowStateSchema.safeParse(saved);
  if (!parsed.success)
    return { bounds: centred(DEFAULT_WINDOW_SIZE, primary.workArea), maximized: false };
  const { bounds, maximized } = parsed.data;
  let best: { area: Rect; visible: number } | null = null;
  for (const display of displays) {
    const o = overlap(bounds, display.workArea);
    if (o.width < MIN_VISIBLE.width || o.height < MIN_VISIBLE.height) continue;
    const visible = o.width * o.height;
    if (!best || visible > best.visible) best = { area: display.workArea, visible };
  }
  if (!best) return { bounds: centred(bounds, primary.workArea), maximized };
  return { bounds: fitInside(bounds, best.area, min), maximized };
}

/** The file system calls persistence makes (injectable for tests). */
export interface StateFileSystem {
  readFileSync(file: string, encoding: 'utf8'): string;
  writeFileSync(file: string, data: string): void;
  renameSync(from: string, to: string): void;
  mkdirSync(dir: string, options: { recursive: true }): unknown;
}

/** Read the saved state as untrusted JSON; undefined when there is none or it is not JSON. */
export function readWindowStateFile(dir: string, files: StateFileSystem = fs): unknown {
  const file = path.join(dir, WINDOW_STATE_FILE);
  try {
    return JSON.parse(files.readFileSync(file, 'utf8')) as unknown;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      log.warn('ignoring an unreadable window state', { file, error: String(error) });
    return undefined;
  }
}

/** Save the state atomically (temp file, then rename). Failures are logged, never thrown. */
export function writeWindowStateFile(
  dir: string,
  state: WindowState,
  files: StateFileSystem = fs,
): boolean {
  const checked = windowStateSchema.safeParse({
    bounds: {
      x: Math.round(state.bounds.x),
      y: Math.round(state.bounds.y),
      width: Math.round(state.bounds.width),
      height: Math.round(state.bounds.height),
    },
    maximized: state.maximized,
  });
  if (!checked.success) {
    log.warn('not saving an invalid window state');
    return false;
  }
  const file = path.join(dir, WINDOW_STATE_FILE);
  const temp = `${file}.tmp`;
  try {
    files.mkdirSync(dir, { recursive: true });
    files.writeFileSync(temp, JSON.stringify(checked.data) + '\n');
    files.renameSync(temp, file);
    return true;
  } catch (error) {
    log.warn('cannot save the window state', { file, error: String(error) });
    return false;
  }
}
