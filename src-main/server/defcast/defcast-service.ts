/**
 * Defcast in the server (SPEC §4.5, §3.2, §11): keeps the targets registry, pushes the sets the
 * Install Definitions policy sends to managed endpoints, retries while they are unreachable,
 * moves samples `distribute → distributed → installed` (or `notinstalled`), tells
 * administrators about nonmanaged endpoints, and reports its alert conditions.
 *
 * One loop does the work: every tick (and on `kick()`) it sweeps the samples that concern
 * Defcast, queues deliveries on their targets, and starts the deliveries that are due, a bounded
 * number at a time. Delivery state lives in the targets table, so a restart resumes where it
 * stopped.
 */
import { createLogger } from '../../log/logger.js';
import type { ConfigService } from '../config-service.js';
import type { EventBus, QuarantineLog } from '../context.js';
import { toSampleSummary } from '../control/sample-views.js';
import type { IntakeRoute } from '../intake/intake-server.js';
import type { Store } from '../store/index.js';
import { TargetsRepo, type TargetRow } from '../store/targets-repo.js';
import { ConditionSet } from './condition-set.js';
import type {
  DefcastAlerts,
  DefcastPackage,
  DefcastPackages,
  DefcastSet,
} from './defcast-types.js';
import { defcastRoutes } from './download-routes.js';
import { EndpointError, pushPackage, queryEndpoint, type EndpointReport } from './endpoint-link.js';
import { targetsForActivation } from './policy.js';
import { recordFailure, recordSuccess, type ResultDeps } from './delivery-results.js';
import { sweepSamples } from './sample-sweep.js';
import type { SigningKey } from './signing-key.js';
import { canPush, endpointAddress } from './target-identity.js';

const log = createLogger('defcast');

/** How to run Defcast. */
export interface DefcastOptions {
  readonly store: Store;
  readonly config: ConfigService;
  readonly qlog: QuarantineLog;
  readonly events: EventBus;
  readonly packages: DefcastPackages;
  readonly key: SigningKey;
  /** URL where the server offers set `sequence` for download (`GET /definitions/{sequence}`). */
  readonly downloadUrl: (sequence: number) => string;
  readonly alerts?: DefcastAlerts;
  /** Longest pause between passes; default 2 s, and never more than the retry interval. */
  readonly tickSeconds?: number;
  /** Longest wait for one endpoint exchange; default 60 s. */
  readonly timeoutSeconds?: number;
  /** Deliveries in flight at once; default 64. */
  readonly concurrency?: number;
  readonly now?: () => number;
}

/** Package files kept in memory: one set pushed to many endpoints is read once. */
const PACKAGE_CACHE = 3;

/** The Defcast service of a running server. */
export class Defcast {
  /** The targets registry. */
  readonly targets: TargetsRepo;
  private readonly conditions: ConditionSet;
  private alerts: DefcastAlerts | undefined;
  private readonly now: () => number;
  private readonly inFlight = new Set<number>();
  private readonly refusedBy = new Set<number>();
  private readonly probes = new Set<number>();
  private readonly noticed = new Set<number>();
  private readonly packageCache = new Map<number, Promise<DefcastPackage | null>>();
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly deliveries = new Set<Promise<void>>();
  /** Cut exchanges in flight at shutdown instead of waiting out their timeout. */
  private readonly abort = new AbortController();

  constructor(private readonly options: DefcastOptions) {
    this.targets = new TargetsRepo(options.store.db);
    this.conditions = new ConditionSet(options.alerts);
    this.alerts = options.alerts;
    this.now = options.now ?? Date.now;
    options.packages.onActivated?.((set) => this.activated(set));
  }

  /** Start the loop. */
  start(): void {
    const retryMs =
      this.options.config.get().installDefinitions.deliveryRetryIntervalSeconds * 1000;
    const tickMs = Math.max(50, Math.min((this.options.tickSeconds ?? 2) * 1000, retryMs));
    this.timer = setInterval(() => this.kick(), tickMs);
    this.timer.unref();
    this.kick();
  }

  /** Stop the loop and wait for deliveries in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.abort.abort();
    await this.pass;
    await Promise.allSettled([...this.deliveries]);
  }

  /** Run a pass now (coalesced with one in progress). */
  kick(): void {
    if (this.stopped) return;
    if (this.pass) {
      this.again = true;
      return;
    }
    this.pass = this.runPass()
      .catch((error: unknown) => log.error('defcast pass failed', { error: String(error) }))
      .finally(() => {
        this.pass = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Resolves when no pass and no delivery is running (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.pass || this.deliveries.size > 0) {
      await Promise.allSettled([this.pass, ...this.deliveries]);
    }
  }

  /**
   * An accepted forward left its endpoint's target row as `target` (intake's commit writes it
   * with the sample). Its installed sequence feeds fix coverage: asked once, off the intake path.
   */
  sighted(target: TargetRow): void {
    if (canPush(target) && target.sequence === null) this.probes.add(target.id);
  }

  /** Apply the set-driven half of the policy to a newly active set. */
  activated(set: DefcastSet): void {
    const config = this.options.config.get();
    const chosen = targetsForActivation(this.targets.list(), set, config);
    const now = this.now();
    const queued: string[] = [];
    for (const target of chosen) {
      if (canPush(target)) {
        this.targets.queue(target.id, set.sequence, now);
        queued.push(target.host);
      } else {
        const url = this.options.downloadUrl(set.sequence);
        const message = `${target.host} is selected for ${set.certified ? 'certified' : 'non-certified'} definitions but is nonmanaged: install set ${set.sequence} by hand from ${url}`;
        this.options.qlog.warn('defcast', message);
        this.alerts?.notify('cannotInstallDefinitions', message);
      }
    }
    if (queued.length > 0) {
      this.options.qlog.info(
        'defcast',
        `definitions ${set.sequence} queued for ${queued.length} selected target(s): ${queued.slice(0, 10).join(', ')}`,
      );
    }
    this.kick();
  }

  /** Queue a push of stored set `sequence` to targets now (`definitions.deliver`). */
  async deliver(
    sequence: number,
    ids: readonly number[],
    actor: string,
  ): Promise<{ queued: number[]; refused: { id: number; reason: string }[] } | null> {
    if (!(await this.readPackage(sequence))) return null;
    const queued: number[] = [];
    const refused: { id: number; reason: string }[] = [];
    const now = this.now();
    await this.options.store.committer.commit(() => {
      for (const id of new Set(ids)) {
        const target = this.targets.get(id);
        if (!target) refused.push({ id, reason: 'no such target' });
        else if (!canPush(target)) {
          refused.push({
            id,
            reason: `nonmanaged endpoint: it cannot receive definitions by Defcast; offer ${this.options.downloadUrl(sequence)}`,
          });
        } else {
          this.targets.queue(id, sequence, now);
          queued.push(id);
        }
      }
    });
    if (queued.length > 0) {
      this.options.qlog.info(
        'defcast',
        `${actor}: definitions ${sequence} queued for ${queued.length} target(s)`,
      );
    }
    this.kick();
    return { queued, refused };
  }

  /** Read a stored package, keeping the last few in memory. */
  readPackage(sequence: number): Promise<DefcastPackage | null> {
    let cached = this.packageCache.get(sequence);
    if (!cached) {
      cached = this.options.packages.read(sequence).catch((error: unknown) => {
        log.error('cannot read a definitions package', { sequence, error: String(error) });
        return null;
      });
      this.packageCache.set(sequence, cached);
      while (this.packageCache.size > PACKAGE_CACHE) {
        this.packageCache.delete(this.packageCache.keys().next().value!);
      }
      // A set that is not there now may be imported later.
      void cached.then((pkg) => {
        if (!pkg) this.packageCache.delete(sequence);
      });
    }
    return cached;
  }

  /** What Defcast serves on the intake port: package downloads and the public key. */
  routes(): IntakeRoute[] {
    return defcastRoutes({
      readPackage: (sequence) => this.options.packages.stored(sequence),
      key: this.options.key,
    });
  }

  /**
   * Report alert conditions (and moments) to `alerts` — the server's AlertEngine has this shape —
   * from now on, starting with the conditions that hold already.
   */
  connectAlerts(alerts: DefcastAlerts): void {
    this.alerts = alerts;
    this.conditions.connect(alerts);
  }

  /** Conditions reported in the last pass (tests, diagnostics). */
  currentConditions(): ReturnType<ConditionSet['snapshot']> {
    return this.conditions.snapshot();
  }

  private async runPass(): Promise<void> {
    const now = this.now();
    const active = this.options.packages.active();
    await sweepSamples({
      store: this.options.store,
      targets: this.targets,
      config: this.options.config.get(),
      active,
      now,
      conditions: this.conditions,
      downloadUrl: this.options.downloadUrl,
      busy: (id) => this.inFlight.has(id),
      refused: (id) => this.refusedBy.has(id),
      noticed: this.noticed,
      changed: (ids) => this.changed(ids),
      qlog: this.options.qlog,
    });
    const failing = this.targets
      .list()
      .filter((t) => t.pendingSequence !== null && t.attempts > 0 && !this.refusedBy.has(t.id));
    if (failing.length > 0) {
      const named = failing
        .slice(0, 3)
        .map((t) => `${t.host} (${t.lastError ?? 'unknown error'})`)
        .join('; ');
      this.conditions.hold(
        'defcastError',
        `Defcast cannot deliver definitions to ${failing.length} target(s): ${named}${failing.length > 3 ? '; …' : ''}`,
      );
    }
    this.conditions.commit();
    if (!this.stopped) this.startDeliveries(now);
  }

  private startDeliveries(now: number): void {
    const slots = (this.options.concurrency ?? 64) - this.inFlight.size;
    if (slots <= 0) return;
    const due = this.targets
      .due(now, slots + this.inFlight.size)
      .filter((t) => !this.inFlight.has(t.id))
      .slice(0, slots);
    for (const target of due) this.track(target.id, () => this.deliverTo(target));
    for (const id of [...this.probes].slice(0, Math.max(0, slots - due.length))) {
      this.probes.delete(id);
      if (!this.inFlight.has(id)) this.track(id, () => this.probe(id));
    }
  }

  private track(id: number, work: () => Promise<void>): void {
    this.inFlight.add(id);
    const running = work()
      .catch((error: unknown) =>
        log.error('defcast delivery failed', { target: id, error: String(error) }),
      )
      .finally(() => {
        this.inFlight.delete(id);
        this.deliveries.delete(running);
        this.kick();
      });
    this.deliveries.add(running);
  }

  private get timeoutMs(): number {
    return (this.options.timeoutSeconds ?? 60) * 1000;
  }

  private async probe(id: number): Promise<void> {
    const target = this.targets.get(id);
    const address = target && endpointAddress(target);
    if (!target || !address) return;
    try {
      const report = await queryEndpoint(address, this.timeoutMs, this.abort.signal);
      await this.options.store.committer.commit(() =>
        this.targets.recordReport(id, report.sequence, report.version, this.now()),
      );
    } catch (error) {
      log.debug('target did not answer a sequence query', {
        target: target.host,
        error: String(error),
      });
    }
  }

  private async deliverTo(target: TargetRow): Promise<void> {
    const sequence = target.pendingSequence;
    const address = endpointAddress(target);
    if (sequence === null) return;
    if (!canPush(target) || !address) {
      await this.options.store.committer.commit(() => this.targets.giveUp(target.id));
      return;
    }
    const where = `${target.host} (${address.host}:${address.port})`;
    const pkg = await this.readPackage(sequence);
    if (!pkg) {
      await this.failed(
        target,
        where,
        sequence,
        new EndpointError(`definitions ${sequence} are not stored on this server`, null, null),
      );
      return;
    }
    let report: EndpointReport;
    try {
      const pushed = await pushPackage(
        address,
        target.guid!,
        pkg,
        this.options.key,
        this.timeoutMs,
        this.now(),
        this.abort.signal,
      );
      // The follow-up query carries what the endpoint did to its local quarantine.
      report = await queryEndpoint(address, this.timeoutMs, this.abort.signal).catch(() => pushed);
      if (report.sequence < pushed.sequence) report = pushed;
    } catch (error) {
      // Cut short by shutdown: not an attempt; the delivery stays due for the next start.
      if (this.stopped) return;
      await this.failed(
        target,
        where,
        sequence,
        error instanceof EndpointError ? error : new EndpointError(String(error), null, null),
      );
      return;
    }
    this.refusedBy.delete(target.id);
    this.changed(await recordSuccess(this.results(), target, where, sequence, report, this.now()));
  }

  private async failed(
    target: TargetRow,
    where: string,
    sequence: number,
    error: EndpointError,
  ): Promise<void> {
    const outcome = await recordFailure(this.results(), target, where, sequence, error, this.now());
    if (error.wire !== null && !outcome.exhausted) this.refusedBy.add(target.id);
    else this.refusedBy.delete(target.id);
    this.changed(outcome.changed);
  }

  private results(): ResultDeps {
    return {
      store: this.options.store,
      targets: this.targets,
      qlog: this.options.qlog,
      policy: this.options.config.get().installDefinitions,
      downloadUrl: this.options.downloadUrl,
    };
  }

  private changed(ids: readonly number[]): void {
    for (const id of ids) {
      const row = this.options.store.samples.get(id);
      if (row) this.options.events.emit('sample.changed', { sample: toSampleSummary(row) });
    }
  }
}
