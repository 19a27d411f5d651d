/**
 * Watches quarantine usage and free disk space (SPEC §5): the "Disk quota remaining is low"
 * and "Disk free space is less than Quarantine max size" conditions, logged when they start
 * and end, and pushed to consoles. The alert system raises alerts from `signals`.
 */
import { evaluateQuota, diskFreeBytes } from './store/index.js';
import type { ConfigService } from './config-service.js';
import type { QuarantineLog } from './context.js';
import type { QuotaGauge } from './quota-gauge.js';

const MiB = 1024 * 1024;
const CHECK_INTERVAL_MS = 30_000;

/** The two low-space conditions. */
export interface QuotaSignals {
  readonly low: boolean;
  readonly freeBelowMax: boolean;
}

/** What a status push carries. */
export interface QuotaState extends QuotaSignals {
  readonly usedBytes: number;
  readonly maxBytes: number;
  readonly freeBytes: number;
}

/** Periodic check of quota and disk space. */
export class QuotaMonitor {
  private timer: NodeJS.Timeout | undefined;
  private free = 0;
  private state: QuotaSignals = { low: false, freeBelowMax: false };

  constructor(
    private readonly folder: string,
    private readonly quota: QuotaGauge,
    private readonly config: ConfigService,
    private readonly qlog: QuarantineLog,
    private readonly onChange: (state: QuotaState) => void,
  ) {}

  /** Last measured free bytes on the quarantine disk. */
  get freeBytes(): number {
    return this.free;
  }

  /** The current conditions. */
  get signals(): QuotaSignals {
    return this.state;
  }

  /** Measure now and then every 30 s. */
  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stop measuring. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Measure once; logs and reports when a condition starts or ends. */
  async check(): Promise<QuotaSignals> {
    this.free = await diskFreeBytes(this.folder).catch(() => this.free);
    const general = this.config.get().general;
    const maxBytes = general.maxSizeMB * MiB;
    const evaluation = evaluateQuota({
      usedBytes: this.quota.usedBytes,
      maxBytes,
      incomingBytes: 0,
      freeBytes: this.free,
      lowFraction: general.lowQuotaPercent / 100,
    });
    const next = { low: evaluation.low, freeBelowMax: evaluation.freeBelowMax };
    if (next.low !== this.state.low) {
      if (next.low)
        this.qlog.warn(
          'quota',
          `Disk quota remaining is low: ${Math.round(evaluation.remainingBytes / MiB)} MB of ${general.maxSizeMB} MB left`,
        );
      else this.qlog.info('quota', 'Disk quota is no longer low');
    }
    if (next.freeBelowMax !== this.state.freeBelowMax) {
      if (next.freeBelowMax)
        this.qlog.warn(
          'quota',
          `Disk free space (${Math.round(this.free / MiB)} MB) is less than the quarantine maximum size`,
        );
      else this.qlog.info('quota', 'Disk free space covers the quarantine maximum size again');
    }
    const changed = next.low !== this.state.low || next.freeBelowMax !== this.state.freeBelowMax;
    this.state = next;
    if (changed)
      this.onChange({ ...next, usedBytes: this.quota.usedBytes, maxBytes, freeBytes: this.free });
    return next;
  }
}
