/**
 * Scanning in the server (SPEC §3.2, §6): every new sample is scanned off the intake path by a
 * worker pool, its `X-Scan-*` attributes set and its status moved; activating a definitions set
 * reloads the engine and rescans the samples the set may resolve. A sample that could not be
 * scanned stays where it is — never marked clean — and is scanned when the engine is back.
 */
import { Readable } from 'node:stream';
import type { BulkResult } from '../../../src-shared/api/contract.js';
import type { SampleStatus } from '../../../src-shared/catalog/tokens.js';
import { createLogger } from '../../log/logger.js';
import type { ConfigService } from '../config-service.js';
import type { EventBus, QuarantineLog } from '../context.js';
import type { Store } from '../store/index.js';
import { ScanRepo } from '../store/scan-repo.js';
import type { ActiveSet, LoadReport, ScanEngine, ScanVerdict } from './engine.js';
import { createBuiltinEngine } from './builtin/builtin-engine.js';
import { DefinitionsWatch } from './definitions-watch.js';
import { monitored, type MonitoredEngine } from './engine-health.js';
import { openDecodedSample } from './sample-content.js';
import { ScannerConditions } from './scan-conditions.js';
import { RESCAN_STATUSES, scanApplies } from './scan-outcome.js';
import { ScanQueue, type ScanJobKind, type ScanJobResult } from './scan-queue.js';
import { ScanRecorder } from './scan-recorder.js';
import { ScanSweeps } from './scan-sweeps.js';

export { SCANNER_ACTOR } from './scan-recorder.js';

const log = createLogger('scanner');

/** What the scan service needs from the definitions store. */
export interface DefinitionsSource {
  active(): ActiveSet | null;
  onActivated(listener: (set: ActiveSet) => void): unknown;
  /** Failures to read or write the definitions folder. */
  onAccessError?(listener: (error: Error) => void): unknown;
  /** Check the folder is usable again; resolves to the error, or null when it is. */
  checkAccess?(): Promise<Error | null>;
}

/** How to run the scan service. */
export interface ScanServiceOptions {
  readonly store: Store;
  readonly config: ConfigService;
  readonly qlog: QuarantineLog;
  readonly events: EventBus;
  readonly engine: ScanEngine;
  readonly definitions: DefinitionsSource;
  /** Scan new samples and rescan on activation by itself (off: only on request). */
  readonly autoScan?: boolean;
  readonly workers?: number;
  readonly queueLimit?: number;
  /** Intake: scanning in the background gives way to it while endpoints are forwarding. */
  readonly intakeActivity?: { busy(): boolean };
  /** Makes the engine repairs locate matches with when the server's engine cannot (clamd). */
  readonly repairEngineFactory?: () => ScanEngine;
}

/** The scanner of a running server. */
export class ScanService {
  /** Conditions for the alert engine. */
  readonly conditions = new ScannerConditions();
  private current: MonitoredEngine;
  private stopListening: () => void;
  private repairer: {
    engine: ScanEngine;
    loaded: number | null;
    loading: Promise<unknown>;
  } | null = null;
  private readonly queue: ScanQueue;
  private readonly repo: ScanRepo;
  private readonly recorder: ScanRecorder;
  private readonly autoScan: boolean;
  private set: ActiveSet | null = null;
  private loading: Promise<unknown> = Promise.resolve();
  private activations: Promise<unknown> = Promise.resolve();
  private readonly sweeps: ScanSweeps;
  private stopped = false;
  private readonly watch: DefinitionsWatch;

  constructor(private readonly options: ScanServiceOptions) {
    this.current = monitored(options.engine);
    this.autoScan = options.autoScan ?? true;
    this.repo = new ScanRepo(options.store.db);
    this.sweeps = new ScanSweeps(this.repo);
    this.recorder = new ScanRecorder({ ...options, conditions: this.conditions });
    this.queue = new ScanQueue({
      workers: options.workers ?? 2,
      limit: options.queueLimit ?? 2_000,
      run: (id, kind) => this.scanSample(id, kind),
      refill: (room) => this.sweeps.next(room),
      ...(options.intakeActivity ? { yieldTo: options.intakeActivity } : {}),
    });
    this.stopListening = this.current.onAvailability((up, reason) =>
      this.availabilityChanged(up, reason),
    );
    options.definitions.onActivated((set) => {
      this.activations = this.activations.then(() => this.activate(set, true));
    });
    this.watch = new DefinitionsWatch({
      conditions: this.conditions,
      qlog: options.qlog,
      samples: options.store.samples,
      repo: this.repo,
      ...(options.definitions.checkAccess
        ? { checkAccess: () => options.definitions.checkAccess!() }
        : {}),
    });
    options.definitions.onAccessError?.((error) => this.watch.inaccessible(error.message));
  }

  /** The engine scanning now. */
  get engine(): MonitoredEngine {
    return this.current;
  }

  /** Name of the engine scanning now. */
  get engineName(): string {
    return this.current.name;
  }

  /** The set the engine scans with, once loaded. */
  get activeSet(): ActiveSet | null {
    return this.set;
  }

  /** Samples waiting for or in a scan. */
  get backlog(): number {
    return this.queue.size;
  }

  /**
   * Load the active set and queue the samples left waiting (a crash or a stop must not strand
   * them). A set other than the one recorded as active is treated as a new activation.
   */
  async start(): Promise<void> {
    const set = this.options.definitions.active();
    if (!set) {
      this.queue.pause();
      this.options.qlog.warn('scanner', 'no definitions are installed: samples wait unscanned');
      return;
    }
    const recorded = this.options.config.get().definitionPolicy.activeSequence;
    this.activations = this.activations.then(() => this.activate(set, recorded !== set.sequence));
    await this.activations;
  }

  /** Hand over a newly accepted sample; intake never waits for the scan. */
  enqueueNew(id: number): void {
    if (!this.autoScan || this.stopped) return;
    if (!this.queue.push(id, 'new')) this.sweep('new', ['quarantined'], false);
  }

  /** Rescan samples now (administrator), reporting each one's outcome. */
  async rescan(ids: readonly string[]): Promise<BulkResult> {
    const result: BulkResult = { done: [], refused: [] };
    if (!this.set) throw new ScannerUnavailable('no definitions are installed');
    if (!this.current.available) throw new ScannerUnavailable(this.current.availabilityReason);
    const outcomes = [...new Set(ids)].map(
      (id) =>
        new Promise<[string, ScanJobResult]>((resolve) => {
          const accepted = this.queue.push(Number(id), 'manual', (r) => resolve([id, r]));
          if (!accepted) resolve([id, { kind: 'not-scanned', detail: 'the scanner is stopping' }]);
        }),
    );
    for (const [id, outcome] of await Promise.all(outcomes)) {
      if (outcome.kind === 'scanned') result.done.push(id);
      else result.refused.push({ id, reason: outcome.detail });
    }
    return result;
  }

  /** Scan bytes held in memory with the active set (repair checks its result this way). */
  async scanBytes(bytes: Buffer): Promise<{ verdict: ScanVerdict; set: ActiveSet }> {
    await this.loading;
    const set = this.set;
    if (!set) throw new ScannerUnavailable('no definitions are installed');
    const verdict = await this.current.scan(Readable.from([bytes]), bytes.length);
    return { verdict, set };
  }

  /** The engine that locates matches for repairs, loaded with the active set. */
  async repairEngine(): Promise<{ engine: ScanEngine; set: ActiveSet }> {
    await this.loading;
    const set = this.set;
    if (!set) throw new ScannerUnavailable('no definitions are installed');
    if (this.current.name === 'builtin') return { engine: this.current, set };
    this.repairer ??= {
      engine: (this.options.repairEngineFactory ?? (() => createBuiltinEngine()))(),
      loaded: null,
      loading: Promise.resolve(),
    };
    const repairer = this.repairer;
    await repairer.loading;
    if (repairer.loaded !== set.sequence) {
      const load = repairer.engine.load(set);
      repairer.loading = load.catch(() => undefined);
      await load;
      repairer.loaded = set.sequence;
    }
    return { engine: repairer.engine, set };
  }

  /**
   * Scan with another engine from now on (the configuration changed): it loads the active set
   * while the queue waits, then the old engine is closed once its scans have finished.
   */
  async switchEngine(next: ScanEngine): Promise<void> {
    const run = this.activations.then(async () => {
      if (this.stopped) {
        await next.close();
        return;
      }
      this.queue.pause();
      await this.queue.whenNoneRunning();
      const previous = this.current;
      this.stopListening();
      this.current = monitored(next);
      this.stopListening = this.current.onAvailability((up, reason) =>
        this.availabilityChanged(up, reason),
      );
      this.options.qlog.info('scanner', `scanning engine changed: ${previous.name} → ${next.name}`);
      await previous
        .close()
        .catch((error: unknown) =>
          log.error('closing the previous engine failed', { error: String(error) }),
        );
      if (this.set) await this.activate(this.set, false);
    });
    this.activations = run.catch(() => undefined);
    await run;
  }

  /** Resolves when nothing is waiting to be scanned (or the queue waits for the engine). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Per-sample conditions of deleted samples end. */
  forget(ids: readonly number[]): void {
    this.conditions.forgetSamples(ids);
  }

  /** Stop scanning and close the engine; unscanned samples wait in the database. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watch.stop();
    await this.queue.close();
    await this.activations.catch(() => undefined);
    this.stopListening();
    await this.current.close();
    await this.repairer?.engine.close();
  }

  /** Load a set into the engine, then (when it is new) rescan what it may resolve. */
  private async activate(set: ActiveSet, isNew: boolean): Promise<void> {
    if (this.stopped) return;
    const { qlog } = this.options;
    this.queue.pause();
    const load = this.current.load(set);
    this.loading = load.catch(() => undefined);
    let report: LoadReport;
    try {
      report = await load;
    } catch (error) {
      const reason = (error as Error).message;
      qlog.error('scanner', `definitions ${set.sequence} could not be loaded: ${reason}`);
      this.definitionsFailed(set.sequence, reason);
      if (this.set) this.queue.resume();
      return;
    }
    const previous = this.set;
    this.set = set;
    this.reportLoad(set, report);
    this.watch.installed(set.sequence);
    if (isNew) {
      this.options.config.setActiveSequence(set.sequence, 'definitions');
      this.options.events.emit('definitions.installed', {
        sequence: set.sequence,
        version: set.version,
      });
      qlog.info(
        'scanner',
        `definitions ${set.sequence} (${set.version}) active${previous ? ` instead of ${previous.sequence}` : ''}`,
      );
    }
    if (this.autoScan) {
      if (isNew) this.sweep('rescan', RESCAN_STATUSES, true);
      this.sweep('new', ['quarantined'], false);
    }
    if (this.current.available) this.queue.resume();
    else this.availabilityChanged(false, this.current.availabilityReason);
  }

  private reportLoad(set: ActiveSet, report: LoadReport): void {
    if (report.unusable.length === 0) return;
    const names = report.unusable
      .slice(0, 20)
      .map((u) => `${u.file}:${u.name} (${u.reason})`)
      .join(', ');
    const more = report.unusable.length > 20 ? ` and ${report.unusable.length - 20} more` : '';
    this.options.qlog.warn(
      'scanner',
      `the ${this.current.name} engine cannot use ${report.unusable.length} signature(s) of definitions ${set.sequence}: ${names}${more}`,
    );
  }

  /**
   * Definitions `sequence` could not be installed or loaded: the samples waiting for it (or a
   * lower one) cannot be resolved by it ("Sample: unable to install definitions").
   */
  definitionsFailed(sequence: number, reason: string): void {
    this.watch.installFailed(sequence, reason);
  }

  /** Check the definitions folder now (see DefinitionsWatch.recheck). */
  recheckDefinitions(): Promise<boolean> {
    return this.watch.recheck();
  }

  /** Resolves once every activation and engine change so far has been carried out. */
  async settled(): Promise<void> {
    await this.activations;
  }

  /** Walk the database for samples in `statuses` as the queue has room. */
  private sweep(
    kind: ScanJobKind,
    statuses: readonly SampleStatus[],
    withoutRepaired: boolean,
  ): void {
    this.sweeps.start(kind, statuses, withoutRepaired);
    this.queue.kick();
  }

  private availabilityChanged(up: boolean, reason: string): void {
    if (up) {
      const wasDown = this.conditions.scannerUnreachable;
      this.conditions.set('scannerUnreachable', false, reason);
      if (wasDown)
        this.options.qlog.info('scanner', `the ${this.current.name} engine is back: ${reason}`);
      if (this.set && !this.stopped) {
        if (this.autoScan) this.sweep('new', ['quarantined'], false);
        this.queue.resume();
      }
      return;
    }
    this.queue.pause();
    if (this.stopped) return;
    const raised = this.conditions.scannerUnreachable;
    this.conditions.set(
      'scannerUnreachable',
      true,
      `Cannot connect to Quarantine Scanner svc: ${reason}`,
    );
    if (!raised)
      this.options.qlog.error('scanner', `Cannot connect to Quarantine Scanner svc: ${reason}`);
  }

  /** One job: scan the sample's content and record what the scan found. */
  private async scanSample(id: number, kind: ScanJobKind): Promise<ScanJobResult> {
    await this.loading;
    const set = this.set;
    const row = this.options.store.samples.get(id);
    if (!row) return { kind: 'skipped', detail: 'no such sample' };
    if (!scanApplies(kind, row.status))
      return { kind: 'skipped', detail: `the sample is ${row.status}` };
    if (!set || !this.current.available) {
      this.queue.pause();
      return { kind: 'retry', detail: set ? this.current.availabilityReason : 'no definitions' };
    }
    let verdict: ScanVerdict;
    const content = openDecodedSample(this.options.store.blobs, row.blobSha256, row.size);
    try {
      verdict = await this.current.scan(content, row.size);
    } catch (error) {
      return this.recorder.unreadable(row, set, error);
    } finally {
      content.destroy();
    }
    if (verdict.notScanned !== null) {
      if (!this.current.available) {
        this.queue.pause();
        return { kind: 'retry', detail: verdict.notScanned };
      }
      // Available yet not scanned: something about this sample (its size) stops the engine.
      const tooBig = /size limit|larger than|Limits\.Exceeded/i.test(verdict.notScanned);
      return this.recorder.notScanned(
        row,
        set,
        verdict.notScanned,
        tooBig ? 'overrun' : 'internal',
        tooBig ? [String(row.size)] : [],
      );
    }
    return this.recorder.record(id, kind, verdict, set);
  }
}

/** The scanner cannot take requests now (no definitions, engine down). */
export class ScannerUnavailable extends Error {
  constructor(reason: string) {
    super(`the scanner is not available: ${reason}`);
    this.name = 'ScannerUnavailable';
  }
}
