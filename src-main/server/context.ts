/** What the parts of a running Quarantine Server share. */
import type { EventName, EventOf } from '../../src-shared/api/contract.js';
import { createLogger } from '../log/logger.js';
import type { ConfigService } from './config-service.js';
import type { QuotaGauge } from './quota-gauge.js';
import type { Store } from './store/index.js';

const log = createLogger('quarantine-log');

/** The Quarantine Log: what administrators read in the console (and the log file). */
export interface QuarantineLog {
  info(source: string, message: string, sampleId?: number): void;
  warn(source: string, message: string, sampleId?: number): void;
  error(source: string, message: string, sampleId?: number): void;
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
  };
}

/** Pushes events to attached consoles. */
export interface EventBus {
  emit<E extends EventName>(event: E, payload: EventOf<E>): void;
}

/** An event bus that forwards to a sink attached later (the control server). */
export class ForwardingEventBus implements EventBus {
  private sink: (<E extends EventName>(event: E, payload: EventOf<E>) => void) | undefined;

  /** Attach (or with undefined, detach) the sink that receives events. */
  attach(sink: (<E extends EventName>(event: E, payload: EventOf<E>) => void) | undefined): void {
    this.sink = sink;
  }

  /** Forward one event, or drop it while nothing is attached. */
  emit<E extends EventName>(event: E, payload: EventOf<E>): void {
    this.sink?.(event, payload);
  }
}

/** The shared parts of a running server. */
export interface ServerContext {
  readonly store: Store;
  readonly config: ConfigService;
  readonly quota: QuotaGauge;
  readonly qlog: QuarantineLog;
  readonly events: EventBus;
  readonly startedAt: number;
  readonly version: string;
  /** Printable addresses of the listeners, by name. */
  readonly listeners: Record<string, string>;
  /** Free bytes on the quarantine folder's disk (refreshed periodically). */
  freeBytes(): number;
}
