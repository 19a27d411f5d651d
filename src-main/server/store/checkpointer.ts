/**
 * WAL checkpoints on a thread of their own. SQLite's automatic checkpoint runs inside the
 * commit that crosses its threshold, on the connection that committed: on the event loop, where
 * it copied every page of the WAL back into the database file and fsynced it (about 3.5 % of
 * the event loop's time under full intake). Here a second connection, on its own thread, runs
 * PASSIVE checkpoints a few times a second; they never wait for, or block, the writer.
 *
 * The main connection keeps an automatic checkpoint with a much higher threshold as a safety
 * net: should this thread stop or fall behind, the WAL still cannot grow without bound.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { createLogger } from '../../log/logger.js';

const log = createLogger('store');

/** WAL pages the main connection lets pass before checkpointing on its own (about 32 MiB). */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 8000;
/** How often the thread checkpoints. */
const INTERVAL_MS = 100;

/** What the thread tells the event loop. */
type Report =
  | { readonly kind: 'checkpointed'; readonly log: number; readonly checkpointed: number }
  | { readonly kind: 'error'; readonly message: string; readonly fatal: boolean };

// A CommonJS script run with `eval`, so that it is the same from src (tests) and dist.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db;
try {
  db = new Database(workerData.file, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = FULL');
} catch (e) {
  // Ending by closing the port lets the report reach the event loop first.
  parentPort.postMessage({ kind: 'error', message: String(e && e.message || e), fatal: true });
  parentPort.close();
}
if (db) start();
function start() {
let lastLog = -1;
let lastCheckpointed = -1;
let failing = false;
const checkpoint = () => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    failing = false;
    // Reported when this round copied pages: the WAL's state moved since the last round and
    // pages are in the database file. An idle server sends nothing.
    const moved = r.log !== lastLog || r.checkpointed !== lastCheckpointed;
    if (moved && r.log > 0 && r.checkpointed > 0) {
      parentPort.postMessage({ kind: 'checkpointed', log: r.log, checkpointed: r.checkpointed });
    }
    lastLog = r.log;
    lastCheckpointed = r.checkpointed;
  } catch (e) {
    // Said once per run of failures; the next round tries again.
    if (!failing) parentPort.postMessage({ kind: 'error', message: String(e && e.message || e), fatal: false });
    failing = true;
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'close') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
}
`;

/** Counters for tests and health output. */
export interface CheckpointerStats {
  /** Rounds that copied pages. */
  readonly rounds: number;
  /** WAL frames in the log at the last checkpoint that copied pages, and how many it copied. */
  readonly lastLog: number;
  readonly lastCheckpointed: number;
}

/** The checkpoint thread of one database file. */
export class BackgroundCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private closing: Promise<void> | undefined;
  private counters: CheckpointerStats = { rounds: 0, lastLog: 0, lastCheckpointed: 0 };

  constructor(file: string, intervalMs = INTERVAL_MS) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file, driver, intervalMs },
    });
    // It must never keep a finished process alive.
    this.worker.unref();
    this.worker.on('message', (report: Report) => {
      if (report.kind === 'checkpointed') {
        this.counters = {
          rounds: this.counters.rounds + 1,
          lastLog: report.log,
          lastCheckpointed: report.checkpointed,
        };
      } else if (report.fatal) {
        log.error('the checkpoint thread cannot open the database', { error: report.message });
      } else {
        log.warn('a background checkpoint failed', { error: report.message });
      }
    });
    this.exited = new Promise<void>((resolve) => {
      this.worker.once('exit', (code) => {
        if (code !== 0) {
          log.error('the checkpoint thread stopped; the database checkpoints on its own', {
            code,
          });
        }
        resolve();
      });
    });
    this.worker.once('error', (error) =>
      log.error('the checkpoint thread failed', { error: String(error) }),
    );
  }

  get stats(): CheckpointerStats {
    return this.counters;
  }

  /**
   * Checkpoint once more, close the thread's connection and wait for the thread to end. Every
   * call waits for the same ending.
   */
  close(): Promise<void> {
    if (!this.closing) {
      // Held by the thread until it has ended: otherwise a process with nothing else to do
      // would exit while its caller still awaits this (and skip what follows, such as unlocking).
      this.worker.ref();
      this.worker.postMessage('close');
      this.closing = this.exited;
    }
    return this.closing;
  }
}
