/**
 * The `clamd` engine (SPEC §6): real ClamAV, run by the server with the active set as its
 * database and spoken to over its socket with INSTREAM. It is available only while clamd
 * answers *and* has been seen to run the current database (its load marker is detected);
 * otherwise every scan is "not scanned" — never clean.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../../log/logger.js';
import type { ActiveSet, LoadReport, ScanVerdict } from '../engine.js';
import type { AvailabilityListener, MonitoredEngine } from '../engine-health.js';
import { readRepairBook, type RepairBook } from '../repair-book.js';
import { CLEAN_VERDICT, detectedVerdict, notScannedVerdict } from '../verdicts.js';
import {
  ClamdError,
  clamdCommand,
  clamdInstream,
  clamdPing,
  formatClamdAddress,
  parseClamdAddress,
  type ClamdAddress,
} from './clamd-client.js';
import {
  pointDatabase,
  prepareClamdDatabase,
  pruneClamdDatabases,
  type ClamdDatabase,
} from './clamd-database.js';
import { clamdStreamLimit } from './clamd-config.js';
import { ClamdDaemon } from './clamd-daemon.js';

const log = createLogger('clamd');
const CHUNK = 64 * 1024;
const MARKER_PREFIX = 'CentralQuarantine.LoadMarker.';

/** How to run the clamd engine. */
export interface ClamdEngineOptions {
  /** Private folder of the engine (`<dataDir>/clamd`): config, socket, database copies. */
  readonly workDir: string;
  /** clamd's own log (`<dataDir>/logs/clamd.log`). */
  readonly logFile: string;
  /**
   * A clamd the administrator runs, instead of one the server starts. Its DatabaseDirectory
   * must be `<workDir>/database`; the load marker proves that it is.
   */
  readonly externalAddress?: string;
  readonly binary?: string;
  /** Largest sample clamd is asked to scan; larger ones are "not scanned". */
  readonly maxBytes: number;
  readonly threads?: number;
  readonly restartDelayMs?: { readonly min: number; readonly max: number };
  /** How long clamd may take to load a set (RELOAD or start) before the load fails. */
  readonly loadTimeoutMs?: number;
  /** A scan whose connection stays silent this long fails. */
  readonly scanIdleTimeoutMs?: number;
}

/** The clamd engine, with the supervised daemon when the server runs its own. */
export interface ClamdEngine extends MonitoredEngine {
  readonly name: 'clamd';
  readonly address: ClamdAddress;
  /** The supervised process, or null for an external clamd. */
  readonly daemon: ClamdDaemon | null;
}

class ClamdEngineImpl implements ClamdEngine {
  readonly name = 'clamd' as const;
  readonly address: ClamdAddress;
  readonly daemon: ClamdDaemon | null;
  private readonly databaseLink: string;
  private db: ClamdDatabase | null = null;
  private verified: ClamdDatabase | null = null;
  private book: RepairBook = new Map();
  private loading: Promise<unknown> | null = null;
  private up = false;
  private reason = 'no definitions loaded yet';
  private closed = false;
  private probing = false;
  private readonly listeners = new Set<AvailabilityListener>();
  private readonly loadTimeoutMs: number;

  constructor(private readonly options: ClamdEngineOptions) {
    this.loadTimeoutMs = options.loadTimeoutMs ?? 300_000;
    if (options.externalAddress) {
      this.daemon = null;
      this.address = parseClamdAddress(options.externalAddress);
      this.databaseLink = path.join(path.resolve(options.workDir), 'database');
    } else {
      this.daemon = new ClamdDaemon({
        workDir: options.workDir,
        logFile: options.logFile,
        maxBytes: options.maxBytes,
        ...(options.binary ? { binary: options.binary } : {}),
        ...(options.threads ? { threads: options.threads } : {}),
        ...(options.restartDelayMs ? { restartDelayMs: options.restartDelayMs } : {}),
        startTimeoutMs: this.loadTimeoutMs,
      });
      this.address = this.daemon.address;
      this.databaseLink = this.daemon.databaseLink;
      this.daemon.onState((state, why) => {
        if (state === 'running') void this.verifyAfterStart();
        // Starting is not yet a failure; only an exit (or a stop) makes clamd unavailable.
        else if (state === 'starting') this.reason = why;
        else this.setAvailable(false, why);
      });
    }
  }

  get available(): boolean {
    return this.up;
  }

  get availabilityReason(): string {
    return this.reason;
  }

  onAvailability(listener: AvailabilityListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async load(set: ActiveSet): Promise<LoadReport> {
    while (this.loading) await this.loading;
    const run = this.loadSet(set);
    this.loading = run.catch(() => undefined);
    try {
      return await run;
    } finally {
      this.loading = null;
    }
  }

  async scan(content: AsyncIterable<Uint8Array>, size: number): Promise<ScanVerdict> {
    while (this.loading) await this.loading;
    if (!this.up) return notScannedVerdict(`clamd is not available: ${this.reason}`);
    if (size > this.options.maxBytes) {
      return notScannedVerdict(
        `the sample (${size} bytes) is larger than clamd's stream limit of ${this.options.maxBytes} bytes`,
      );
    }
    try {
      const reply = await clamdInstream(this.address, content, CHUNK, {
        limit: clamdStreamLimit(this.options.maxBytes),
        ...(this.options.scanIdleTimeoutMs
          ? { idleTimeoutMs: this.options.scanIdleTimeoutMs }
          : {}),
      });
      switch (reply.kind) {
        case 'clean':
          return CLEAN_VERDICT;
        case 'found':
          // Only the marker's own bytes match it; a sample that is those bytes is harmless.
          if (reply.name.startsWith(MARKER_PREFIX)) return CLEAN_VERDICT;
          return detectedVerdict(reply.name, this.book.get(reply.name));
        case 'limit':
          return notScannedVerdict(`clamd did not scan the whole sample: ${reply.message}`);
        case 'error':
          return notScannedVerdict(`clamd failed: ${reply.message}`);
      }
    } catch (error) {
      if (!(error instanceof ClamdError)) throw error;
      void this.checkAlive(error.message);
      return notScannedVerdict(error.message);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.setAvailable(false, 'the engine is closed');
    await this.daemon?.stop();
  }

  private async loadSet(set: ActiveSet): Promise<LoadReport> {
    await fs.promises.mkdir(this.options.workDir, { recursive: true, mode: 0o700 });
    const book = await readRepairBook(set.dir);
    const db = await prepareClamdDatabase(set, this.options.workDir);
    const previous = this.db;
    await pointDatabase(this.databaseLink, db.dir);
    try {
      if (this.daemon && this.daemon.state === 'stopped') {
        this.db = db;
        this.book = book;
        this.reason = `clamd is loading definitions ${set.sequence}`;
        await this.daemon.start();
        // A clamd that cannot start is reported through availability; the set itself is fine.
        await this.untilStartedOrDown();
      } else if (
        (this.daemon && this.daemon.state !== 'running') ||
        (!this.daemon && !(await clamdPing(this.address)))
      ) {
        // Down: the next start (or the probe of an external clamd) loads the new link.
        this.db = db;
        this.book = book;
        this.setAvailable(false, `clamd is down; definitions ${set.sequence} wait for it`);
        if (!this.daemon) void this.probeExternal();
      } else {
        await this.reloadAndVerify(db);
        this.db = db;
        this.book = book;
        this.verified = db;
        this.setAvailable(true, `clamd runs definitions ${set.sequence}`);
      }
    } catch (error) {
      if (previous) await pointDatabase(this.databaseLink, previous.dir).catch(() => undefined);
      await fs.promises.rm(db.dir, { recursive: true, force: true });
      throw error;
    }
    await pruneClamdDatabases(this.options.workDir, [db.dir]);
    log.info('clamd database prepared', {
      sequence: set.sequence,
      signatures: db.report.signatures,
    });
    return db.report;
  }

  /** RELOAD and wait until the marker of `db` is detected (or clamd logs a failed reload). */
  private async reloadAndVerify(db: ClamdDatabase): Promise<void> {
    const logOffset = await fileSize(this.options.logFile);
    const answer = await clamdCommand(this.address, 'RELOAD', { idleTimeoutMs: 30_000 });
    if (answer !== 'RELOADING') throw new Error(`clamd refused to reload: ${answer}`);
    await this.untilMarker(db, async () => {
      const failure = await reloadFailure(this.options.logFile, logOffset);
      if (failure) throw new Error(`clamd could not load the definitions: ${failure}`);
    });
  }

  private async untilMarker(db: ClamdDatabase, check: () => Promise<void>): Promise<void> {
    const deadline = Date.now() + this.loadTimeoutMs;
    for (;;) {
      const reply = await clamdInstream(
        this.address,
        Readable.from([db.marker.content]),
        CHUNK,
      ).catch((error: unknown) => {
        if (error instanceof ClamdError) return null;
        throw error;
      });
      if (reply?.kind === 'found' && reply.name === db.marker.name) return;
      await check();
      if (this.closed) throw new Error('the engine was closed');
      if (Date.now() > deadline)
        throw new Error(`clamd did not load the definitions within ${this.loadTimeoutMs} ms`);
      await sleep(100);
    }
  }

  private untilStartedOrDown(): Promise<void> {
    return new Promise((resolve) => {
      const stop = this.onAvailability((available) => {
        if (available) done();
      });
      const stopDaemon = this.daemon!.onState((state) => {
        if (state === 'down' || state === 'stopped') done();
      });
      function done(): void {
        stop();
        stopDaemon();
        resolve();
      }
    });
  }

  /** A (re)started clamd read whatever the link points at: prove it is the current set. */
  private async verifyAfterStart(): Promise<void> {
    const db = this.db;
    if (!db) return;
    try {
      await this.untilMarker(db, () =>
        this.daemon?.state === 'running'
          ? Promise.resolve()
          : Promise.reject(new Error('clamd went down while loading')),
      );
    } catch (error) {
      if (this.daemon?.state === 'running') this.daemon.kill((error as Error).message);
      return;
    }
    if (this.db !== db) return;
    this.verified = db;
    this.setAvailable(true, `clamd ${this.daemon?.pid ?? ''} runs the current definitions`.trim());
  }

  /** After a failed call: is clamd still there? If not, wait for it (or restart it). */
  private async checkAlive(why: string): Promise<void> {
    if (await clamdPing(this.address)) return;
    this.setAvailable(false, why);
    if (this.daemon) {
      if (this.daemon.state === 'running') this.daemon.kill(`no answer to PING after: ${why}`);
      return;
    }
    await this.probeExternal();
  }

  /** An external clamd has no supervisor: poll it with backoff until it answers again. */
  private async probeExternal(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    const delays = this.options.restartDelayMs ?? { min: 500, max: 30_000 };
    let delay = delays.min;
    try {
      while (!this.closed) {
        if (await clamdPing(this.address)) {
          const db = this.db;
          if (db) {
            await clamdCommand(this.address, 'RELOAD').catch(() => undefined);
            await this.untilMarker(db, () => Promise.resolve());
            this.verified = db;
          }
          this.setAvailable(true, `clamd at ${formatClamdAddress(this.address)} answers`);
          return;
        }
        // Unreferenced: a server stopping must not wait for the next probe.
        await sleep(delay, undefined, { ref: false });
        delay = Math.min(delays.max, delay * 2);
      }
    } catch (error) {
      this.setAvailable(false, (error as Error).message);
    } finally {
      this.probing = false;
    }
  }

  /** Available only when wanted and clamd was seen running the current database. */
  private setAvailable(wanted: boolean, reason: string): void {
    const next = wanted && this.db !== null && this.verified === this.db;
    // Still down for a new reason is news too: the first failure of a fresh clamd is one.
    const news = next !== this.up || (!next && wanted === false && reason !== this.reason);
    this.up = next;
    this.reason = reason;
    if (news) for (const listener of this.listeners) listener(next, reason);
  }
}

/** Create the clamd engine; nothing runs until the first `load`. */
export function createClamdEngine(options: ClamdEngineOptions): ClamdEngine {
  const engine = new ClamdEngineImpl(options);
  if (options.externalAddress) {
    // The administrator's clamd may already run our database; the first load checks it.
    void clamdPing(engine.address);
  }
  return engine;
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await fs.promises.stat(file)).size;
  } catch {
    return 0;
  }
}

/** clamd's own words when its log says a reload since `offset` failed, else null. */
async function reloadFailure(file: string, offset: number): Promise<string | null> {
  let text: string;
  try {
    const handle = await fs.promises.open(file, 'r');
    try {
      const { size } = await handle.stat();
      // A rotated log starts again from zero.
      const from = size < offset ? 0 : offset;
      const buffer = Buffer.alloc(Math.min(size - from, 1024 * 1024));
      await handle.read(buffer, 0, buffer.length, from);
      text = buffer.toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
  if (!/reload failed|load failed/i.test(text)) return null;
  const lines = text.split(/\r?\n/).filter((l) => /ERROR|failed/i.test(l));
  return lines.join('; ').slice(0, 500);
}
