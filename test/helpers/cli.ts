/** Running the built `cq` command as a real child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

/** Path of the `cq` launcher (runs dist/, built by `npm run build`). */
export const CQ = fileURLToPath(new URL('../../bin/cq.js', import.meta.url));

/** What a finished `cq` run printed. */
export interface CqResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `cq args…` to completion, optionally feeding stdin. */
export function runCq(
  args: readonly string[],
  options: { stdin?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CqResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CQ, ...args], {
      env: { ...process.env, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

const children: ChildProcess[] = [];

/** A long-running `cq` program and the listener lines it printed. */
export interface CqProcess {
  readonly child: ChildProcess;
  /** listener name → address, from `<name> listening on <address>` lines. */
  readonly listening: Map<string, string[]>;
  output(): string;
  /** Send SIGTERM and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Start `cq args…` and wait until it printed `listening` lines for every name in `expect`, as
 * many for a name as it appears there (`['control', 'control']`: the socket and TCP lines).
 */
export function startCq(args: readonly string[], expect: readonly string[]): Promise<CqProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CQ, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const listening = new Map<string, string[]>();
    let out = '';
    let settled = false;
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const handle: CqProcess = {
      child,
      listening,
      output: () => out,
      stop: async (signal = 'SIGTERM') => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        return exited;
      },
    };
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      for (const match of out.matchAll(/^(\w[\w-]*) listening on (.+)$/gm)) {
        const list = listening.get(match[1]!) ?? [];
        if (!list.includes(match[2]!)) list.push(match[2]!);
        listening.set(match[1]!, list);
      }
      const enough = expect.every(
        (name) =>
          (listening.get(name)?.length ?? 0) >= expect.filter((other) => other === name).length,
      );
      if (!settled && enough) {
        settled = true;
        resolve(handle);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => {
      if (!settled) {
        settled = true;
        reject(new Error(`cq ${args[0]} exited with ${code} before listening:\n${out}`));
      }
    });
  });
}

afterAll(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});
