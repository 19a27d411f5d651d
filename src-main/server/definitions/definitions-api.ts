/**
 * The shapes of the definitions store (what the server, the control API and the CLI see), kept
 * apart from the store's implementation.
 */
import type Database from 'better-sqlite3';
import type { DefinitionsKind } from '../../../src-shared/definitions/manifest.js';
import type { ActiveSet } from '../scanner/engine.js';
import type { DefinitionsState } from '../store/definitions-repo.js';
import type { PackageLimits } from './package-reader.js';

/** The definitions folder cannot be read or written ("Unable to access definition directory"). */
export class DefinitionsAccessError extends Error {
  /** The alert event the server raises for it. */
  readonly event = 'definitionDirectoryInaccessible' as const;
  constructor(
    readonly dir: string,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DefinitionsAccessError';
  }
}

/** A request the store cannot honour in its current state. */
export class DefinitionsStoreError extends Error {
  constructor(
    readonly code: 'not-installed' | 'no-previous',
    message: string,
  ) {
    super(message);
    this.name = 'DefinitionsStoreError';
  }
}

/** A set as listed for the console and the API. */
export interface DefinitionsSetInfo {
  readonly sequence: number;
  readonly version: string;
  /** `YYMMDDx`. */
  readonly displayVersion: string;
  readonly certified: boolean;
  readonly kind: DefinitionsKind;
  /** Package MD5. */
  readonly checksum: string;
  readonly name: string;
  readonly produced: number | null;
  readonly published: number | null;
  readonly blessed: number | null;
  readonly installedAt: number | null;
  readonly state: DefinitionsState;
}

/** What an import did. */
export interface ImportResult {
  readonly sequence: number;
  readonly version: string;
  /** False when the same package was already installed (nothing changed). */
  readonly installed: boolean;
  /** Whether the set is active after the import. */
  readonly active: boolean;
  readonly name: string;
}

/** Options of `openDefinitionsStore`. */
export interface DefinitionsStoreOptions {
  readonly dataDir: string;
  readonly db: Database.Database;
  /** Installed sets kept (besides the active and previous ones); older ones are pruned. Default 3. */
  readonly keep?: number;
  readonly limits?: Partial<PackageLimits>;
  /** Package installed on a fresh data folder; default the shipped starter set; null for none. */
  readonly starterPackage?: string | null;
  /** Called whenever the definitions folder cannot be read or written. */
  readonly onAccessError?: (error: DefinitionsAccessError) => void;
}

/** Options of `importPackage`. */
export interface ImportOptions {
  /** Refuse unless the package MD5 is this (`X-Signatures-Checksum`). */
  readonly expectedMd5?: string;
  /** Activate after installing; default: when its sequence is above the active one. */
  readonly activate?: boolean;
}

/** The installed definitions of one server. */
export interface DefinitionsStore {
  /** `<dataDir>/definitions`. */
  readonly dir: string;
  /** The set engines should load, or null when none is installed. */
  active(): ActiveSet | null;
  /** Every recorded set, newest first (pruned ones included). */
  list(): DefinitionsSetInfo[];
  /** Verify and install a package (`unpackage` WireError when refused). */
  importPackage(source: Uint8Array | string, options?: ImportOptions): Promise<ImportResult>;
  /** Make an installed set active. */
  activate(sequence: number): Promise<ActiveSet>;
  /** Return to the previously active set. */
  rollback(): Promise<ActiveSet>;
  /** Listen for activations; returns a function that stops listening. */
  onActivated(listener: (set: ActiveSet) => void): () => void;
  /** Listen for access errors; returns a function that stops listening. */
  onAccessError(listener: (error: DefinitionsAccessError) => void): () => void;
  /** Check the folder and the active set's files are reachable (notifies listeners if not). */
  checkAccess(): Promise<DefinitionsAccessError | null>;
  /** Path of the installed package file of `sequence` (for Defcast and downloads), or null. */
  packagePath(sequence: number): string | null;
}
