/**
 * The server's own clamd process: written config, spawn, wait for PING, and supervision — a
 * clamd that exits or never answers is started again with exponential backoff. Only the
 * process this server started (or, after a crash of the server, the one its pid file names and
 * whose command line carries this server's config file) is ever signalled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../../log/logger.js';
import { clamdPing } from './clamd-client.js';
import { clamdConfigText, clamdSocketPath } from './clamd-config.js';

const log = createLogger('clamd');

/** Debian's clamd. */
export const DEFAULT_CLAMD_BINARY = '/usr/sbin/clamd';

/** How to run clamd. */
export interface ClamdDaemonOptions {
  /** Private folder for config, socket, pid file, temp files and database copies. */
  readonly workDir: string;
  readonly logFile: string;
  readonly binary?: string;
  /** Largest stream clamd scans. */
  readonly maxBytes: number;
  readonly threads?: number;
  /** Backoff between restarts. */
  readonly restartDelayMs?: { readonly min: number; readonly max: number };
  /** How long a starting clamd may take to answer PING (it loads the database first). */
  readonly startTimeoutMs?: number;
}

/** Where the process is: `running` means it answers PING. */
export type ClamdDaemonState = 'stopped' | 'starting' | 'running' | 'down';

type StateListener = (state: ClamdDaemonState, reason: string) => void;

const TAIL_BYTES = 4096;

/** Supervises one clamd process. */
export class ClamdDaemon {
  /** The socket clamd listens on. */
  readonly address: { readonly path: string };
  /** The fixed path clamd's DatabaseDirectory names (a link switched per load). */
  readonly databaseLink: string;
  readonly configFile: string;
  private readonly pidFile: string;
  private readonly binary: string;
  private readonly delays: { min: number; max: number };
  private readonly startTimeoutMs: number;
  private child: ChildProcess | undefined;
  private current: ClamdDaemonState = 'stopped';
  private failures = 0;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private tail = '';
  private readonly listeners = new Set<StateListener>();

  constructor(private readonly options: ClamdDaemonOptions) {
    const workDir = path.resolve(options.workDir);
    this.address = { path: clamdSocketPath(workDir) };
    this.databaseLink = path.join(workDir, 'database');
    this.configFile = path.join(workDir, 'clamd.conf');
    this.pidFile = path.join(workDir, 'clamd.pid');
    this.binary = options.binary ?? DEFAULT_CLAMD_BINARY;
    this.delays = options.restartDelayMs ?? { min: 500, max: 30_000 };
    this.startTimeoutMs = options.startTimeoutMs ?? 300_000;
  }

  /** The current state. */
  get state(): ClamdDaemonState {
    return this.current;
  }

  /** Process id of the running clamd, if any. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Be told about state changes; returns the function that stops listening. */
  onState(listener: StateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Write the config and start clamd (the database link must exist). */
  async start(): Promise<void> {
    this.stopping = false;
    const workDir = path.dirname(this.configFile);
    const tempDir = path.join(workDir, 'tmp');
    await fs.promises.mkdir(tempDir, { recursive: true, mode: 0o700 });
    await fs.promises.mkdir(path.dirname(this.options.logFile), { recursive: true });
    await this.endStaleProcess();
    await fs.promises.writeFile(
      this.configFile,
      clamdConfigText({
        socketPath: this.address.path,
        databaseDir: this.databaseLink,
        logFile: this.options.logFile,
        pidFile: this.pidFile,
        tempDir,
        maxBytes: this.options.maxBytes,
        threads: this.options.threads ?? 4,
      }),
      { mode: 0o600 },
    );
    this.launch();
  }

  /** Stop clamd (TERM, then KILL if it lingers) and stop restarting it. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const lingering = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(lingering);
    }
    this.child = undefined;
    this.setState('stopped', 'stopped by the server');
  }

  /** Kill a clamd that is not answering; supervision starts a new one. */
  kill(reason: string): void {
    log.warn('killing clamd', { reason, pid: this.child?.pid });
    this.child?.kill('SIGKILL');
  }

  private launch(): void {
    if (this.stopping) return;
    this.tail = '';
    this.setState('starting', 'starting clamd');
    const child = spawn(this.binary, ['--config-file', this.configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer): void => {
      this.tail = (this.tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let failed = false;
    child.once('error', (error: NodeJS.ErrnoException) => {
      failed = true;
      this.down(`cannot run ${this.binary}: ${error.code ?? error.message}`);
    });
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (failed || this.stopping) return;
      const last = lastLine(this.tail);
      this.down(`clamd exited (${signal ?? `code ${code}`})${last ? `: ${last}` : ''}`);
    });
    void this.awaitPing(child);
  }

  private async awaitPing(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + this.startTimeoutMs;
    while (this.child === child && !this.stopping) {
      if (await clamdPing(this.address, 2_000)) {
        if (this.child !== child) return;
        this.failures = 0;
        this.setState('running', `clamd ${child.pid} answers on ${this.address.path}`);
        return;
      }
      if (Date.now() > deadline) {
        this.kill(`no answer to PING within ${this.startTimeoutMs} ms`);
        return;
      }
      await sleep(100);
    }
  }

  private down(reason: string): void {
    this.setState('down', reason);
    if (this.stopping) return;
    const delay = Math.min(this.delays.max, this.delays.min * 2 ** this.failures);
    this.failures++;
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => this.launch(), delay);
    this.restartTimer.unref();
  }

  private setState(state: ClamdDaemonState, reason: string): void {
    if (state === this.current && state !== 'down') return;
    this.current = state;
    log[state === 'down' ? 'warn' : 'info'](`clamd ${state}`, { reason });
    for (const listener of this.listeners) listener(state, reason);
  }

  /** After a crash of the server its clamd may live on; end it if the pid file proves it ours. */
  private async endStaleProcess(): Promise<void> {
    let pid: number;
    try {
      pid = Number.parseInt(await fs.promises.readFile(this.pidFile, 'utf8'), 10);
    } catch {
      return;
    }
    if (!Number.isInteger(pid) || pid <= 1) return;
    let cmdline: string;
    try {
      cmdline = (await fs.promises.readFile(`/proc/${pid}/cmdline`, 'utf8')).replace(/\0/g, ' ');
    } catch {
      return;
    }
    if (!cmdline.includes(this.configFile)) return;
    log.warn('ending the clamd left by a previous run of this server', { pid });
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return;
    }
    // A container's init may never reap it; a zombie holds nothing, so that counts as gone.
    for (let i = 0; i < 200 && isLiving(pid); i++) await sleep(50);
  }
}

function isLiving(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/s.test(stat);
  } catch {
    return false;
  }
}

function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  return lines.at(-1)?.trim().slice(0, 300) ?? '';
}
