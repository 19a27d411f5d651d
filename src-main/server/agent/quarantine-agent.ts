/**
 * The Quarantine Agent (SPEC §1, §3.2, §4.3; guide ch. 4): the part of the server that talks
 * to the gateway. Four periodic tasks — submit released samples, query submitted ones, fetch
 * the definitions needed ones wait for, poll for new certified definitions — share one gateway
 * link, one set of records and one source of alert conditions. `createQuarantineAgent` →
 * `{ start, stop, nudge, submission, signals }`.
 */
import { createLogger } from '../../log/logger.js';
import type { ConfigService } from '../config-service.js';
import type { EventBus, QuarantineLog } from '../context.js';
import type { Store } from '../store/index.js';
import {
  DEFAULT_AGENT_TIMINGS,
  type AgentContext,
  type AgentDefinitions,
  type AgentTimings,
  type ResolveWithActiveSet,
} from './agent-context.js';
import { AgentRecords } from './agent-records.js';
import { AgentSignals, type AgentSignalSource } from './agent-signals.js';
import { DefinitionsFetcher } from './definitions-fetcher.js';
import { GatewayLink } from './gateway-link.js';
import { PeriodicTask, type RunResult } from './periodic-task.js';
import { SampleSubmitter } from './sample-submitter.js';
import { StatusPoller } from './status-poller.js';
import { submissionView, type SubmissionView } from './submission-view.js';

const log = createLogger('agent');

/** What the agent needs from the server. */
export interface QuarantineAgentOptions {
  readonly store: Store;
  readonly config: ConfigService;
  readonly qlog: QuarantineLog;
  readonly events: EventBus;
  readonly definitions: AgentDefinitions;
  /** Moves samples whose definitions are already active on (the scanner's rescan). */
  readonly resolveWithActiveSet: ResolveWithActiveSet;
  readonly timings?: Partial<AgentTimings>;
  readonly now?: () => number;
  readonly random?: () => number;
}

/** A running (or stopped) agent. */
export interface QuarantineAgent {
  /** Alert conditions and notices (gatewayUnreachable, agentStopped, …). */
  readonly signals: AgentSignalSource;
  /** True between `start` and `stop`. */
  readonly running: boolean;
  start(): void;
  /**
   * Stop the tasks and abort requests in flight. Unless it is the server shutting down, the
   * "agent stopped" condition is raised with `reason`.
   */
  stop(options?: { shutdown?: boolean; reason?: string }): Promise<void>;
  /** The queue changed (release, queue for analysis, priority): check it soon. */
  nudge(): void;
  /** A sample reached `status`: released ones are submitted, needed ones fetched, soon. */
  sampleReached(status: string): void;
  /** The submission state of one sample, or undefined when there is no such sample. */
  submission(id: number): SubmissionView | undefined;
}

/** Build the agent (not started). */
export function createQuarantineAgent(options: QuarantineAgentOptions): QuarantineAgent {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const timings: AgentTimings = { ...DEFAULT_AGENT_TIMINGS, ...options.timings };
  const signals = new AgentSignals(now);
  const records = new AgentRecords(options.store.settings);
  const link = new GatewayLink({
    config: options.config,
    qlog: options.qlog,
    errors: options.store.errors,
    committer: options.store.committer,
    signals,
    requestTimeoutMs: timings.requestTimeoutMs,
    now,
  });
  const ctx: AgentContext = {
    store: options.store,
    config: options.config,
    qlog: options.qlog,
    events: options.events,
    link,
    records,
    signals,
    definitions: options.definitions,
    resolveWithActiveSet: options.resolveWithActiveSet,
    timings,
    now,
    random,
  };

  const failing = new Set<string>();
  const guard = (name: string, work: () => Promise<RunResult>) => async (): Promise<RunResult> => {
    const result = await work();
    if (failing.delete(name) && failing.size === 0) {
      signals.set('agentStopped', false, 'the Quarantine Agent is working again');
      options.qlog.info('agent', 'the Quarantine Agent is working again');
    }
    return result;
  };
  const onError =
    (name: string, intervalOf: () => number) =>
    (error: unknown): RunResult => {
      // A failure here is the server's own (store, file system): report it, keep trying.
      const message = `The Quarantine Agent stopped working (${name}): ${error instanceof Error ? error.message : String(error)}`;
      log.error('agent task failed', { task: name, error: String(error) });
      failing.add(name);
      if (signals.set('agentStopped', true, message)) options.qlog.error('agent', message);
      return { nextInMs: intervalOf() };
    };
  const seconds = (pick: (c: ReturnType<ConfigService['get']>) => number) => () =>
    pick(options.config.get()) * 1000;

  const fetcher = new DefinitionsFetcher(ctx);
  const neededTask = new PeriodicTask(
    'definitions for needed samples',
    guard('needed', () => fetcher.runNeeded()),
    onError(
      'needed',
      seconds((c) => c.samplePolicy.statusQueryIntervalSeconds),
    ),
    now,
  );
  const poller = new StatusPoller(ctx, () => neededTask.nudge());
  const submitter = new SampleSubmitter(ctx, (id, answer) => poller.apply(id, answer));
  const submitTask = new PeriodicTask(
    'queue check',
    guard('submit', () => submitter.run()),
    onError(
      'submit',
      seconds((c) => c.samplePolicy.queueCheckIntervalSeconds),
    ),
    now,
  );
  const statusTask = new PeriodicTask(
    'status query',
    guard('status', () => poller.run()),
    onError(
      'status',
      seconds((c) => c.samplePolicy.statusQueryIntervalSeconds),
    ),
    now,
  );
  const certifiedTask = new PeriodicTask(
    'certified definitions',
    guard('certified', () => fetcher.runCertified()),
    onError(
      'certified',
      seconds((c) => c.definitionPolicy.certifiedDefinitionsIntervalSeconds),
    ),
    now,
  );
  const tasks = [submitTask, statusTask, neededTask, certifiedTask];

  let running = false;
  let unsubscribe: (() => void) | undefined;
  return {
    signals,
    get running() {
      return running;
    },
    start() {
      if (running) return;
      running = true;
      link.open();
      // Interrupted work first: unanswered submissions, submitted and needed samples.
      for (const task of tasks) task.start(0);
      unsubscribe = options.config.onChange((config, changed) => {
        // A shorter interval takes effect now rather than after the old, longer wait.
        if (changed.some((p) => p.startsWith('samplePolicy.'))) {
          submitTask.runWithin(config.samplePolicy.queueCheckIntervalSeconds * 1000);
          statusTask.runWithin(config.samplePolicy.statusQueryIntervalSeconds * 1000);
        }
        if (changed.some((p) => p.startsWith('definitionPolicy.certified')))
          certifiedTask.runWithin(
            config.definitionPolicy.certifiedDefinitionsIntervalSeconds * 1000,
          );
        if (changed.some((p) => p.startsWith('webCommunication.') || p.startsWith('firewall.')))
          for (const task of tasks) task.nudge();
      });
      if (signals.set('agentStopped', false, 'the Quarantine Agent started'))
        options.qlog.info('agent', 'the Quarantine Agent started again');
      options.qlog.info('agent', 'Quarantine Agent started');
    },
    async stop(stopOptions = {}) {
      if (!running) return;
      running = false;
      unsubscribe?.();
      link.close();
      await Promise.all(tasks.map((task) => task.stop()));
      if (!stopOptions.shutdown) {
        const message = `The Quarantine Agent service has stopped${stopOptions.reason ? `: ${stopOptions.reason}` : ''}`;
        signals.set('agentStopped', true, message);
        options.qlog.warn('agent', message);
      } else options.qlog.info('agent', 'Quarantine Agent stopped');
    },
    nudge() {
      submitTask.nudge();
    },
    sampleReached(status) {
      if (status === 'released') submitTask.nudge();
      else if (status === 'needed') neededTask.nudge();
    },
    submission(id) {
      return submissionView(ctx, id, {
        running,
        submitNextAt: submitTask.nextRunAt,
        submitNotBefore: submitter.notBefore,
        statusNextAt: statusTask.nextRunAt,
        neededNextAt: neededTask.nextRunAt,
      });
    },
  };
}
