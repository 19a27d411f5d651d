/**
 * Defcast's alert conditions, recomputed on every pass from the store and reported to the
 * alert engine only when they change: raised when they start to hold, cleared when they end,
 * so an alert lasts exactly as long as its cause (SPEC §8).
 */
import type { AlertEventId } from '../../../src-shared/catalog/events.js';
import type { DefcastAlerts } from './defcast-types.js';

interface Wanted {
  readonly event: AlertEventId;
  readonly sampleId: number | null;
  readonly message: string;
}

/** Collects the conditions of one pass, then reports the difference to the last pass. */
export class ConditionSet {
  private current = new Map<string, Wanted>();
  private next = new Map<string, Wanted>();

  constructor(private alerts: DefcastAlerts | undefined) {}

  /** Report to `alerts` from now on, starting with what holds already. */
  connect(alerts: DefcastAlerts): void {
    this.alerts = alerts;
    for (const held of this.current.values()) {
      alerts.setCondition(held.event, true, held.message, held.sampleId);
    }
  }

  /** The condition holds in this pass. */
  hold(event: AlertEventId, message: string, sampleId: number | null = null): void {
    this.next.set(`${event}:${sampleId ?? ''}`, { event, sampleId, message });
  }

  /** Report what started, changed or ended since the last pass. */
  commit(): void {
    for (const [key, wanted] of this.next) {
      if (this.current.get(key)?.message !== wanted.message) {
        this.alerts?.setCondition(wanted.event, true, wanted.message, wanted.sampleId);
      }
    }
    for (const [key, old] of this.current) {
      if (!this.next.has(key))
        this.alerts?.setCondition(old.event, false, old.message, old.sampleId);
    }
    this.current = this.next;
    this.next = new Map();
  }

  /** Conditions that held in the last pass (tests, diagnostics). */
  snapshot(): Wanted[] {
    return [...this.current.values()];
  }
}
