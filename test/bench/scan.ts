/**
 * `cq bench scan`: scanning throughput of the engines on one generated corpus and set (issue 3).
 * The corpus holds at least 200 MB of unique files (PE, ELF, text, random; some infected), the
 * set at least 100,000 hash and 10,000 body signatures. For each engine it prints load time,
 * memory, scan time, MB/s and whether every detection came out as expected; later engines are
 * also given as a ratio to the builtin one.
 *
 * Engines are listed in ENGINES: each is a factory for a `ScanEngine`, measured the same way
 * on the same files, so adding one (clamd) is one entry.
 *
 * Options: `--quick` (20 MB corpus, 10,000 hash and 1,000 body signatures), `--dir DIR` (keep
 * the corpus and set there instead of a temporary folder). To profile, run
 * `node --cpu-prof bin/cq.js bench scan`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createBuiltinEngine } from '../../src-main/server/scanner/builtin/builtin-engine.js';
import type { ActiveSet, ScanEngine } from '../../src-main/server/scanner/engine.js';
import { createBenchClamd } from './support/clamd-bench.js';
import { generateBench, type Corpus, type GeneratedSet } from './support/scan-corpus.js';

export {
  generateBench,
  type Corpus,
  type CorpusFile,
  type GeneratedSet,
} from './support/scan-corpus.js';

/** Rates are in MB (10^6 bytes) per second. */
const MB = 1e6;

/** An engine to measure: a name and how to make it. */
export interface BenchEngine {
  readonly name: string;
  create(): Promise<ScanEngine> | ScanEngine;
}

/** The engines `cq bench scan` measures, in order; the first is the reference for ratios. */
export const ENGINES: BenchEngine[] = [
  { name: 'builtin', create: () => createBuiltinEngine() },
  // The clamd column (issue 3): real ClamAV on the same set and corpus, see support/clamd-bench.ts.
  { name: 'clamd', create: () => createBenchClamd() },
];

/** What one engine did on the corpus. */
export interface EngineFigures {
  readonly engine: string;
  readonly loadSeconds: number;
  readonly signatures: number;
  readonly unusable: number;
  /** Growth of this process's heap + external memory over the load (in-process engines). */
  readonly memoryMB: number;
  readonly scanSeconds: number;
  /** Corpus bytes per wall-clock second. */
  readonly mbPerSecond: number;
  /**
   * Corpus bytes per second of this process's CPU time: the per-core rate, which other work
   * on a shared machine does not dilute (an engine in another process shows its wall rate).
   */
  readonly mbPerCpuSecond: number;
  readonly files: number;
  /** Files whose verdict named the expected signature (or was clean when expected clean). */
  readonly correct: number;
  readonly notScanned: number;
  /** First few files with a verdict other than expected. */
  readonly wrong: readonly string[];
}

function memory(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external + usage.arrayBuffers;
}

/** The garbage collector, reachable without `node --expose-gc` (the bench runs inside `cq`). */
const gc: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

/** Settle the heap so that a difference of two readings is what was kept in between. */
function collect(): void {
  gc();
  gc();
}

/** Load the set into `engine` and scan every corpus file once, sequentially, from disk. */
export async function measureEngine(
  name: string,
  engine: ScanEngine,
  set: ActiveSet,
  corpus: Corpus,
): Promise<EngineFigures> {
  collect();
  const before = memory();
  const loadStart = performance.now();
  const report = await engine.load(set);
  const loadSeconds = (performance.now() - loadStart) / 1000;
  collect();
  const memoryMB = (memory() - before) / MB;

  let correct = 0;
  let notScanned = 0;
  const wrong: string[] = [];
  const cpuStart = process.cpuUsage();
  const scanStart = performance.now();
  for (const file of corpus.files) {
    const stream = fs.createReadStream(file.path, { highWaterMark: 1024 * 1024 });
    const verdict = await engine.scan(stream, file.size);
    if (verdict.notScanned) notScanned += 1;
    if (verdict.virusName === file.expected) correct += 1;
    else if (wrong.length < 5) {
      wrong.push(
        `${path.basename(file.path)}: ${verdict.virusName ?? verdict.result}, expected ${file.expected ?? 'clean'}`,
      );
    }
  }
  const scanSeconds = (performance.now() - scanStart) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    engine: name,
    loadSeconds,
    signatures: report.signatures,
    unusable: report.unusable.length,
    memoryMB,
    scanSeconds,
    mbPerSecond: corpus.bytes / MB / scanSeconds,
    mbPerCpuSecond: corpus.bytes / MB / cpuSeconds,
    files: corpus.files.length,
    correct,
    notScanned,
    wrong,
  };
}

/** Measure the builtin engine alone (for callers that bring their own corpus and set). */
export async function runBuiltinScanBench(set: ActiveSet, corpus: Corpus): Promise<EngineFigures> {
  const engine = createBuiltinEngine();
  try {
    return await measureEngine('builtin', engine, set, corpus);
  } finally {
    await engine.close();
  }
}

/** Print one line per engine, with the ratio of each to the first. */
export function printFigures(rows: readonly EngineFigures[]): void {
  const header = [
    'engine',
    'load s',
    'signatures',
    'unusable',
    'memory MB',
    'scan s',
    'MB/s',
    'MB/s per CPU s',
    'vs first',
    'verdicts',
  ];
  const lines = rows.map((r) => [
    r.engine,
    r.loadSeconds.toFixed(2),
    String(r.signatures),
    String(r.unusable),
    r.memoryMB.toFixed(1),
    r.scanSeconds.toFixed(2),
    r.mbPerSecond.toFixed(0),
    r.mbPerCpuSecond.toFixed(0),
    rows[0] ? `${(r.mbPerSecond / rows[0].mbPerSecond).toFixed(2)}x` : '-',
    `${r.correct}/${r.files} as expected${r.notScanned ? `, ${r.notScanned} not scanned` : ''}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  for (const line of [header, ...lines]) {
    console.log(line.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
  }
  for (const r of rows) for (const w of r.wrong) console.log(`  ${r.engine}: ${w}`);
}

function describeCorpus(corpus: Corpus, set: GeneratedSet): void {
  const kinds = new Map<string, number>();
  for (const f of corpus.files) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + f.size);
  const mix = [...kinds]
    .map(([k, b]) => `${k} ${((100 * b) / corpus.bytes).toFixed(0)}%`)
    .join(', ');
  const infected = corpus.files.filter((f) => f.expected).length;
  console.log(
    `corpus: ${corpus.files.length} files, ${(corpus.bytes / MB).toFixed(1)} MB (${mix}), ${infected} infected`,
  );
  console.log(
    `set: ${set.hashSignatures} hash + ${set.bodySignatures} body signatures (${(set.bytes / MB).toFixed(1)} MB of signature files)`,
  );
}

/**
 * How fast this machine runs the simplest loop over bytes right now: other work sharing the
 * cores slows every figure, this one included, so it puts the engines' rates in proportion.
 */
function referenceRate(): number {
  const bytes = new Uint8Array(64 * 1024 * 1024).fill(7);
  let sum = 0;
  const start = process.cpuUsage();
  for (let i = 0; i < bytes.length; i++) sum = (sum + bytes[i]!) | 0;
  const cpu = process.cpuUsage(start);
  if (sum === 0) console.log('(reference loop optimised away)');
  return bytes.length / MB / ((cpu.user + cpu.system) / 1e6);
}

/** `cq bench scan [--quick] [--dir DIR]`. */
export async function run(args: string[]): Promise<void> {
  let quick = false;
  let keepDir: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--quick') quick = true;
    else if (args[i] === '--dir' && args[i + 1]) keepDir = path.resolve(args[++i]!);
    else throw new Error(`unknown option ${args[i]} (known: --quick, --dir DIR)`);
  }
  const sizes = quick
    ? { corpusBytes: 20 * MB, hashSignatures: 10_000, bodySignatures: 1_000 }
    : { corpusBytes: 200 * MB, hashSignatures: 100_000, bodySignatures: 10_000 };
  const root = keepDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cq-bench-scan-'));
  console.log(
    `scan benchmark: ${os.cpus().length} cores, node ${process.version}${quick ? ', quick' : ''}, files in ${root}`,
  );
  console.log(
    `single core reference (the same machine, now): plain byte loop ${referenceRate().toFixed(0)} MB/s per CPU s`,
  );
  try {
    const generating = performance.now();
    const { set, corpus } = generateBench(path.join(root, 'set'), path.join(root, 'corpus'), sizes);
    console.log(`generated in ${((performance.now() - generating) / 1000).toFixed(1)} s`);
    describeCorpus(corpus, set);
    const active: ActiveSet = {
      sequence: 1,
      version: '2026.01.01.001',
      certified: false,
      dir: set.dir,
      name: '00000001.all.zip',
    };
    const rows: EngineFigures[] = [];
    for (const bench of ENGINES) {
      const engine = await bench.create();
      try {
        rows.push(await measureEngine(bench.name, engine, active, corpus));
      } finally {
        await engine.close();
      }
    }
    printFigures(rows);
  } finally {
    if (!keepDir) fs.rmSync(root, { recursive: true, force: true });
  }
}
