/**
 * What the agent tells the alert engine (SPEC §8, guide table 4-3): conditions that hold for a
 * while ("Unable to connect to the Gateway", "The Quarantine Agent service has stopped",
 * "Waiting for needed definitions") and moments ("New Certified / non-certified definitions
 * arrived"). The alert engine applies its own timeouts; the agent reports at once.
 */
import type { AlertEventId } from '../../../src-shared/catalog/events.js';

/** Conditions the agent reports. */
export const AGENT_CONDITIONS = [
  'gatewayUnreachable',
  'agentStopped',
  'waitingForDefinitions',
] as const satisfies readonly AlertEventId[];

/** One agent condition. */
export type AgentConditionId = (typeof AGENT_CONDITIONS)[number];

/** Moments the agent reports. */
export type AgentNoticeId = Extract<
  AlertEventId,
  'newCertifiedDefinitions' | 'newNonCertifiedDefinitions'
>;

/** A condition that started or ended. */
export interface AgentConditionChange {
  readonly event: AgentConditionId;
  readonly active: boolean;
  /** When the condition started (the start of the episode that just ended, when inactive). */
  readonly since: number;
  readonly message: string;
}

/** A condition that holds now. */
export interface ActiveCondition {
  readonly event: AgentConditionId;
  readonly since: number;
  readonly message: string;
}

/** A moment worth an alert. */
export interface AgentNotice {
  readonly event: AgentNoticeId;
  readonly message: string;
  readonly sampleId: number | null;
}

/** Subscribe to conditions and notices; each `on…` returns an unsubscribe function. */
export interface AgentSignalSource {
  /** Conditions holding now. */
  active(): ActiveCondition[];
  /** Since when a condition holds, or null. */
  since(event: AgentConditionId): number | null;
  onCondition(listener: (change: AgentConditionChange) => void): () => void;
  onNotice(listener: (notice: AgentNotice) => void): () => void;
}

/** The agent's side: set conditions and announce notices. */
export class AgentSignals implements AgentSignalSource {
  private readonly conditions = new Map<AgentConditionId, ActiveCondition>();
  private readonly conditionListeners = new Set<(change: AgentConditionChange) => void>();
  private readonly noticeListeners = new Set<(notice: AgentNotice) => void>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Conditions holding now. */
  active(): ActiveCondition[] {
    return [...this.conditions.values()];
  }

  /** Since when a condition holds, or null. */
  since(event: AgentConditionId): number | null {
    return this.conditions.get(event)?.since ?? null;
  }

  /** Be told when a condition starts or ends. */
  onCondition(listener: (change: AgentConditionChange) => void): () => void {
    this.conditionListeners.add(listener);
    return () => this.conditionListeners.delete(listener);
  }

  /** Be told about notices. */
  onNotice(listener: (notice: AgentNotice) => void): () => void {
    this.noticeListeners.add(listener);
    return () => this.noticeListeners.delete(listener);
  }

  /**
   * Report whether a condition holds. Listeners hear only starts and ends; a condition that
   * keeps holding keeps its start time. Returns true when this call started or ended it.
   */
  set(event: AgentConditionId, active: boolean, message: string): boolean {
    const existing = this.conditions.get(event);
    if (active && existing) return false;
    if (!active && !existing) return false;
    let change: AgentConditionChange;
    if (active) {
      const since = this.now();
      this.conditions.set(event, { event, since, message });
      change = { event, active, since, message };
    } else {
      this.conditions.delete(event);
      change = { event, active, since: existing!.since, message };
    }
    for (const listener of this.conditionListeners) listener(change);
    return true;
  }

  /** Announce a notice. */
  notify(notice: AgentNotice): void {
    for (const listener of this.noticeListeners) listener(notice);
  }
}

/** The alert engine's two entry points, as the agent's signals need them. */
export interface AlertSink {
  setCondition(event: AlertEventId, active: boolean, message: string): void;
  notify(event: AlertEventId, message: string, sampleId?: number | null): void;
}

/**
 * Feed the agent's conditions (those already holding, then every change) and notices to the
 * alert engine. Returns a function that stops feeding.
 */
export function bindAgentAlerts(source: AgentSignalSource, sink: AlertSink): () => void {
  for (const condition of source.active())
    sink.setCondition(condition.event, true, condition.message);
  const stopConditions = source.onCondition((change) =>
    sink.setCondition(change.event, change.active, change.message),
  );
  const stopNotices = source.onNotice((notice) =>
    sink.notify(notice.event, notice.message, notice.sampleId),
  );
  return () => {
    stopConditions();
    stopNotices();
  };
}
