/**
 * Writing what a scan found onto a sample (SPEC §3.2, §6): `X-Scan-*` attributes and the status
 * move in one committed transaction (history and audit through SamplesRepo), then the
 * Quarantine Log line, the per-sample conditions and the `sample.changed` event.
 */
import { WireError, type ErrorCode } from '../../../src-shared/catalog/errors.js';
import { isSampleStatus } from '../../../src-shared/catalog/tokens.js';
import { createLogger } from '../../log/logger.js';
import type { ConfigService } from '../config-service.js';
import type { EventBus, QuarantineLog } from '../context.js';
import { toSampleSummary } from '../control/sample-views.js';
import type { SampleRow, Store } from '../store/index.js';
import type { ActiveSet, ScanVerdict } from './engine.js';
import type { ScannerConditions } from './scan-conditions.js';
import { decideStatus, resolvingAttributes, scanApplies, scanAttributes } from './scan-outcome.js';
import type { ScanJobKind, ScanJobResult } from './scan-queue.js';
import { CLEAN_VERDICT } from './verdicts.js';

const log = createLogger('scanner');

/** Who scan results are recorded as, in history and the audit chain. */
export const SCANNER_ACTOR = 'scanner';

/** What recording needs. */
export interface ScanRecorderDeps {
  readonly store: Store;
  readonly config: ConfigService;
  readonly qlog: QuarantineLog;
  readonly events: EventBus;
  readonly conditions: ScannerConditions;
}

/** Records scan outcomes on samples. */
export class ScanRecorder {
  constructor(private readonly deps: ScanRecorderDeps) {}

  /** Record a completed scan: attributes, status move, conditions, log and event. */
  async record(
    id: number,
    kind: ScanJobKind,
    verdict: ScanVerdict,
    set: ActiveSet,
  ): Promise<ScanJobResult> {
    const { store, config } = this.deps;
    const what = verdict.virusName ? `${verdict.virusName} (${verdict.result})` : 'nothing';
    const outcome = await store.committer.commit(() => {
      const row = store.samples.get(id);
      if (!row || !isSampleStatus(row.status) || !scanApplies(kind, row.status)) return null;
      const attributes = store.samples.attributes(id);
      const decision = decideStatus(row.status, attributes, verdict, set, config.get());
      const patch: Record<string, string | null> = {
        ...scanAttributes(verdict, set),
        ...(decision.to === 'available' || decision.to === 'distribute'
          ? resolvingAttributes(attributes, set)
          : {}),
      };
      const differs = Object.entries(patch).some(([n, v]) => (attributes[n] ?? null) !== v);
      if (differs)
        store.samples.setAttributes(
          id,
          patch,
          SCANNER_ACTOR,
          `scanned with definitions ${set.sequence}`,
        );
      if (decision.to && decision.to !== row.status)
        store.samples.transition(id, decision.to, SCANNER_ACTOR, decision.reason);
      // The Quarantine Log line commits with the result. Written on its own, after the batch,
      // it would wait on the event loop for the write lock whenever intake's commit thread
      // held it (batches here hold that thread off: GroupCommitter.useGate).
      const moved =
        decision.to && decision.to !== row.status ? `: ${row.status} → ${decision.to}` : '';
      const line = `sample ${id}: found ${what}${moved}`;
      store.log.append({ level: 'info', source: 'scanner', message: line, sampleId: id });
      return { decision, changed: differs || decision.to !== null, line };
    });
    if (!outcome) return { kind: 'skipped', detail: 'the sample changed while it was scanned' };
    const { decision } = outcome;
    this.deps.qlog.stored('scanner', outcome.line, id);
    this.deps.conditions.set(
      'sampleNotRepaired',
      decision.notRepaired,
      decision.notRepaired ? `sample ${id}: ${decision.reason}` : `sample ${id} is repairable`,
      id,
    );
    if (outcome.changed) {
      const row = this.deps.store.samples.get(id);
      if (row) this.deps.events.emit('sample.changed', { sample: toSampleSummary(row) });
    }
    return { kind: 'scanned', detail: `found ${what}` };
  }

  /** The sample's content could not be read: its blob is missing or damaged. */
  unreadable(row: SampleRow, set: ActiveSet, error: unknown): Promise<ScanJobResult> {
    if (error instanceof WireError)
      return this.notScanned(
        row,
        set,
        `its stored content is damaged (${error.message})`,
        error.code,
        error.params.map(String),
      );
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      return this.notScanned(row, set, 'its stored content is missing', 'lost', []);
    log.error('scan failed', { sampleId: row.id, error: String(error) });
    return this.notScanned(
      row,
      set,
      `the scan failed: ${(error as Error).message}`,
      'internal',
      [],
    );
  }

  /** Record a scan that did not happen for this sample alone; its status stays. */
  async notScanned(
    row: SampleRow,
    set: ActiveSet,
    reason: string,
    code: ErrorCode,
    params: string[],
  ): Promise<ScanJobResult> {
    const { store } = this.deps;
    await store.committer.commit(() => {
      if (!store.samples.get(row.id)) return;
      const attributes = store.samples.attributes(row.id);
      const patch = { ...scanAttributes(CLEAN_VERDICT, set), 'X-Scan-Result': 'badscan' };
      if (Object.entries(patch).some(([n, v]) => (attributes[n] ?? null) !== v))
        store.samples.setAttributes(row.id, patch, SCANNER_ACTOR, `not scanned: ${reason}`);
      if (!store.errors.has(row.id, code))
        store.errors.add({
          sampleId: row.id,
          code,
          params,
          source: 'scanner',
          message: `not scanned: ${reason}`,
        });
    });
    this.deps.qlog.warn('scanner', `sample ${row.id} was not scanned: ${reason}`, row.id);
    const after = store.samples.get(row.id);
    if (after) this.deps.events.emit('sample.changed', { sample: toSampleSummary(after) });
    return { kind: 'not-scanned', detail: reason };
  }
}
