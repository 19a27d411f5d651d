/**
 * `cq gateway` as a child process for benchmarks: started on a free loopback port with the
 * given research rules and timings, resolved once it prints its listening line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot, type ChildExit } from './child-server.js';

/** A running `cq gateway` child. */
export interface ChildGateway {
  readonly port: number;
  readonly process: ChildProcess;
  stderr(): string;
  /** Send a signal; resolves with the exit once the process is gone. */
  kill(signal: NodeJS.Signals): Promise<ChildExit>;
}

const LISTENING = /^gateway listening on (\[[^\]]+\]|[^:\s]+):(\d+)$/m;

/** Start `node bin/cq.js gateway` on `dataDir`. */
export function spawnGateway(options: {
  dataDir: string;
  researchRules: string;
  timings: string;
  startTimeoutMs?: number;
}): Promise<ChildGateway> {
  const root = repoRoot();
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'bin', 'cq.js'),
      'gateway',
      '--data-dir',
      options.dataDir,
      '--port',
      '0',
      '--research-rules',
      options.researchRules,
      '--timings',
      options.timings,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => (stderr = (stderr + text).slice(-64 * 1024)));
  const exited = new Promise<ChildExit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise<ChildGateway>((resolve, reject) => {
    const timeout = options.startTimeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cq gateway did not listen within ${timeout} ms; stderr:\n${stderr}`));
    }, timeout);
    const onData = (text: string): void => {
      stdout += text;
      const match = LISTENING.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.stdout.resume();
      resolve({
        port: Number(match[2]),
        process: child,
        stderr: () => stderr,
        kill: (signal) => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    };
    child.stdout.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`cq gateway exited (code ${code}, signal ${signal}); stderr:\n${stderr}`));
    });
  });
}
