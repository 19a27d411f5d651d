/**
 * What the agent remembers about samples it is working on, beyond their attributes: the
 * submission attempt in progress (persisted before anything is sent, so that a crash between
 * sending and recording the cookie is noticed at the next start), attempts, the last gateway
 * error, the next try and how the submitted copy was stripped. Kept in the settings table, one
 * small JSON value per sample, so a change writes one row; dropped once the agent is done.
 */
import type { SettingsRepo } from '../store/index.js';

/** Settings key prefix of the records (`agent.sample.<id>`). */
export const AGENT_RECORD_PREFIX = 'agent.sample.';

/** The last problem the gateway (or the way to it) caused for a sample. */
export interface RecordedError {
  readonly at: number;
  /** The X-Error code when the gateway gave one. */
  readonly code: string | null;
  readonly message: string;
}

/** How the submitted copy was stripped. */
export interface RecordedStrip {
  readonly method: string;
  readonly checksum: string;
  readonly size: number;
  readonly removed: number;
}

/** The agent's notes on one sample. */
export interface AgentRecord {
  /** Submission attempts since the sample was (re)released. */
  readonly attempts: number;
  readonly lastAttemptAt: number | null;
  /** True from persisting an attempt until its answer is recorded. */
  readonly sending: boolean;
  readonly lastError: RecordedError | null;
  readonly nextAttemptAt: number | null;
  readonly strip: RecordedStrip | null;
  /** When the gateway first reported the sample deferred for an expert. */
  readonly deferredSince: number | null;
}

const EMPTY: AgentRecord = {
  attempts: 0,
  lastAttemptAt: null,
  sending: false,
  lastError: null,
  nextAttemptAt: null,
  strip: null,
  deferredSince: null,
};

/** The records, in memory and in the settings table. */
export class AgentRecords {
  private readonly records = new Map<number, AgentRecord>();

  constructor(private readonly settings: SettingsRepo) {
    for (const key of settings.keys()) {
      if (!key.startsWith(AGENT_RECORD_PREFIX)) continue;
      const id = key.slice(AGENT_RECORD_PREFIX.length);
      const record = settings.get<Partial<AgentRecord>>(key);
      if (/^\d+$/.test(id) && record && typeof record === 'object') {
        this.records.set(Number(id), { ...EMPTY, ...record });
      }
    }
  }

  /** A sample's record (an empty one when there is none). */
  get(id: number): AgentRecord {
    return this.records.get(id) ?? EMPTY;
  }

  /** Ids of the samples with a record. */
  ids(): number[] {
    return [...this.records.keys()];
  }

  /** Ids with an attempt persisted but no answer recorded (from before a crash or stop). */
  unanswered(): number[] {
    return [...this.records].filter(([, r]) => r.sending).map(([id]) => id);
  }

  /**
   * Change a sample's record in memory and in its settings row. Call inside a store
   * transaction (a committer job) so the write is durable with the rest of the step.
   */
  update(id: number, change: Partial<AgentRecord>): AgentRecord {
    const next = { ...this.get(id), ...change };
    this.settings.set(AGENT_RECORD_PREFIX + String(id), next);
    this.records.set(id, next);
    return next;
  }

  /** Forget a sample (the agent is done with it); inside a store transaction. */
  remove(id: number): void {
    if (this.records.delete(id)) this.settings.remove(AGENT_RECORD_PREFIX + String(id));
  }

  /** Forget the records of samples `keep` rejects (deleted, or done with); returns their ids. */
  prune(keep: (id: number) => boolean): number[] {
    const dropped = [...this.records.keys()].filter((id) => !keep(id));
    for (const id of dropped) this.remove(id);
    return dropped;
  }
}
