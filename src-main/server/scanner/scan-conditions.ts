/**
 * The conditions the scanner and the definitions store report for the alert engine (SPEC §8,
 * guide table 4-3): server-wide ones that hold while a problem lasts, and per-sample ones. This
 * module only says what holds; the alert engine decides when an alert fires (timeouts,
 * channels) and raises it once per episode.
 */
import type { AlertEventId } from '../../../src-shared/catalog/events.js';

/** The alert events whose conditions the scanner reports. */
export type ScannerConditionEvent = Extract<
  AlertEventId,
  | 'scannerUnreachable'
  | 'definitionDirectoryInaccessible'
  | 'sampleNotRepaired'
  | 'sampleDefinitionsInstallFailed'
>;

/** One condition starting, changing its message, or ending. */
export interface ConditionChange {
  readonly event: ScannerConditionEvent;
  readonly active: boolean;
  readonly message: string;
  /** The sample of a per-sample condition, else null. */
  readonly sampleId: number | null;
  readonly at: number;
}

/** Listens to condition changes. */
export type ConditionListener = (change: ConditionChange) => void;

/** The conditions currently holding, with change notifications. */
export class ScannerConditions {
  private readonly holding = new Map<string, ConditionChange>();
  private readonly listeners = new Set<ConditionListener>();

  /** True while the scanning engine cannot scan ("Cannot connect to Quarantine Scanner svc"). */
  get scannerUnreachable(): boolean {
    return this.holding.has(key('scannerUnreachable', null));
  }

  /** True while the definitions folder cannot be read or written. */
  get definitionDirectoryInaccessible(): boolean {
    return this.holding.has(key('definitionDirectoryInaccessible', null));
  }

  /** Whether a condition holds (for a sample, when per-sample). */
  holds(event: ScannerConditionEvent, sampleId: number | null = null): boolean {
    return this.holding.has(key(event, sampleId));
  }

  /** Every condition that holds now, oldest first (replay these when attaching late). */
  active(): ConditionChange[] {
    return [...this.holding.values()];
  }

  /** Be told about every change; returns the function that stops listening. */
  onChange(listener: ConditionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Say whether a condition holds. Listeners hear a change of state, or a new message while it
   * holds; repeating the same state and message is not news.
   */
  set(
    event: ScannerConditionEvent,
    active: boolean,
    message: string,
    sampleId: number | null = null,
  ): void {
    const k = key(event, sampleId);
    const existing = this.holding.get(k);
    if (active && existing?.message === message) return;
    if (!active && !existing) return;
    const change: ConditionChange = { event, active, message, sampleId, at: Date.now() };
    if (active) this.holding.set(k, existing ? { ...change, at: existing.at } : change);
    else this.holding.delete(k);
    for (const listener of this.listeners) listener(change);
  }

  /** End every per-sample condition of samples that are gone. */
  forgetSamples(ids: readonly number[]): void {
    const gone = new Set(ids);
    for (const change of this.active()) {
      if (change.sampleId !== null && gone.has(change.sampleId))
        this.set(change.event, false, 'the sample was deleted', change.sampleId);
    }
  }
}

function key(event: ScannerConditionEvent, sampleId: number | null): string {
  return `${event}:${sampleId ?? ''}`;
}
