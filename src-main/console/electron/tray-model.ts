/**
 * What the tray shows, as pure data: the open-alert count kept from `alert.raised` /
 * `alert.cleared` events of every attached server, whether notifications are paused, and from
 * those the tooltip, title, icon variant and menu. `tray.ts` only renders it.
 */
import type { MenuItemConstructorOptions } from 'electron';
import { alertSchema, type Alert } from '../../../src-shared/api/models.js';

/** Actions of the tray menu. */
export type TrayAction = 'open' | 'pause' | 'quit';

/** One entry of the tray menu. */
export type TrayMenuItem =
  | { readonly kind: 'label'; readonly label: string }
  | { readonly kind: 'separator' }
  | { readonly kind: 'action'; readonly id: TrayAction; readonly label: string }
  | {
      readonly kind: 'checkbox';
      readonly id: TrayAction;
      readonly label: string;
      readonly checked: boolean;
    };

/** The icon to show: a red badge while alerts are open, greyed while notifications are paused. */
export type TrayIconVariant = 'normal' | 'alert' | 'paused' | 'paused-alert';

/** Everything the tray displays. */
export interface TrayView {
  readonly count: number;
  readonly paused: boolean;
  readonly tooltip: string;
  /** Text next to the icon (macOS menu bar); empty when there is nothing to count. */
  readonly title: string;
  readonly icon: TrayIconVariant;
  readonly menu: readonly TrayMenuItem[];
}

/** "3 open alerts". */
export function describeAlertCount(count: number): string {
  if (count === 0) return 'No open alerts';
  return count === 1 ? '1 open alert' : `${count} open alerts`;
}

/** The view for a count and pause state. */
export function trayView(count: number, paused: boolean): TrayView {
  const counted = describeAlertCount(count);
  const icon: TrayIconVariant =
    count > 0 ? (paused ? 'paused-alert' : 'alert') : paused ? 'paused' : 'normal';
  return {
    count,
    paused,
    tooltip: `Central Quarantine: ${counted.toLowerCase()}${paused ? ' (notifications paused)' : ''}`,
    title: count > 0 ? String(count) : '',
    icon,
    menu: [
      { kind: 'label', label: counted },
      { kind: 'separator' },
      { kind: 'action', id: 'open', label: 'Open console' },
      { kind: 'checkbox', id: 'pause', label: 'Pause notifications', checked: paused },
      { kind: 'separator' },
      { kind: 'action', id: 'quit', label: 'Quit' },
    ],
  };
}

/** The open alerts of every server, keyed by server then alert id (one entry per episode). */
export class AlertTracker {
  readonly #open = new Map<string, Map<string, Alert>>();

  /** Record a raised alert; false if it was already open. */
  raise(serverId: string, alert: Alert): boolean {
    let alerts = this.#open.get(serverId);
    if (!alerts) {
      alerts = new Map();
      this.#open.set(serverId, alerts);
    }
    if (alerts.has(alert.id)) return false;
    alerts.set(alert.id, alert);
    return true;
  }

  /** Record a cleared alert; false if it was not open. */
  clear(serverId: string, alert: Alert): boolean {
    const alerts = this.#open.get(serverId);
    if (!alerts?.delete(alert.id)) return false;
    if (alerts.size === 0) this.#open.delete(serverId);
    return true;
  }

  /** Forget the servers not in `serverIds` (detached); true if the count changed. */
  retain(serverIds: Iterable<string>): boolean {
    const keep = new Set(serverIds);
    let changed = false;
    for (const [id, alerts] of this.#open) {
      if (keep.has(id)) continue;
      changed ||= alerts.size > 0;
      this.#open.delete(id);
    }
    return changed;
  }

  /** Open alerts across all servers. */
  get count(): number {
    let total = 0;
    for (const alerts of this.#open.values()) total += alerts.size;
    return total;
  }
}

/** What the tray controller drives. */
export interface TrayControllerOptions {
  /** Show a new view (called once at creation and after every change). */
  readonly render: (view: TrayView) => void;
  readonly onOpen: () => void;
  readonly onQuit: () => void;
  /** Told when the pause checkbox changes. */
  readonly onPausedChanged?: (paused: boolean) => void;
  readonly paused?: boolean;
}

/** The tray's state machine. */
export interface TrayController {
  /** Feed a server event (only `alert.raised` / `alert.cleared` matter). */
  handleEvent(serverId: string, event: string, payload: unknown): void;
  /** The server list changed: detached servers' alerts no longer count. */
  serversChanged(servers: readonly { readonly id: string }[]): void;
  /** A menu entry was chosen. */
  activate(action: TrayAction): void;
  setPaused(paused: boolean): void;
  isPaused(): boolean;
  view(): TrayView;
}

/** Create the controller; renders the initial view at once. */
export function createTrayController(options: TrayControllerOptions): TrayController {
  const tracker = new AlertTracker();
  let paused = options.paused ?? false;
  let current = trayView(0, paused);
  const update = (): void => {
    const next = trayView(tracker.count, paused);
    if (next.count === current.count && next.paused === current.paused) return;
    current = next;
    options.render(current);
  };
  options.render(current);
  const setPaused = (value: boolean): void => {
    if (value === paused) return;
    paused = value;
    update();
    options.onPausedChanged?.(paused);
  };
  return {
    handleEvent(serverId, event, payload) {
      if (event !== 'alert.raised' && event !== 'alert.cleared') return;
      const alert = alertSchema.safeParse(payload);
      if (!alert.success) return;
      if (event === 'alert.raised') tracker.raise(serverId, alert.data);
      else tracker.clear(serverId, alert.data);
      update();
    },
    serversChanged(servers) {
      if (tracker.retain(servers.map((s) => s.id))) update();
    },
    activate(action) {
      if (action === 'open') options.onOpen();
      else if (action === 'pause') setPaused(!paused);
      else options.onQuit();
    },
    setPaused,
    isPaused: () => paused,
    view: () => current,
  };
}

/**
 * The Electron menu template of a view; `activate` is called with the chosen action. (The
 * checkbox's own checked state is ignored: the controller owns it and re-renders.)
 */
export function toMenuTemplate(
  view: TrayView,
  activate: (action: TrayAction) => void,
): MenuItemConstructorOptions[] {
  return view.menu.map((item): MenuItemConstructorOptions => {
    switch (item.kind) {
      case 'label':
        return { label: item.label, enabled: false };
      case 'separator':
        return { type: 'separator' };
      case 'action':
        return { id: item.id, label: item.label, click: () => activate(item.id) };
      case 'checkbox':
        return {
          id: item.id,
          label: item.label,
          type: 'checkbox',
          checked: item.checked,
          click: () => activate(item.id),
        };
    }
  });
}
