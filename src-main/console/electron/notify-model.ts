/**
 * Which server events become native notifications and what they say: a raised alert, titled with
 * the event's name from the catalog, its message and the server as body, and the item to select
 * when the notification is clicked. Nothing is shown while notifications are paused, and an alert
 * is announced once per episode.
 */
import { getAlertEvent } from '../../../src-shared/catalog/events.js';
import { alertSchema, type Alert } from '../../../src-shared/api/models.js';
import type { FocusItemTarget } from './ipc-channels.js';

/** One native notification, ready to show. */
export interface AlertNotice {
  readonly title: string;
  readonly body: string;
  /** What a click selects in the console. */
  readonly target: FocusItemTarget;
}

/** Longest message shown (notification centres cut long text anyway). */
const MAX_MESSAGE = 240;

/** How many announced alerts are remembered for de-duplication. */
const REMEMBERED = 1000;

/** The notice for one raised alert. */
export function alertNotice(serverId: string, serverLabel: string, alert: Alert): AlertNotice {
  const message =
    alert.message.length > MAX_MESSAGE
      ? `${alert.message.slice(0, MAX_MESSAGE - 1)}…`
      : alert.message;
  return {
    title: getAlertEvent(alert.event).name,
    body: `${message}\nServer: ${serverLabel}`,
    target: { serverId, sampleId: alert.sampleId },
  };
}

/** What the notifier needs. */
export interface AlertNotifierOptions {
  readonly isPaused: () => boolean;
  /** The server's name in the tree (its id when unknown). */
  readonly serverLabel: (serverId: string) => string;
  readonly show: (notice: AlertNotice) => void;
}

/** Feeds server events; returns the notice shown, or null. */
export type AlertNotifier = (
  serverId: string,
  event: string,
  payload: unknown,
) => AlertNotice | null;

/** Create the notifier. */
export function createAlertNotifier(options: AlertNotifierOptions): AlertNotifier {
  const announced = new Set<string>();
  return (serverId, event, payload) => {
    if (event !== 'alert.raised') return null;
    const parsed = alertSchema.safeParse(payload);
    if (!parsed.success) return null;
    const key = `${serverId}\u0000${parsed.data.id}`;
    if (announced.has(key)) return null;
    announced.add(key);
    if (announced.size > REMEMBERED) {
      const oldest = announced.values().next().value;
      if (oldest !== undefined) announced.delete(oldest);
    }
    // Paused alerts still count as announced: resuming must not replay a backlog.
    if (options.isPaused()) return null;
    const notice = alertNotice(serverId, options.serverLabel(serverId), parsed.data);
    options.show(notice);
    return notice;
  };
}
