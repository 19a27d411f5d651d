/**
 * Connects every component that reports alert conditions to the alert engine: the scanner,
 * the definitions store (through the scanner), the Quarantine Agent, Defcast and the quota
 * monitor. Conditions already holding are replayed when the connection is made.
 */
import { bindAgentAlerts, type AgentSignalSource } from '../agent/agent-signals.js';
import type { QuotaState } from '../quota-monitor.js';
import type { ScanService } from '../scanner/scan-service.js';
import type { AlertEngine } from './alert-engine.js';

const MiB = 1024 * 1024;

/** The parts whose conditions become alerts. */
export interface AlertSources {
  readonly scanner: ScanService;
  readonly agent: { readonly signals: AgentSignalSource };
  readonly defcast: { connectAlerts(alerts: AlertEngine): void };
}

/** Feed the components' conditions to `engine`; returns a function that stops feeding. */
export function connectAlerts(engine: AlertEngine, sources: AlertSources): () => void {
  const conditions = sources.scanner.conditions;
  for (const c of conditions.active()) engine.setCondition(c.event, true, c.message, c.sampleId);
  const stopScanner = conditions.onChange((c) =>
    engine.setCondition(c.event, c.active, c.message, c.sampleId),
  );
  const stopAgent = bindAgentAlerts(sources.agent.signals, engine);
  sources.defcast.connectAlerts(engine);
  return () => {
    stopScanner();
    stopAgent();
  };
}

/** Report the quota monitor's two disk conditions. */
export function reportQuota(engine: AlertEngine, state: QuotaState): void {
  const used = Math.round(state.usedBytes / MiB);
  const max = Math.round(state.maxBytes / MiB);
  engine.setCondition(
    'diskQuotaLow',
    state.low,
    `The quarantine folder holds ${used} MB of its ${max} MB maximum`,
  );
  engine.setCondition(
    'diskFreeBelowMaxSize',
    state.freeBelowMax,
    `Only ${Math.round(state.freeBytes / MiB)} MB are free on the quarantine disk, less than the ${max} MB maximum size`,
  );
}
