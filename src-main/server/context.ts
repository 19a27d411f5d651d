/** What the parts of a running Quarantine Server share. */
import type { EventName, EventOf } from '../../src-shared/api/contract.js';
import type { DecodePool } from '../codec/decode-pool.js';
import { createLogger } from '../log/logger.js';
import type { QuarantineAgent } from './agent/quarantine-agent.js';
import type { ConfigService } from './config-service.js';
import type { Defcast } from './defcast/defcast-service.js';
import type { DefinitionsStore } from './definitions/definitions-store.js';
import type { QuotaGauge } from './quota-gauge.js';
import type { ScanService } from './scanner/scan-service.js';
import type { AlertEngine } from './alerts/alert-engine.js';
import type { Store } from './store/index.js';

const log = createLogger('quarantine-log');

/** The Quarantine Log: what administrators read in the console (and the log file). */
export interface QuarantineLog {
  info(source: string, message: string, sampleId?: number): void;
  warn(source: string, message: string, sampleId?: number): void;
  error(source: string, message: string, sampleId?: number): void;
  /**
   * A line that is already in the log table (intake's commit thread writes its lines with the
   * sample): written to the log file only.
   */
  stored(source: string, message: string, sampleId?: number): void;
}

/** Create the Quarantine Log over the store's log table. */
export function createQuarantineLog(store: Store): QuarantineLog {
  const write = (
    level: 'info' | 'warn' | 'error',
    source: string,
    message: string,
    sampleId?: number,
  ): void => {
    store.log.append({ level, source, message, sampleId: sampleId ?? null });
    log[level](message, { source, ...(sampleId !== undefined ? { sampleId } : {}) });
  };
  return {
    info: (s, m, id) => write('info', s, m, id),
    warn: (s, m, id) => write('warn', s, m, id),
    error: (s, m, id) => write('error', s, m, id),
    stored: (source, message, id) =>
      log.info(message, { source, ...(id !== undefined ? { sampleId: id } : {}) }),
  };
}

/** Pushes events to attached consoles. */
export interface EventBus {
  emit<E extends EventName>(event: E, payload: EventOf<E>): void;
}

/** An event bus that forwards to a sink attached later (the control server). */
export class ForwardingEventBus implements EventBus {
  private sink: (<E extends EventName>(event: E, payload: EventOf<E>) => void) | undefined;
  private readonly observers = new Set<
    <E extends EventName>(event: E, payload: EventOf<E>) => void
  >();

  /** Attach (or with undefined, detach) the sink that receives events. */
  attach(sink: (<E extends EventName>(event: E, payload: EventOf<E>) => void) | undefined): void {
    this.sink = sink;
  }

  /** Forward one event, or drop it while nothing is attached. */
  emit<E extends EventName>(event: E, payload: EventOf<E>): void {
    this.sink?.(event, payload);
    for (const observer of this.observers) {
      try {
        observer(event, payload);
      } catch (error) {
        log.error('event observer failed', { event, error: String(error) });
      }
    }
  }

  /**
   * Also hand every event to an in-process observer (the agent reacts to samples becoming
   * released or needed at once). Returns a function that stops observing.
   */
  observe(observer: <E extends EventName>(event: E, payload: EventOf<E>) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }
}

/** The shared parts of a running server. */
export interface ServerContext {
  readonly store: Store;
  readonly config: ConfigService;
  readonly quota: QuotaGauge;
  readonly qlog: QuarantineLog;
  readonly events: EventBus;
  /** The installed definitions sets. */
  readonly definitions: DefinitionsStore;
  /** Scanning, and the scanner's conditions for the alert engine (`scanner.conditions`). */
  readonly scanner: ScanService;
  /** Definitions delivery to endpoints and the targets registry (SPEC §4.5). */
  readonly defcast: Defcast;
  /** Gateway traffic (SPEC §4.3); `agent.signals` feeds the alert engine. */
  readonly agent: QuarantineAgent;
  /** Raises and clears alerts (SPEC §8); `alerts.list` reads its history. */
  readonly alerts: AlertEngine;
  /** Threads that receive large sample bodies off the event loop. */
  readonly decodePool: DecodePool;
  readonly startedAt: number;
  readonly version: string;
  /** Printable addresses of the listeners, by name. */
  readonly listeners: Record<string, string>;
  /** Free bytes on the quarantine folder's disk (refreshed periodically). */
  freeBytes(): number;
}
