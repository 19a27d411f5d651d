/**
 * The clamd column of `cq bench scan` (issue 3): the server's own clamd engine, run in a private
 * temporary folder on the same generated set and corpus as the built-in engine. The memory
 * column of the table is this process's; clamd's own resident memory after the load is printed
 * on a line of its own.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClamdEngine } from '../../../src-main/server/scanner/clamd/clamd-engine.js';
import type { ActiveSet, ScanEngine } from '../../../src-main/server/scanner/engine.js';

/** Largest corpus file the generator writes is 8 MiB; clamd's stream limit leaves room. */
const MAX_BYTES = 64 * 1024 * 1024;

function residentMB(pid: number | null): string {
  if (pid === null) return '?';
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1]);
    return Number.isFinite(kb) ? (kb / 1024).toFixed(1) : '?';
  } catch {
    return '?';
  }
}

/** CPU seconds (user + system) the process `pid` has used, from /proc; null if unknown. */
function cpuSeconds(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    return ticks / hz;
  } catch {
    return null;
  }
}

/**
 * A clamd engine whose working folder is removed when it is closed. The table's CPU column
 * counts this process only; the CPU clamd itself spent scanning is printed when it closes.
 */
export function createBenchClamd(): ScanEngine {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cq-bench-clamd-'));
  const engine = createClamdEngine({
    workDir: path.join(work, 'clamd'),
    logFile: path.join(work, 'clamd.log'),
    maxBytes: MAX_BYTES,
    threads: 2,
  });
  let cpuAfterLoad: number | null = null;
  let scanned = 0;
  return {
    name: 'clamd',
    async load(set: ActiveSet) {
      const report = await engine.load(set);
      const pid = engine.daemon?.pid ?? null;
      cpuAfterLoad = cpuSeconds(pid);
      process.stdout.write(`clamd resident memory after load: ${residentMB(pid)} MB\n`);
      return report;
    },
    scan: (content, size) => {
      scanned += size;
      return engine.scan(content, size);
    },
    async close() {
      const used = cpuSeconds(engine.daemon?.pid ?? null);
      if (used !== null && cpuAfterLoad !== null && used > cpuAfterLoad) {
        const seconds = used - cpuAfterLoad;
        process.stdout.write(
          `clamd process: ${seconds.toFixed(1)} CPU s scanning ${(scanned / 1e6).toFixed(1)} MB, ${(scanned / 1e6 / seconds).toFixed(0)} MB per clamd CPU second\n`,
        );
      }
      await engine.close();
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}
