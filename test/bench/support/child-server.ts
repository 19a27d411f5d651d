/**
 * `cq server` as a child process, for the intake benchmark and the crash-recovery test: a real
 * process that can be sampled through /proc and killed with SIGKILL, unlike an in-process server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** How the child ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A `cq server` child that has printed its intake listening line. */
export interface ChildServer {
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** Resolves once the process has exited (and been reaped, so its pid no longer holds locks). */
  readonly exited: Promise<ChildExit>;
  /** Everything the child wrote to stderr so far (for failure messages). */
  stderr(): string;
  /** Send a signal; resolves with the exit once the process is gone. */
  kill(signal: NodeJS.Signals): Promise<ChildExit>;
  /**
   * SIGTERM, and SIGKILL if the process has not exited `graceMs` later (then `timedOut`), so
   * that a server that fails to stop is reported instead of waited for forever.
   */
  stop(graceMs?: number): Promise<ChildExit & { timedOut: boolean }>;
}

/** Options of `spawnServer`. */
export interface SpawnServerOptions {
  readonly dataDir: string;
  /** Written next to the data folder as `<dataDir>-config.json` and passed as `--config`. */
  readonly config?: Record<string, unknown>;
  /** Extra `node` flags, e.g. `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Give up waiting for the listening line after this long. */
  readonly startTimeoutMs?: number;
  /** Called with the process as soon as it is spawned (before it listens). */
  readonly onSpawn?: (child: ChildProcess) => void;
}

const LISTENING = /^intake listening on (\[[^\]]+\]|[^:\s]+):(\d+)$/m;

/** The repository root: the nearest folder above this module holding `bin/cq.js`. */
export function repoRoot(): string {
  // This module runs from test/bench/support (vitest) and from dist/test/bench/support (cq bench).
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'bin', 'cq.js'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find bin/cq.js above ' + import.meta.url);
    dir = parent;
  }
}

/**
 * Start `node bin/cq.js server` on `dataDir` with an intake on a free loopback port and no
 * TCP control listener; resolves once it accepts connections.
 */
export function spawnServer(options: SpawnServerOptions): Promise<ChildServer> {
  const root = repoRoot();
  const args = [
    ...(options.nodeArgs ?? []),
    path.join(root, 'bin', 'cq.js'),
    'server',
    '--data-dir',
    options.dataDir,
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--no-control',
    '--socket',
    path.join(options.dataDir, 'control.sock'),
  ];
  if (options.config) {
    // Outside the data folder, so that the folder holds only what the server writes.
    const file = `${path.resolve(options.dataDir)}-config.json`;
    fs.writeFileSync(file, JSON.stringify(options.config));
    args.push('--config', file);
  }
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  options.onSpawn?.(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    // Bounded: a long-running child must not grow the parent's memory without end.
    stderr = (stderr + text).slice(-64 * 1024);
  });
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const kill = (signal: NodeJS.Signals): Promise<ChildExit> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };

  return new Promise<ChildServer>((resolve, reject) => {
    const timeout = options.startTimeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cq server did not listen within ${timeout} ms; stderr:\n${stderr}`));
    }, timeout);
    const onData = (text: string): void => {
      stdout += text;
      const match = LISTENING.exec(stdout);
      if (!match || child.pid === undefined) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      // Keep draining stdout so that the child never blocks on a full pipe.
      child.stdout.resume();
      const host = match[1]!.replace(/^\[|\]$/g, '');
      resolve({
        pid: child.pid,
        host,
        port: Number(match[2]),
        process: child,
        exited,
        stderr: () => stderr,
        kill,
        stop: async (graceMs = 30_000) => {
          let graceTimer: NodeJS.Timeout | undefined;
          const late = new Promise<'late'>((resolve) => {
            graceTimer = setTimeout(() => resolve('late'), graceMs);
          });
          const first = await Promise.race([kill('SIGTERM'), late]);
          clearTimeout(graceTimer);
          if (first !== 'late') return { ...first, timedOut: false };
          return { ...(await kill('SIGKILL')), timedOut: true };
        },
      });
    };
    child.stdout.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(
        new Error(
          `cq server exited (code ${code}, signal ${signal}) before listening; stderr:\n${stderr}`,
        ),
      );
    });
  });
}

/** Resident memory of a process in bytes, from /proc/PID/status (Linux). */
export function residentBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** CPU time (user + system) a process has used so far, in seconds, from /proc/PID/stat (Linux). */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name, which may itself contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, in USER_HZ ticks (100 on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
