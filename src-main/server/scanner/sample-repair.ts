/**
 * Repairing a quarantined sample (SPEC §6): the recipe of the active set is applied to a decoded
 * copy and the result is rescanned — with the engine that locates matches (built-in) and, when
 * clamd is the server's engine, with clamd too. Only a copy that then scans clean is handed back
 * for writing; the stored sample is never changed.
 */
import type { SampleRow, Store } from '../store/index.js';
import type { ActiveSet, ScanEngine, ScanVerdict } from './engine.js';
import { repairAndVerify, scanBytes } from './repair.js';
import { readDecodedSample } from './sample-content.js';

/** What repairing needs from the scan service. */
export interface RepairScanner {
  /** The engine that reports match ranges, loaded with the active set. */
  repairEngine(): Promise<{ engine: ScanEngine; set: ActiveSet }>;
  /** The server's own engine, when it is another one than the repair engine. */
  scanBytes(bytes: Buffer): Promise<{ verdict: ScanVerdict; set: ActiveSet }>;
  readonly engineName: string;
}

/** A clean repaired copy, or why there is none (and whether the threat stays unrepaired). */
export type RepairResult =
  | {
      readonly ok: true;
      readonly bytes: Buffer;
      readonly virusName: string;
      readonly rounds: number;
      readonly set: ActiveSet;
    }
  | {
      readonly ok: false;
      readonly reason: string;
      /** A detected threat the definitions could not remove ("Sample: was not repaired"). */
      readonly notRepaired: boolean;
    };

/** Repair a decoded copy of one sample and check that it scans clean. */
export async function repairSample(
  store: Store,
  scanner: RepairScanner,
  row: SampleRow,
): Promise<RepairResult> {
  const { engine, set } = await scanner.repairEngine();
  const content = await readDecodedSample(store.blobs, row.blobSha256, row.size);
  const verdict = await scanBytes(engine, content);
  if (verdict.notScanned !== null)
    return { ok: false, reason: `not scanned: ${verdict.notScanned}`, notRepaired: false };
  if (verdict.virusName === null) {
    return {
      ok: false,
      reason: `definitions ${set.sequence} find nothing to repair (restore the item instead)`,
      notRepaired: false,
    };
  }
  if (!verdict.repair) {
    return {
      ok: false,
      reason: `definitions ${set.sequence} detect ${verdict.virusName} but have no repair for it`,
      notRepaired: true,
    };
  }
  const repaired = await repairAndVerify(engine, content, verdict);
  if (!repaired.ok)
    return { ok: false, reason: `not repaired: ${repaired.reason}`, notRepaired: true };
  if (scanner.engineName !== engine.name) {
    const check = await scanner.scanBytes(repaired.bytes);
    if (check.verdict.notScanned !== null)
      return {
        ok: false,
        reason: `the repaired copy was not scanned by ${scanner.engineName}: ${check.verdict.notScanned}`,
        notRepaired: false,
      };
    if (check.verdict.virusName !== null)
      return {
        ok: false,
        reason: `not repaired: ${scanner.engineName} still detects ${check.verdict.virusName} in the repaired copy`,
        notRepaired: true,
      };
  }
  return {
    ok: true,
    bytes: repaired.bytes,
    virusName: verdict.virusName,
    rounds: repaired.rounds.length - 1,
    set,
  };
}
