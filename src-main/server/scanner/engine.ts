/**
 * The scanner interface of SPEC §6: one shape, two engines (`builtin`, `clamd`). The server
 * hands an engine the active definitions set and streams decoded sample bytes through it.
 */
import type { ScanResult } from '../../../src-shared/catalog/tokens.js';

/** What a signature's repair recipe says (`repair.json` of the set, SPEC §4.4). */
export type RepairRecipe = { readonly action: 'excise' } | { readonly action: 'truncate' };

/** An installed, verified definitions set as engines load it. */
export interface ActiveSet {
  readonly sequence: number;
  /** `YYYY.MM.DD.NNN`. */
  readonly version: string;
  readonly certified: boolean;
  /** Folder holding the set's signature files (`*.hdb`, `*.hsb`, `*.ndb`, `*.ldb`, `*.yar`) and `repair.json`. */
  readonly dir: string;
  /** Package name, e.g. `00000001.all.zip` (becomes X-Scan-Signatures-Name). */
  readonly name: string;
}

/** What loading a set found. */
export interface LoadReport {
  readonly signatures: number;
  /** Signature lines the engine cannot use, by file and signature name (never silently dropped). */
  readonly unusable: readonly {
    readonly file: string;
    readonly name: string;
    readonly reason: string;
  }[];
}

/** Where in the sample a body signature matched (for repair recipes). */
export interface MatchRange {
  readonly start: number;
  readonly end: number;
}

/** The verdict of one scan. */
export interface ScanVerdict {
  /** `nodetect`, `repaired` (a recipe exists), `norepair`, `heuristic` or `badscan`. */
  readonly result: ScanResult;
  /** Name of the matching signature, e.g. `Eicar-Test-Signature`. */
  readonly virusName: string | null;
  readonly virusIdentifier: number | null;
  /** The recipe that would repair it, when one exists. */
  readonly repair: RepairRecipe | null;
  /** Byte range of the match when the engine knows it (builtin body signatures). */
  readonly range: MatchRange | null;
  /** Why the content was not scanned (engine down, size limit): never to be read as clean. */
  readonly notScanned: string | null;
}

/** A scanning engine bound to one active set at a time. */
export interface ScanEngine {
  readonly name: 'builtin' | 'clamd';
  /** Load (or reload) a set; scans after this use it. */
  load(set: ActiveSet): Promise<LoadReport>;
  /** Scan decoded sample bytes; `size` is their total length. */
  scan(content: AsyncIterable<Uint8Array>, size: number): Promise<ScanVerdict>;
  /** Release resources (daemons, sockets). */
  close(): Promise<void>;
}
