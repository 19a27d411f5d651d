/**
 * The alert engine of SPEC §8: every event of the guide's table 4-3 is a condition that
 * holds or not, server-wide or per sample. An alert is raised once per episode, when its
 * condition has held for the event's timeout, and cleared when the condition ends. Components
 * report conditions (`setCondition`, `notify`); per-sample status events are derived from the
 * samples table on every evaluation.
 */
import os from 'node:os';
import type { Alert } from '../../../src-shared/api/contract.js';
import { getAlertEvent, type AlertEventId } from '../../../src-shared/catalog/events.js';
import type { SampleStatus } from '../../../src-shared/catalog/tokens.js';
import type { Config } from '../../../src-shared/config/schema.js';
import { createLogger } from '../../log/logger.js';
import type { ConfigService } from '../config-service.js';
import type { EventBus, QuarantineLog } from '../context.js';
import type { AlertRow, AlertsRepo } from '../store/alerts-repo.js';
import { sendAlertMail, writeSystemLog, type AlertNotice } from './channels.js';

const log = createLogger('alerts');

/** Per-sample events that hold while a sample is in a status (guide table 4-3). */
export const STATUS_EVENTS: Readonly<Partial<Record<AlertEventId, SampleStatus>>> = {
  sampleTooLongQuarantined: 'quarantined',
  sampleTooLongReleased: 'released',
  sampleTooLongSubmitted: 'submitted',
  sampleTooLongNeeded: 'needed',
  sampleTooLongDistribute: 'distribute',
  sampleTooLongDistributed: 'distributed',
  sampleHeld: 'held',
  sampleProcessingError: 'error',
  sampleNeedsAttention: 'attention',
  sampleDefinitionsHeld: 'available',
};

/** Events that mark a moment rather than a state: raised and cleared at once. */
const MOMENT_EVENTS: ReadonlySet<AlertEventId> = new Set([
  'newCertifiedDefinitions',
  'newNonCertifiedDefinitions',
]);

/** Most samples one evaluation raises per event (the rest follow on the next pass). */
const PER_PASS_LIMIT = 500;

interface Condition {
  readonly event: AlertEventId;
  readonly sampleId: number | null;
  readonly since: number;
  message: string;
}

/** Sends a raised or cleared alert to the optional channels. */
export type AlertDispatcher = (
  config: Config,
  notice: AlertNotice,
  channels: { email: boolean; eventLog: boolean },
) => Promise<void>;

/** Default dispatcher: email and system event log as configured. */
export const dispatchToChannels: AlertDispatcher = async (config, notice, channels) => {
  const jobs: Promise<unknown>[] = [];
  if (channels.email) jobs.push(sendAlertMail(config, notice));
  if (channels.eventLog && config.alerting.syslog) jobs.push(writeSystemLog(notice));
  await Promise.all(jobs);
};

/** Options of the alert engine. */
export interface AlertEngineOptions {
  readonly repo: AlertsRepo;
  readonly config: ConfigService;
  readonly qlog: QuarantineLog;
  readonly events: EventBus;
  readonly dispatch?: AlertDispatcher;
  readonly now?: () => number;
  /** How often conditions are re-evaluated. Default 5 s. */
  readonly intervalMs?: number;
}

/** Map a stored episode to the API shape. */
export function toAlert(row: AlertRow): Alert {
  return {
    id: String(row.id),
    event: row.event as AlertEventId,
    sampleId: row.sampleId === null ? null : String(row.sampleId),
    message: row.message,
    at: row.clearedAt ?? row.raisedAt,
  };
}

/** Raises and clears alerts from reported and derived conditions. */
export class AlertEngine {
  private readonly conditions = new Map<string, Condition>();
  private readonly now: () => number;
  private readonly dispatch: AlertDispatcher;
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: AlertEngineOptions) {
    this.now = options.now ?? Date.now;
    this.dispatch = options.dispatch ?? dispatchToChannels;
  }

  /** Evaluate now and then periodically. */
  start(): void {
    this.evaluate();
    this.timer = setInterval(() => this.evaluate(), this.options.intervalMs ?? 5_000);
    this.timer.unref();
  }

  /** Stop evaluating and wait for channel deliveries in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.pending;
  }

  /**
   * Report whether a condition holds. The alert fires once it has held for the event's
   * timeout (on the next evaluation) and clears when it is reported false.
   */
  setCondition(
    event: AlertEventId,
    active: boolean,
    message: string,
    sampleId: number | null = null,
  ): void {
    const key = `${event}:${sampleId ?? ''}`;
    const existing = this.conditions.get(key);
    if (active) {
      if (existing) existing.message = message;
      else this.conditions.set(key, { event, sampleId, since: this.now(), message });
    } else if (existing) {
      this.conditions.delete(key);
    }
    this.evaluate();
  }

  /** Report a moment (e.g. new definitions arrived): raised and cleared at once. */
  notify(event: AlertEventId, message: string, sampleId: number | null = null): void {
    if (!this.settings(event).enabled) return;
    const at = this.now();
    const row = this.options.repo.raise(event, sampleId, at, message);
    this.options.repo.clear(row.id, at);
    this.announce(row, false);
  }

  /** Episodes for the API, newest first. */
  list(openOnly: boolean, limit = 500): Alert[] {
    return this.options.repo.list(openOnly, limit).map(toAlert);
  }

  /** Resolves when every channel delivery started so far has settled (tests, shutdown). */
  settled(): Promise<unknown> {
    return this.pending;
  }

  /** One pass: raise what has held long enough, clear what no longer holds. */
  evaluate(): void {
    const config = this.options.config.get();
    const now = this.now();
    const wanted = new Map<
      string,
      { event: AlertEventId; sampleId: number | null; message: string }
    >();

    for (const condition of this.conditions.values()) {
      const settings = config.alerting.events[condition.event];
      if (settings.enabled && now - condition.since >= settings.timeoutSeconds * 1000) {
        wanted.set(`${condition.event}:${condition.sampleId ?? ''}`, condition);
      }
    }
    for (const [event, status] of Object.entries(STATUS_EVENTS) as [AlertEventId, SampleStatus][]) {
      const settings = config.alerting.events[event];
      if (!settings.enabled) continue;
      const before = now - settings.timeoutSeconds * 1000;
      for (const sample of this.options.repo.samplesInStatusSince(status, before, PER_PASS_LIMIT)) {
        wanted.set(`${event}:${sample.id}`, {
          event,
          sampleId: sample.id,
          message: `Sample ${sample.id} has been ${status} since ${new Date(sample.since).toUTCString()}`,
        });
      }
    }

    // Clear open episodes whose condition ended (or whose event was disabled).
    for (const row of this.options.repo.open()) {
      const key = `${row.event}:${row.sampleId ?? ''}`;
      if (wanted.has(key)) {
        wanted.delete(key);
        continue;
      }
      const status = STATUS_EVENTS[row.event as AlertEventId];
      // A status event whose sample is still in that status but was cut by the per-pass limit stays open.
      if (
        status &&
        row.sampleId !== null &&
        this.options.repo.statusOf(row.sampleId) === status &&
        config.alerting.events[row.event as AlertEventId]?.enabled
      ) {
        continue;
      }
      if (this.options.repo.clear(row.id, now)) this.announce({ ...row, clearedAt: now }, true);
    }
    for (const want of wanted.values()) {
      if (MOMENT_EVENTS.has(want.event)) continue;
      const row = this.options.repo.raise(want.event, want.sampleId, now, want.message);
      this.announce(row, false);
    }
  }

  private settings(event: AlertEventId) {
    return this.options.config.get().alerting.events[event];
  }

  private announce(row: AlertRow, cleared: boolean): void {
    const event = row.event as AlertEventId;
    const spec = getAlertEvent(event);
    const config = this.options.config.get();
    const settings = config.alerting.events[event];
    const alert = toAlert(row);
    const line = `${spec.name}${cleared ? ' (cleared)' : ''}: ${row.message}`;
    if (cleared) this.options.qlog.info('alerts', line, row.sampleId ?? undefined);
    else this.options.qlog.warn('alerts', line, row.sampleId ?? undefined);
    if (!config.alerting.enabled) return;
    if (settings.channels.console)
      this.options.events.emit(cleared ? 'alert.cleared' : 'alert.raised', alert);
    // Optional channels announce raises; the log and console also show the clear.
    if (cleared) return;
    const notice: AlertNotice = {
      eventName: spec.name,
      message: row.message,
      sampleId: row.sampleId,
      serverName: config.serverName || os.hostname(),
      at: row.raisedAt,
      cleared,
    };
    const delivery = this.dispatch(config, notice, {
      email: settings.channels.email,
      eventLog: settings.channels.eventLog,
    }).catch((error: unknown) => log.error('alert delivery failed', { error: String(error) }));
    this.pending = Promise.all([this.pending, delivery]);
  }
}
