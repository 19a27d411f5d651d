/** Scanning with the gateway's newest published set, reloading the engine when a newer one appears. */
import { createLogger } from '../../log/logger.js';
import type { ScanEngine, ScanVerdict } from '../../server/scanner/engine.js';
import { scanBytes } from '../analysis/scan-bytes.js';
import type { SetRow } from '../model.js';
import type { SetFiles } from '../sets/set-files.js';
import type { GatewayStore } from '../store/gateway-store.js';

const log = createLogger('gateway-pipeline');

/** A verdict and the set that gave it. */
export interface NewestVerdict {
  readonly verdict: ScanVerdict;
  readonly set: SetRow;
}

/** Keeps one engine loaded with the newest published set. */
export class NewestSetScanner {
  private engine: ScanEngine | undefined;
  private loaded: number | undefined;

  constructor(
    private readonly store: GatewayStore,
    private readonly files: SetFiles,
    private readonly createEngine: () => ScanEngine,
  ) {}

  /** Scan with the newest published set (loading it first if it changed). */
  async scan(bytes: Buffer): Promise<NewestVerdict> {
    const set = this.store.sets.newest();
    if (set === undefined) throw new Error('the gateway has no published definitions set');
    if (this.engine === undefined || this.loaded !== set.sequence) {
      await this.engine?.close();
      this.engine = undefined;
      const engine = this.createEngine();
      try {
        await engine.load(this.files.activeSet(set));
      } catch (error) {
        await engine.close();
        throw error;
      }
      this.engine = engine;
      this.loaded = set.sequence;
      log.info('newest set loaded', { sequence: set.sequence });
    }
    const verdict = await scanBytes(this.engine, bytes);
    if (verdict.notScanned !== null) throw new Error(`scan failed: ${verdict.notScanned}`);
    return { verdict, set };
  }

  /** The sequence that resolves a detection: where its signature first appeared. */
  resolvingSequence(virusName: string, fallback: number): number {
    return this.store.sets.introducedIn(virusName) ?? fallback;
  }

  /** Release the engine. */
  async close(): Promise<void> {
    await this.engine?.close();
    this.engine = undefined;
    this.loaded = undefined;
  }
}
