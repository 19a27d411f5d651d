/**
 * `cq bench intake`: durable intake throughput, ack latency and server memory (SPEC §4.2, §5).
 * The server runs as a child process (`cq server`) so that its resident memory can be read from
 * /proc and its CPU measured or profiled; forwards go over loopback through a keep-alive agent.
 *
 * Options: `--quick` (smaller counts), `--concurrency N` (forwards in flight, default 64),
 * `--phases small,large,memory` (which to run, default all), `--cpu-prof DIR` (write a V8 CPU
 * profile of the server there), e.g. `cq bench intake --quick --phases small`.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { formatHttpDate } from '../../src-shared/codec/dates.js';
import { xorVampishInPlace } from '../../src-shared/codec/transforms.js';
import {
  cpuSeconds,
  residentBytes,
  spawnServer,
  type ChildServer,
} from './support/child-server.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** Rates are printed in MB (10^6 bytes) per second. */
const MB = 1e6;

const PHASES = ['small', 'large', 'memory'] as const;
type Phase = (typeof PHASES)[number];

interface BenchOptions {
  readonly quick: boolean;
  readonly concurrency: number;
  readonly phases: ReadonlySet<Phase>;
  readonly cpuProfDir: string | undefined;
}

function parseArgs(args: readonly string[]): BenchOptions {
  let quick = false;
  let concurrency = 64;
  let phases = new Set<Phase>(PHASES);
  let cpuProfDir: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--concurrency') {
      concurrency = Number(args[++i]);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1024) {
        throw new Error('--concurrency expects a whole number 1..1024');
      }
    } else if (arg === '--phases') {
      const names = (args[++i] ?? '').split(',');
      if (!names.every((n): n is Phase => (PHASES as readonly string[]).includes(n))) {
        throw new Error(`--phases expects a list of ${PHASES.join(', ')}`);
      }
      phases = new Set(names);
    } else if (arg === '--cpu-prof') {
      const dir = args[++i];
      if (!dir) throw new Error('--cpu-prof expects a folder');
      cpuProfDir = path.resolve(dir);
    } else {
      throw new Error(
        `unknown option ${arg} (known: --quick, --concurrency N, --phases LIST, --cpu-prof DIR)`,
      );
    }
  }
  return { quick, concurrency, phases, cpuProfDir };
}

/** One forward, ready to send: the wire body and its headers. */
interface PreparedSample {
  readonly body: Buffer;
  readonly headers: Record<string, string>;
  readonly size: number;
}

/**
 * Distinct random content, deflated and scrambled as a sender does. Random bytes do not
 * compress, so a sender's deflate emits (nearly) stored blocks; level 0 makes the same kind of
 * stream without spending the CPU that the server shares with the bench.
 */
function prepareSample(size: number, host: string): PreparedSample {
  const content = randomBytes(size);
  const body = deflateRawSync(content, { level: 0 });
  xorVampishInPlace(body, 0);
  return {
    body,
    size,
    headers: {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(body.length),
      'X-Sample-Type': 'file',
      'X-Sample-File': `C:\\bench\\sample-${size}.bin`,
      'X-Platform-Host': host,
      'X-Date-Captured': formatHttpDate(Date.now() - 60_000),
      'X-Checksum-Method': 'md5',
      'X-Content-Compression': 'deflate',
      'X-Content-Scrambling': 'xor-vampish',
      'X-Content-Checksum': md5Upper(body),
      'X-Sample-Checksum': md5Upper(content),
      'X-Sample-Size': String(size),
    },
  };
}

function md5Upper(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex').toUpperCase();
}

/** POST one sample; resolves with the ack latency in ms, rejects unless the answer is 201. */
function post(agent: http.Agent, server: ChildServer, sample: PreparedSample): Promise<number> {
  const started = performance.now();
  return new Promise<number>((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: server.host,
        port: server.port,
        method: 'POST',
        path: '/samples',
        headers: { ...sample.headers, Date: formatHttpDate(Date.now()) },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 201) resolve(performance.now() - started);
          else {
            const error = String(res.headers['x-error'] ?? '');
            reject(new Error(`HTTP ${res.statusCode} ${error} for a ${sample.size}-byte sample`));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(sample.body);
  });
}

/** Figures of one measured run of forwards. */
interface RunResult {
  readonly samples: number;
  readonly seconds: number;
  readonly bytes: number;
  readonly latenciesMs: Float64Array;
  /** CPU seconds the server and the bench process used meanwhile. */
  readonly serverCpu: number;
  readonly benchCpu: number;
}

/**
 * Forward `count` samples with `concurrency` in flight. `next(i)` supplies sample i;
 * `onProgress` runs after every acknowledged forward.
 */
async function forwardMany(
  agent: http.Agent,
  server: ChildServer,
  count: number,
  concurrency: number,
  next: (i: number) => PreparedSample,
  onProgress?: (done: number) => void,
): Promise<RunResult> {
  const latencies = new Float64Array(count);
  let issued = 0;
  let done = 0;
  let bytes = 0;
  const serverCpuBefore = cpuSeconds(server.pid);
  const benchCpuBefore = process.cpuUsage();
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (issued < count) {
      const i = issued++;
      const sample = next(i);
      latencies[i] = await post(agent, server, sample);
      bytes += sample.size;
      done++;
      onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const seconds = (performance.now() - started) / 1000;
  const benchCpu = process.cpuUsage(benchCpuBefore);
  return {
    samples: count,
    seconds,
    bytes,
    latenciesMs: latencies,
    serverCpu: cpuSeconds(server.pid) - serverCpuBefore,
    benchCpu: (benchCpu.user + benchCpu.system) / 1e6,
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Single-core rate of `work` over `bytes`, in MB/s, measured for about `ms`. */
function singleCoreRate(bytes: number, work: () => void, ms = 1000): number {
  work();
  let rounds = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    work();
    rounds++;
    elapsed = performance.now() - started;
  }
  return (rounds * bytes) / MB / (elapsed / 1000);
}

const COLUMNS: readonly [string, number][] = [
  ['samples', 8],
  ['count', 7],
  ['seconds', 8],
  ['samples/s', 10],
  ['MB/s', 8],
  ['p50 ms', 8],
  ['p99 ms', 8],
  ['server CPU', 11],
  ['bench CPU', 10],
  ['CPU ms/sample', 14],
];

function row(cells: readonly string[]): string {
  return cells
    .map((cell, i) => (i === 0 ? cell.padEnd(COLUMNS[i]![1]) : cell.padStart(COLUMNS[i]![1])))
    .join('  ');
}

function resultRow(label: string, r: RunResult): string {
  const sorted = Float64Array.from(r.latenciesMs).sort();
  return row([
    label,
    String(r.samples),
    r.seconds.toFixed(2),
    (r.samples / r.seconds).toFixed(0),
    (r.bytes / MB / r.seconds).toFixed(1),
    percentile(sorted, 50).toFixed(1),
    percentile(sorted, 99).toFixed(1),
    `${((100 * r.serverCpu) / r.seconds).toFixed(0)}%`,
    `${((100 * r.benchCpu) / r.seconds).toFixed(0)}%`,
    ((1000 * r.serverCpu) / r.samples).toFixed(3),
  ]);
}

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

/** Other processes compete for the same cores; say how much, since it colours every figure. */
function machineLoad(): string {
  const [one] = os.loadavg();
  let pressure = '';
  try {
    const cpu = fs.readFileSync('/proc/pressure/cpu', 'utf8');
    const some = /^some avg10=([\d.]+)/m.exec(cpu);
    if (some) pressure = `, CPU pressure ${some[1]}% (share of time some task waited for a core)`;
  } catch {
    // Not Linux, or no pressure stall information: the load average has to do.
  }
  return `load average ${one!.toFixed(2)}${pressure}`;
}

/** Run the intake benchmark and print its figures. */
export async function run(args: string[]): Promise<void> {
  const options = parseArgs(args);
  const counts = options.quick
    ? { warmup: 300, small: 4_000, large: 96, memory: 20_000, memoryStep: 2_000 }
    : { warmup: 1_000, small: 20_000, large: 320, memory: 100_000, memoryStep: 10_000 };
  const { concurrency } = options;

  console.log(
    `intake benchmark: ${os.cpus().length} cores, node ${process.version}, ${concurrency} forwards in flight${options.quick ? ', quick' : ''}`,
  );
  console.log(`machine before the run: ${machineLoad()}`);

  // Reference rates first, while only this process runs.
  const reference = prepareSample(MiB, 'reference');
  const content = randomBytes(MiB);
  const plainBody = Buffer.from(reference.body);
  xorVampishInPlace(plainBody, 0);
  const md5Rate = singleCoreRate(MiB, () => createHash('md5').update(content).digest());
  const inflateRate = singleCoreRate(MiB, () => inflateRawSync(plainBody));
  const bothRate = 1 / (1 / md5Rate + 1 / inflateRate);
  console.log(
    `single core, 1 MiB of the bench's content: MD5 ${md5Rate.toFixed(0)} MB/s, raw inflate ${inflateRate.toFixed(0)} MB/s, inflate+MD5 ${bothRate.toFixed(0)} MB/s`,
  );

  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cq-bench-intake-'));
  const dataDir = path.join(root, 'data');
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let server: ChildServer | undefined;
  try {
    server = await spawnServer({
      dataDir,
      // Room for every sample the bench sends; no per-platform cap.
      config: { general: { maxSizeMB: 1_000_000, maxSampleSizeMB: 16, maxSamplesPerPlatform: 0 } },
      ...(options.cpuProfDir
        ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] }
        : {}),
    });
    const child = server;
    console.log(`server: pid ${child.pid}, intake ${child.host}:${child.port}, data in ${dataDir}`);
    const rssAtStart = residentBytes(child.pid);

    const hosts = Array.from({ length: 16 }, (_, i) => `bench-${i}.example.test`);
    const hostOf = (i: number): string => hosts[i % hosts.length]!;
    await forwardMany(agent, child, counts.warmup, concurrency, (i) =>
      prepareSample(4 * KiB, hostOf(i)),
    );

    const results: [string, RunResult][] = [];
    if (options.phases.has('small')) {
      // Prepared before the clock starts, so that the bench's hashing takes no server CPU.
      const small = Array.from({ length: counts.small }, (_, i) =>
        prepareSample(4 * KiB, hostOf(i)),
      );
      results.push([
        '4 KiB',
        await forwardMany(agent, child, counts.small, concurrency, (i) => small[i]!),
      ]);
    }
    if (options.phases.has('large')) {
      const large = Array.from({ length: counts.large }, (_, i) => prepareSample(MiB, hostOf(i)));
      results.push([
        '1 MiB',
        await forwardMany(agent, child, counts.large, concurrency, (i) => large[i]!),
      ]);
    }
    if (results.length > 0) {
      console.log('');
      console.log(row(COLUMNS.map(([name]) => name)));
      for (const [label, result] of results) console.log(resultRow(label, result));
      console.log('(server CPU and bench CPU: share of one core, threads included;');
      console.log(' CPU ms/sample: server CPU time per sample, less sensitive to a busy machine)');
      console.log('');
    }
    for (const [label, r] of results) {
      if (label === '4 KiB') {
        const rate = r.samples / r.seconds;
        console.log(
          `4 KiB: ${rate.toFixed(0)} durable samples/s (target >= 2000: ${rate >= 2000 ? 'met' : 'not met'})`,
        );
      } else {
        const rate = r.bytes / MB / r.seconds;
        const share = (100 * rate) / bothRate;
        console.log(
          `1 MiB: ${rate.toFixed(1)} MB/s = ${share.toFixed(0)}% of the single-core inflate+MD5 rate (target >= 50%: ${share >= 50 ? 'met' : 'not met'})`,
        );
      }
    }

    if (options.phases.has('memory')) {
      console.log('');
      console.log(
        `memory: ${counts.memory} distinct 4 KiB samples, server RSS every ${counts.memoryStep}`,
      );
      console.log(
        `${'forwarded'.padEnd(10)}  ${'server RSS'.padStart(11)}  ${'samples/s'.padStart(10)}`,
      );
      console.log(`${'start'.padEnd(10)}  ${mib(rssAtStart).padStart(11)}`);
      const readings: number[] = [];
      let stepStarted = performance.now();
      await forwardMany(
        agent,
        child,
        counts.memory,
        concurrency,
        (i) => prepareSample(4 * KiB, hostOf(i)),
        (done) => {
          if (done % counts.memoryStep !== 0) return;
          const rss = residentBytes(child.pid);
          readings.push(rss);
          const now = performance.now();
          const rate = counts.memoryStep / ((now - stepStarted) / 1000);
          stepStarted = now;
          console.log(
            `${String(done).padEnd(10)}  ${mib(rss).padStart(11)}  ${rate.toFixed(0).padStart(10)}`,
          );
        },
      );
      const first = readings[0]!;
      const last = readings[readings.length - 1]!;
      const middle = readings[Math.floor(readings.length / 2)]!;
      console.log(
        `RSS ${mib(first)} after ${counts.memoryStep}, ${mib(middle)} half way, ${mib(last)} at the end (peak ${mib(Math.max(...readings))})`,
      );
    }

    console.log('');
    console.log(`machine after the run: ${machineLoad()}`);
    const exit = await child.stop();
    server = undefined;
    if (exit.timedOut) console.log('server did not exit within 30 s of SIGTERM; killed');
    else if (exit.code !== 0)
      console.log(`server exited with code ${exit.code} signal ${exit.signal}`);
    if (options.cpuProfDir) console.log(`server CPU profile written to ${options.cpuProfDir}`);
  } finally {
    agent.destroy();
    if (server) await server.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  }
}
