/** What Defcast needs from the rest of the server, as narrow interfaces the lead wires up. */
import type { AlertEventId } from '../../../src-shared/catalog/events.js';

/** A definitions set as Defcast sees it. */
export interface DefcastSet {
  readonly sequence: number;
  readonly version: string;
  readonly certified: boolean;
}

/** A stored package, byte for byte as imported. */
export interface DefcastPackage extends DefcastSet {
  readonly bytes: Buffer;
  /** MD5 of `bytes`, hex (X-Signatures-Checksum). */
  readonly md5: string;
  /** `{sequence:8}.{all|incr}.zip`. */
  readonly name: string;
}

/** Where Defcast finds sets (the server's definitions store). */
export interface DefcastPackages {
  /** The server's active set, or null before the first install. */
  active(): DefcastSet | null;
  /**
   * The package to push for a stored set: a whole (`all`) set, so an endpoint needs no base to
   * install it; null when the server does not keep the set.
   */
  read(sequence: number): Promise<DefcastPackage | null>;
  /** The package file exactly as the server imported it (downloads), or null. */
  stored(sequence: number): Promise<DefcastPackage | null>;
  /** Called after a set becomes active (applies the set-driven half of the policy). */
  onActivated?(listener: (set: DefcastSet) => void): unknown;
}

/**
 * Where Defcast reports alert conditions (SPEC §8). The server's AlertEngine has exactly this
 * shape, so it can be passed as is: `defcastError` (server-wide, while deliveries fail),
 * `cannotInstallDefinitions` (per sample of a nonmanaged endpoint, naming the download URL) and
 * `sampleDefinitionsInstallFailed` (per sample, while it is `notinstalled` or its endpoint
 * refuses the set).
 */
export interface DefcastAlerts {
  setCondition(
    event: AlertEventId,
    active: boolean,
    message: string,
    sampleId?: number | null,
  ): void;
  notify(event: AlertEventId, message: string, sampleId?: number | null): void;
}
