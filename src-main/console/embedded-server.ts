/**
 * The console's embedded Quarantine Server (SPEC §1, §10): `cq server` run as a separate process
 * on the user's data folder, never inside the console's own process. Under Node it is a child
 * process; the Electron main passes `utilityProcess.fork` as the launcher. The console attaches to
 * it over its local socket like to any other server.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../log/logger.js';
import { defaultSocketPath } from '../server/server.js';

const log = createLogger('console.embedded');

/** The part of a child process the supervisor uses (Node ChildProcess and Electron UtilityProcess). */
export interface LaunchedProcess {
  readonly pid?: number | undefined;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  kill(signal?: NodeJS.Signals): boolean;
  once(event: 'exit', listener: (code: number | null) => void): unknown;
}

/** Starts `modulePath` (the `cq` launcher) with `args` as a separate process with piped output. */
export type Launcher = (modulePath: string, args: readonly string[]) => LaunchedProcess;

/** Settings of the embedded server. */
export interface EmbeddedServerOptions {
  readonly dataDir: string;
  /** Local control socket; default `<dataDir>/control.sock` (a named pipe on Windows). */
  readonly socketPath?: string;
  /** Extra `cq server` options, e.g. `['--port', '0', '--no-control']`. */
  readonly serverArgs?: readonly string[];
  /** Default: `process.execPath bin/cq.js …` as a Node child process. */
  readonly fork?: Launcher;
  /** Path of the `cq` launcher script; default the repository's `bin/cq.js`. */
  readonly modulePath?: string;
  /** Give up waiting for the `control listening on` line after this long. */
  readonly startTimeoutMs?: number;
  /** Restart the server after it exits unexpectedly (default true). */
  readonly restart?: boolean;
  /** Largest wait between restarts. */
  readonly maxRestartDelayMs?: number;
  /** Told about each listener line (`intake listening on …`) the server prints. */
  readonly onListening?: (name: string, address: string) => void;
  /** Told when the server exits unexpectedly (before any restart). */
  readonly onExit?: (code: number | null) => void;
}

/** A running embedded server. */
export interface EmbeddedServer {
  readonly dataDir: string;
  readonly socketPath: string;
  /** Listener name → addresses printed by the current server process. */
  readonly listeners: ReadonlyMap<string, readonly string[]>;
  /** Stop the server (SIGTERM, then SIGKILL after a grace period) and stop restarting it. */
  stop(): Promise<void>;
}

const LISTENING = /^(\w[\w-]*) listening on (.+)$/;
const STOP_GRACE_MS = 10_000;

/** The repository's `bin/cq.js`, found from this module in src-main/console or dist/…. */
export function defaultCqPath(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'bin', 'cq.js');
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find bin/cq.js above ${import.meta.url}`);
    dir = parent;
  }
}

/** Node's launcher: the same Node binary as this process, output piped. */
export const nodeLauncher: Launcher = (modulePath, args) =>
  spawn(process.execPath, [modulePath, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    windowsHide: true,
  });

/**
 * Start `cq server` on `dataDir` and resolve once its control socket listens. Rejects with the
 * server's own one-line reason when it exits before that (e.g. another server uses the folder).
 */
export async function startEmbeddedServer(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const dataDir = path.resolve(options.dataDir);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const socketPath = options.socketPath ?? defaultSocketPath(dataDir);
  const fork = options.fork ?? nodeLauncher;
  const modulePath = options.modulePath ?? defaultCqPath();
  const args = [
    'server',
    '--data-dir',
    dataDir,
    '--socket',
    socketPath,
    ...(options.serverArgs ?? []),
  ];
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const maxDelay = options.maxRestartDelayMs ?? 30_000;
  const listeners = new Map<string, string[]>();

  let current: LaunchedProcess | null = null;
  let currentExit: Promise<number | null> | null = null;
  let stopping = false;
  let restartTimer: ReturnType<typeof setTimeout> | undefined;
  let restarts = 0;

  /** Launch one server process; resolves once it listens, rejects if it ends first. */
  const launch = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      listeners.clear();
      const child = fork(modulePath, args);
      current = child;
      let ready = false;
      let stderrTail = '';
      let buffered = '';
      const timer = setTimeout(() => {
        if (ready) return;
        child.kill('SIGKILL');
        reject(new Error(`the embedded server did not start within ${timeoutMs} ms`));
      }, timeoutMs);
      child.stdout?.setEncoding('utf8');
      child.stderr?.setEncoding('utf8');
      child.stdout?.on('data', (chunk: string) => {
        buffered += chunk;
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).replace(/\r$/, '');
          buffered = buffered.slice(newline + 1);
          const match = LISTENING.exec(line);
          if (!match) continue;
          const [, name = '', address = ''] = match;
          listeners.set(name, [...(listeners.get(name) ?? []), address]);
          options.onListening?.(name, address);
          if (name === 'control' && !ready) {
            ready = true;
            clearTimeout(timer);
            resolve();
          }
        }
        if (buffered.length > 64 * 1024) buffered = buffered.slice(-1024);
      });
      child.stderr?.on('data', (chunk: string) => {
        // Bounded: the server logs to its data folder; stderr only explains a failed start.
        stderrTail = (stderrTail + chunk).slice(-8 * 1024);
      });
      currentExit = new Promise<number | null>((done) => {
        child.once('exit', (code) => {
          clearTimeout(timer);
          if (current === child) current = null;
          done(code);
          if (!ready) {
            reject(new Error(lastReason(stderrTail) ?? `the embedded server exited with ${code}`));
            return;
          }
          if (stopping) return;
          log.warn('embedded server exited unexpectedly', { code });
          options.onExit?.(code);
          if (options.restart ?? true) scheduleRestart();
        });
      });
    });

  const scheduleRestart = (): void => {
    const delay = Math.min(maxDelay, 500 * 2 ** Math.min(restarts, 10));
    restarts++;
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (stopping) return;
      launch().then(
        () => {
          restarts = 0;
          log.info('embedded server restarted');
        },
        (error: unknown) => {
          log.error('embedded server failed to restart', { error: String(error) });
          if (!stopping) scheduleRestart();
        },
      );
    }, delay);
  };

  // Should the console die without stopping us, the server must not outlive it.
  const killOnExit = (): void => {
    stopping = true;
    current?.kill('SIGTERM');
  };
  process.once('exit', killOnExit);
  try {
    await launch();
  } catch (error) {
    process.off('exit', killOnExit);
    throw error;
  }

  return {
    dataDir,
    socketPath,
    listeners,
    async stop() {
      stopping = true;
      process.off('exit', killOnExit);
      if (restartTimer) clearTimeout(restartTimer);
      const child = current;
      const exit = currentExit;
      if (!child || !exit) return;
      child.kill('SIGTERM');
      let timer: ReturnType<typeof setTimeout> | undefined;
      const killed = await Promise.race([
        exit.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), STOP_GRACE_MS);
        }),
      ]);
      clearTimeout(timer);
      if (killed) {
        log.warn('embedded server did not stop in time; killing it');
        child.kill('SIGKILL');
        await exit;
      }
    },
  };
}

/** The `cq: reason` line a failed `cq server` prints last, without the prefix. */
function lastReason(stderr: string): string | undefined {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const line = lines.reverse().find((l) => l.startsWith('cq: ')) ?? lines[0];
  return line?.replace(/^cq: /, '');
}
