/**
 * Native notifications for alert notices. Live notifications are kept referenced until closed or
 * clicked: a garbage-collected Notification loses its click handler on Windows.
 */
import { Notification } from 'electron';
import type { Logger } from '../../log/logger.js';
import type { FocusItemTarget } from './ipc-channels.js';
import type { AlertNotice } from './notify-model.js';

/** Shows notices; a click calls `onClick` with the notice's target. */
export function createNativeNotifier(options: {
  readonly onClick: (target: FocusItemTarget) => void;
  readonly log: Logger;
}): (notice: AlertNotice) => void {
  const live = new Set<Notification>();
  let warned = false;
  return (notice) => {
    if (!Notification.isSupported()) {
      if (!warned) options.log.warn('native notifications are not supported here');
      warned = true;
      return;
    }
    const notification = new Notification({ title: notice.title, body: notice.body });
    live.add(notification);
    notification.on('click', () => {
      live.delete(notification);
      options.onClick(notice.target);
    });
    notification.on('close', () => live.delete(notification));
    notification.on('failed', (_event, error) => {
      live.delete(notification);
      options.log.warn('notification failed', { error });
    });
    notification.show();
  };
}
