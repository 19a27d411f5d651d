/**
 * The Quarantine Agent as the server runs it: installing goes through the definitions store
 * (verify, install, activate — activation makes the scanner rescan what the set may resolve),
 * and samples whose set is already active are moved on by a rescan.
 */
import type { EventOf } from '../../../src-shared/api/contract.js';
import { WireError } from '../../../src-shared/catalog/errors.js';
import type { ConfigService } from '../config-service.js';
import type { ForwardingEventBus, QuarantineLog } from '../context.js';
import { DefinitionsAccessError, type DefinitionsStore } from '../definitions/definitions-store.js';
import { ScannerUnavailable, type ScanService } from '../scanner/scan-service.js';
import type { Store } from '../store/index.js';
import type { AgentDefinitions, AgentTimings, InstallOutcome } from './agent-context.js';
import { createQuarantineAgent, type QuarantineAgent } from './quarantine-agent.js';

/** The server parts the agent works with. */
export interface ServerAgentParts {
  readonly store: Store;
  readonly config: ConfigService;
  readonly qlog: QuarantineLog;
  readonly events: ForwardingEventBus;
  readonly definitions: DefinitionsStore;
  readonly scanner: ScanService;
  readonly timings?: Partial<AgentTimings>;
}

/** The definitions store as the agent uses it. */
export function storeDefinitions(store: DefinitionsStore): AgentDefinitions {
  return {
    activeSequence: () => store.active()?.sequence ?? 0,
    install: async (bytes, expectedMd5): Promise<InstallOutcome> => {
      try {
        const result = await store.importPackage(bytes, {
          ...(expectedMd5 !== undefined ? { expectedMd5 } : {}),
        });
        // Installed earlier but not active (a rollback since): the agent wants it active now.
        if (!result.active && result.sequence > (store.active()?.sequence ?? 0)) {
          await store.activate(result.sequence);
        }
        const info = store.list().find((set) => set.sequence === result.sequence);
        return {
          ok: true,
          sequence: result.sequence,
          version: result.version,
          certified: info?.certified ?? false,
        };
      } catch (error) {
        if (error instanceof WireError)
          return { ok: false, code: error.code, message: error.message };
        if (error instanceof DefinitionsAccessError)
          return { ok: false, code: 'internal', message: error.message };
        throw error;
      }
    },
  };
}

/**
 * Build the server's agent (not started). It watches the server's events, so a sample the
 * scanner releases is submitted at once rather than at the next queue check.
 */
export function createServerAgent(parts: ServerAgentParts): QuarantineAgent {
  const agent = createQuarantineAgent({
    store: parts.store,
    config: parts.config,
    qlog: parts.qlog,
    events: parts.events,
    definitions: storeDefinitions(parts.definitions),
    resolveWithActiveSet: async (ids) => {
      try {
        const result = await parts.scanner.rescan(ids.map(String));
        for (const refused of result.refused) {
          parts.qlog.warn(
            'agent',
            `sample ${refused.id} could not be rescanned with the active definitions: ${refused.reason}`,
            Number(refused.id),
          );
        }
        return true;
      } catch (error) {
        // The scanner is down or has no set: the needed samples are handed over again later.
        if (!(error instanceof ScannerUnavailable)) throw error;
        parts.qlog.warn('agent', `samples wait for a rescan: ${error.message}`);
        return false;
      }
    },
    ...(parts.timings ? { timings: parts.timings } : {}),
  });
  parts.events.observe((event, payload) => {
    if (event === 'sample.changed' || event === 'sample.added') {
      agent.sampleReached((payload as EventOf<'sample.changed'>).sample.status);
    }
  });
  return agent;
}
