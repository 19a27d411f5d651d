/**
 * The tray icon of the running console: icon variant, tooltip (and title on macOS), the app badge
 * and the menu, all rendered from `tray-model.ts`. Clicking the icon opens the console.
 */
import { app, Menu, nativeImage, Tray, type NativeImage } from 'electron';
import { trayIconPng } from './tray-icon.js';
import {
  createTrayController,
  toMenuTemplate,
  type TrayController,
  type TrayIconVariant,
  type TrayView,
} from './tray-model.js';

/** What the tray needs from the rest of the app. */
export interface ConsoleTrayOptions {
  readonly onOpen: () => void;
  readonly onQuit: () => void;
  readonly onPausedChanged?: (paused: boolean) => void;
  readonly paused?: boolean;
}

/** The tray and its controller. */
export interface ConsoleTray {
  readonly controller: TrayController;
  destroy(): void;
}

/** One icon with a 1x (16 px) and a 2x (32 px) representation. */
function iconOf(variant: TrayIconVariant): NativeImage {
  const image = nativeImage.createFromBuffer(trayIconPng(variant, 16), { scaleFactor: 1 });
  image.addRepresentation({ scaleFactor: 2, buffer: trayIconPng(variant, 32) });
  return image;
}

/** Create the tray icon (call after `ready`). */
export function createConsoleTray(options: ConsoleTrayOptions): ConsoleTray {
  const icons = new Map<TrayIconVariant, NativeImage>();
  const icon = (variant: TrayIconVariant): NativeImage => {
    let image = icons.get(variant);
    if (!image) {
      image = iconOf(variant);
      icons.set(variant, image);
    }
    return image;
  };
  const tray = new Tray(icon('normal'));
  const render = (view: TrayView): void => {
    if (tray.isDestroyed()) return;
    tray.setImage(icon(view.icon));
    tray.setToolTip(view.tooltip);
    if (process.platform === 'darwin') tray.setTitle(view.title);
    tray.setContextMenu(
      Menu.buildFromTemplate(toMenuTemplate(view, (action) => controller.activate(action))),
    );
    // Dock / launcher badge where the platform has one (macOS, Unity); a no-op elsewhere.
    app.setBadgeCount(view.count);
  };
  // `render` only reaches `controller` from a menu click, after it is assigned.
  const controller: TrayController = createTrayController({ ...options, render });
  tray.on('click', () => options.onOpen());
  return {
    controller,
    destroy: () => {
      if (!tray.isDestroyed()) tray.destroy();
    },
  };
}
