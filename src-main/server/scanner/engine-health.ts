/**
 * Whether an engine can scan right now. The built-in engine always can; clamd cannot while its
 * daemon is down. A scan that returns `notScanned` while the engine is available failed for
 * that sample alone (e.g. a size limit); while unavailable, it failed for everyone and the
 * sample simply waits.
 */
import type { ScanEngine } from './engine.js';

/** Listens to availability changes. */
export type AvailabilityListener = (available: boolean, reason: string) => void;

/** An engine that can tell whether it is able to scan. */
export interface MonitoredEngine extends ScanEngine {
  readonly available: boolean;
  /** Why the engine is (un)available, for logs and alerts. */
  readonly availabilityReason: string;
  onAvailability(listener: AvailabilityListener): () => void;
}

/** True when the engine reports its availability. */
export function isMonitored(engine: ScanEngine): engine is MonitoredEngine {
  return typeof (engine as Partial<MonitoredEngine>).onAvailability === 'function';
}

/** Treat an engine without availability reporting (the built-in one) as always available. */
export function monitored(engine: ScanEngine): MonitoredEngine {
  if (isMonitored(engine)) return engine;
  return {
    name: engine.name,
    load: (set) => engine.load(set),
    scan: (content, size) => engine.scan(content, size),
    close: () => engine.close(),
    available: true,
    availabilityReason: `the ${engine.name} engine runs inside the server`,
    onAvailability: () => () => undefined,
  };
}
