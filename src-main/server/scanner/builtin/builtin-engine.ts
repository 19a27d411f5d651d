/**
 * The `builtin` scan engine (SPEC §6): no daemon, no install. One pass over the content feeds
 * the body-signature automaton (raw bytes, plus normalised text for text samples) and, only
 * when some hash signature has the sample's size, the digests. A body match wins over a hash
 * match; on a match the rest of the content is read but not scanned, so callers' streams always
 * end normally.
 */
import { createHash, type Hash } from 'node:crypto';
import { virusIdentifierFor } from '../../../../src-shared/definitions/virus-identifier.js';
import { createLogger } from '../../../log/logger.js';
import type { ActiveSet, LoadReport, MatchRange, ScanEngine, ScanVerdict } from '../engine.js';
import type { AutomatonOptions } from './automaton.js';
import type { StreamClass } from './body-database.js';
import {
  MAX_NORMALISE_BYTES,
  SNIFF_BYTES,
  TextNormaliser,
  detectFileKind,
  type FileKind,
} from './file-type.js';
import type { HashAlgorithm } from './hash-index.js';
import { loadSignatureSet, type LoadedSet } from './signature-set.js';
import { StreamMatcher, windowPoolFor, type BodyMatch, type WindowPool } from './stream-matcher.js';

const log = createLogger('scanner-builtin');

/** The builtin engine, with the set it scans with. */
export interface BuiltinEngine extends ScanEngine {
  readonly name: 'builtin';
  /** The set loaded last, or null before the first load. */
  readonly active: ActiveSet | null;
}

/** Options of `createBuiltinEngine` (tuning; the defaults suit servers). */
export type BuiltinEngineOptions = AutomatonOptions;

const NODETECT: ScanVerdict = {
  result: 'nodetect',
  virusName: null,
  virusIdentifier: null,
  repair: null,
  range: null,
  notScanned: null,
};

function notScanned(reason: string): ScanVerdict {
  return { ...NODETECT, result: 'badscan', notScanned: reason };
}

function detected(set: LoadedSet, name: string, range: MatchRange): ScanVerdict {
  const recipe = set.repairs.get(name) ?? null;
  return {
    result: recipe ? 'repaired' : 'norepair',
    virusName: name,
    virusIdentifier: virusIdentifierFor(name),
    repair: recipe,
    range,
    notScanned: null,
  };
}

/** The raw stream of a file of `kind` (text and other content take only target 0). */
function rawClass(kind: FileKind): StreamClass {
  return kind === 'pe' || kind === 'elf' || kind === 'macho' ? kind : 'any';
}

const ALGORITHMS: readonly HashAlgorithm[] = ['md5', 'sha1', 'sha256'];

/** The state of one scan. */
class ScanRun {
  private head: Buffer[] = [];
  private headBytes = 0;
  private started = false;
  private raw: StreamMatcher | null = null;
  private text: StreamMatcher | null = null;
  private normaliser: TextNormaliser | null = null;
  private hashes: { algorithm: HashAlgorithm; hash: Hash }[] = [];
  private position = 0;
  private rawMatch: BodyMatch | null = null;

  constructor(
    private readonly set: LoadedSet,
    private readonly pool: WindowPool,
    private readonly size: number,
  ) {}

  /** Bytes seen so far. */
  get total(): number {
    return this.position + this.headBytes;
  }

  push(chunk: Uint8Array): void {
    if (!this.started && this.headBytes === 0 && chunk.length >= SNIFF_BYTES) {
      // The usual case: the first chunk is enough to recognise the type, and is scanned at once.
      this.startWith(chunk);
      return;
    }
    if (!this.started) {
      // A copy: callers may reuse their chunk buffers once this returns.
      this.head.push(Buffer.from(chunk));
      this.headBytes += chunk.length;
      if (this.headBytes >= SNIFF_BYTES) this.start();
      return;
    }
    this.scan(chunk);
  }

  /** Type recognition needs the first bytes; everything before that waits in `head`. */
  private start(): void {
    const head = Buffer.concat(this.head, this.headBytes);
    this.head = [];
    this.headBytes = 0;
    this.startWith(head);
  }

  private startWith(head: Uint8Array): void {
    this.started = true;
    const kind = detectFileKind(head.subarray(0, SNIFF_BYTES));
    this.raw = new StreamMatcher(
      this.set.body,
      { size: this.size, kind: rawClass(kind) },
      this.pool,
    );
    if (kind === 'text' && this.size <= MAX_NORMALISE_BYTES) {
      const normaliser = new TextNormaliser();
      this.normaliser = normaliser;
      this.text = new StreamMatcher(
        this.set.body,
        { size: this.size, kind: 'text', toRaw: (position) => normaliser.rawPosition(position) },
        this.pool,
      );
    }
    for (const algorithm of ALGORITHMS) {
      if (this.set.hashes.needs(algorithm, this.size)) {
        this.hashes.push({ algorithm, hash: createHash(algorithm) });
      }
    }
    this.scan(head);
  }

  private scan(chunk: Uint8Array): void {
    this.position += chunk.length;
    if (this.rawMatch) return;
    for (const { hash } of this.hashes) hash.update(chunk);
    this.rawMatch = this.raw!.push(chunk);
    if (this.text && !this.text.match && !this.rawMatch) {
      this.text.push(this.normaliser!.normalise(chunk));
    }
  }

  /** Give the windows back to the pool. */
  dispose(): void {
    this.raw?.release();
    this.text?.release();
  }

  finish(): ScanVerdict {
    if (!this.started) this.start();
    const total = this.position;
    if (total !== this.size) {
      return notScanned(`content was ${total} bytes, ${this.size} were announced`);
    }
    if (total === 0) return NODETECT;
    const body = this.rawMatch ?? this.raw!.finish() ?? this.text?.finish() ?? null;
    if (body) return detected(this.set, body.signature.name, { start: body.start, end: body.end });
    for (const { algorithm, hash } of this.hashes) {
      const name = this.set.hashes.lookup(algorithm, total, hash.digest());
      if (name !== null) return detected(this.set, name, { start: 0, end: total });
    }
    return NODETECT;
  }
}

/** Create a `builtin` engine; it scans nothing until a set is loaded. */
export function createBuiltinEngine(options: BuiltinEngineOptions = {}): BuiltinEngine {
  let loaded: { set: LoadedSet; pool: WindowPool } | null = null;
  let active: ActiveSet | null = null;
  return {
    name: 'builtin',
    get active() {
      return active;
    },
    async load(set: ActiveSet): Promise<LoadReport> {
      const started = performance.now();
      const next = await loadSignatureSet(set.dir, options);
      // Scans already running keep the set they started with.
      loaded = { set: next, pool: windowPoolFor(next.body) };
      active = set;
      const byFile = new Map<string, string[]>();
      for (const line of next.unusable)
        byFile.set(line.file, [...(byFile.get(line.file) ?? []), line.name]);
      for (const [file, names] of byFile) {
        log.warn('signature lines the builtin engine cannot use', {
          sequence: set.sequence,
          file,
          count: names.length,
          names: names.slice(0, 20),
        });
      }
      log.info('definitions loaded', {
        sequence: set.sequence,
        version: set.version,
        signatures: next.signatures,
        unusable: next.unusable.length,
        ms: Math.round(performance.now() - started),
      });
      return { signatures: next.signatures, unusable: next.unusable };
    },
    async scan(content: AsyncIterable<Uint8Array>, size: number): Promise<ScanVerdict> {
      const current = loaded;
      if (!current) return notScanned('no definitions loaded');
      const run = new ScanRun(current.set, current.pool, size);
      try {
        try {
          for await (const chunk of content) run.push(chunk);
        } catch (error) {
          return notScanned(
            `content could not be read after ${run.total} bytes: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
        return run.finish();
      } finally {
        run.dispose();
      }
    },
    close(): Promise<void> {
      loaded = null;
      active = null;
      return Promise.resolve();
    },
  };
}
