/**
 * The agent's connection to the gateway as a whole: a client built from the current Web
 * Communication and Firewall settings, and the bookkeeping of whether the gateway can be
 * reached ("Unable to connect to the Gateway") and whether it accepts this customer. Each
 * problem episode gets one Quarantine Log line (and a General Errors row when an administrator
 * must fix a setting); its end gets one line too.
 */
import type { ErrorCode } from '../../../src-shared/catalog/errors.js';
import { createLogger } from '../../log/logger.js';
import type { ConfigService } from '../config-service.js';
import type { QuarantineLog } from '../context.js';
import type { ErrorsRepo, GroupCommitter } from '../store/index.js';
import type { AgentSignals } from './agent-signals.js';
import {
  gatewaySettingsFrom,
  GatewayClient,
  readCaFile,
  type GatewayAnswer,
} from './gateway-client.js';
import { AgentPool } from './http-exchange.js';

const log = createLogger('agent');

/** What the link needs from the server. */
export interface GatewayLinkDeps {
  readonly config: ConfigService;
  readonly qlog: QuarantineLog;
  readonly errors: ErrorsRepo;
  readonly committer: GroupCommitter;
  readonly signals: AgentSignals;
  readonly requestTimeoutMs: number;
  readonly now: () => number;
}

/** A gateway-wide problem that is not a connection failure (e.g. the customer is refused). */
interface Problem {
  readonly key: string;
  readonly message: string;
}

/** Builds gateway clients and tracks whether the gateway can be reached. */
export class GatewayLink {
  private readonly agents = new AgentPool();
  private abort = new AbortController();
  private cached: GatewayClient | undefined;
  private problem: Problem | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly deps: GatewayLinkDeps) {}

  /** Start (or restart) using the link: follow setting changes, allow requests. */
  open(): void {
    if (this.abort.signal.aborted) this.abort = new AbortController();
    this.cached = undefined;
    this.unsubscribe ??= this.deps.config.onChange((_config, changed) => {
      if (changed.some((p) => p.startsWith('webCommunication.') || p.startsWith('firewall.'))) {
        this.cached = undefined;
        this.agents.destroy();
      }
    });
  }

  /** The signal that aborts requests in flight when the agent stops. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** A client for the current settings, or null (and the gateway counted unreachable) when the settings cannot be used. */
  client(): GatewayClient | null {
    if (this.cached) return this.cached;
    const config = this.deps.config.get();
    let ca: string | undefined;
    try {
      ca = readCaFile(config.webCommunication.caFile);
    } catch (error) {
      this.observe({
        kind: 'unreachable',
        stage: 'tls',
        message: `cannot read the CA file ${config.webCommunication.caFile}: ${(error as Error).message}`,
        proxyStatus: null,
      });
      return null;
    }
    this.cached = new GatewayClient(
      gatewaySettingsFrom(config, ca, this.deps.requestTimeoutMs),
      this.agents,
      this.abort.signal,
      this.deps.now,
    );
    return this.cached;
  }

  /** True while requests should be given up (the agent is stopping). */
  get stopping(): boolean {
    return this.abort.signal.aborted;
  }

  /**
   * Record what an answer says about the gateway as a whole. Returns false when the answer
   * is a gateway-wide failure (unreachable, customer refused), after which the caller backs off.
   */
  observe(answer: GatewayAnswer): boolean {
    if (answer.kind === 'unreachable') {
      if (answer.stage === 'aborted') return false;
      const url = this.deps.config.get().webCommunication.gatewayUrl;
      // The alert names the event itself; the condition says what failed.
      const condition = `the gateway at ${url} cannot be reached: ${answer.message}`;
      if (this.deps.signals.set('gatewayUnreachable', true, condition)) {
        this.deps.qlog.warn(
          'agent',
          `Unable to connect to the Gateway at ${url}: ${answer.message}`,
        );
      }
      if (answer.proxyStatus === 407) {
        this.raiseProblem('proxy-407', 'declined', [String(answer.proxyStatus)], answer.message);
      } else if (answer.stage === 'tls') {
        this.raiseProblem('tls', 'declined', ['tls'], answer.message);
      }
      return false;
    }
    this.reached();
    if (answer.kind === 'refused' && answer.code === 'declined' && answer.status === 403) {
      this.raiseProblem(
        'customer',
        'declined',
        answer.params,
        `the gateway refused customer ${this.deps.config.get().webCommunication.customerIdentifier} (403 declined): check the customer identifier and credentials`,
      );
      return false;
    }
    this.clearProblem();
    return true;
  }

  /** Close pooled connections and abort requests in flight. */
  close(): void {
    this.abort.abort();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.cached = undefined;
    this.agents.destroy();
  }

  private reached(): void {
    const since = this.deps.signals.since('gatewayUnreachable');
    if (since === null) return;
    const url = this.deps.config.get().webCommunication.gatewayUrl;
    const message = `the gateway at ${url} is reachable again (unreachable since ${new Date(since).toUTCString()})`;
    this.deps.signals.set('gatewayUnreachable', false, message);
    this.deps.qlog.info('agent', message);
    if (this.problem?.key === 'proxy-407' || this.problem?.key === 'tls') this.problem = undefined;
  }

  private raiseProblem(
    key: string,
    code: ErrorCode,
    params: readonly string[],
    message: string,
  ): void {
    if (this.problem?.key === key) return;
    this.problem = { key, message };
    this.deps.qlog.error('agent', message);
    this.deps.committer
      .commit(() =>
        this.deps.errors.add({ sampleId: null, code, params, source: 'agent', message }),
      )
      .catch((error: unknown) =>
        log.error('cannot record a general error', { message, error: String(error) }),
      );
  }

  private clearProblem(): void {
    if (!this.problem) return;
    this.deps.qlog.info('agent', `resolved: ${this.problem.message}`);
    this.problem = undefined;
  }
}
