/**
 * `cq bench intake`: durable intake throughput, ack latency and server memory (SPEC §4.2, §5).
 * The server runs as a child process (`cq server`) so that its resident memory can be read from
 * /proc and its CPU measured or profiled; forwards go over loopback through keep-alive
 * connections of a lean load generator (`support/raw-forwarder.ts`: the bench shares the two
 * cores with the server, and `http.request` took a tenth of the server's CPU), fresh for every run (preparing the next run's samples can outlast the server's
 * keep-alive timeout, and a connection it closes meanwhile would fail the first forward).
 *
 * 1 MiB samples come in two kinds, each compared with the single-core inflate+MD5 rate of its
 * own content: incompressible (random bytes; inflating them is a copy, so the comparison rate
 * is as high as it gets) and executable-like (deflates about 2:1, as programs do). The `bare`
 * phase sends the same 1 MiB forwards to a bare receiver that only hashes, inflates and fsyncs
 * (`support/bare-receiver.ts`): the ceiling on this machine for any receiver that keeps samples.
 *
 * Options: `--quick` (smaller counts), `--concurrency N` (forwards in flight, default 64),
 * `--phases small,large,bare,memory` (which to run, default all), `--cpu-prof DIR` (write a V8
 * CPU profile of the server there), e.g. `cq bench intake --quick --phases small`.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { md5Hex } from '../../src-main/codec/content.js';
import { DECODE_THREADS } from '../../src-main/codec/decode-pool.js';
import { writeSynced } from '../../src-main/fs/durable-file.js';
import { formatHttpDate } from '../../src-shared/codec/dates.js';
import { xorVampishInPlace } from '../../src-shared/codec/transforms.js';
import { spawnBareReceiver } from './support/bare-receiver.js';
import { rawHead, RawForwarder, type RawForward } from './support/raw-forwarder.js';
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

const PHASES = ['small', 'large', 'bare', 'memory'] as const;
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

/** One forward, ready to send: its request bytes and the size of its content. */
interface PreparedSample {
  readonly forward: RawForward;
  readonly size: number;
}

/** What a sample's content is like. */
type ContentKind = 'incompressible' | 'executable-like';

/** Where forwards go: a `cq server` child or the bare receiver. */
interface Receiver {
  readonly pid: number;
  readonly host: string;
  readonly port: number;
}

/**
 * Bytes that deflate about 2:1 and inflate at about the rate a program's bytes do (measured
 * against /bin/bash and libcrypto: 1.9–3.5:1, 220–340 MB/s): strings from a vocabulary of 1,024
 * short random byte strings, picked with a skew, between short random runs.
 */
function executableLike(size: number): Buffer {
  const vocabulary = Array.from({ length: 1024 }, (_, i) => randomBytes(2 + (i % 14)));
  const dice = randomBytes(3 * size);
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  let d = 0;
  while (o < size) {
    const roll = dice[d++]!;
    if (roll < 40) {
      o += randomBytes(8 + (roll & 15)).copy(out, o);
    } else {
      const word = vocabulary[(dice[d++]! * dice[d++]!) >> 6]!;
      o += word.copy(out, o);
    }
  }
  return out;
}

const KINDS: readonly ContentKind[] = ['incompressible', 'executable-like'];

function contentOf(kind: ContentKind, size: number): Buffer {
  return kind === 'incompressible' ? randomBytes(size) : executableLike(size);
}

/**
 * The sender's deflate level. Random bytes do not compress, so a sender's deflate emits
 * (nearly) stored blocks; level 0 makes the same kind of stream without spending the CPU that
 * the server shares with the bench. Other content gets zlib's default level.
 */
function levelOf(kind: ContentKind): number {
  return kind === 'incompressible' ? 0 : 6;
}

/** Distinct content of a kind, deflated and scrambled as a sender does. */
function prepareSample(
  size: number,
  host: string,
  kind: ContentKind = 'incompressible',
): PreparedSample {
  const content = contentOf(kind, size);
  const body = deflateRawSync(content, { level: levelOf(kind) });
  xorVampishInPlace(body, 0);
  const head = rawHead({
    Host: '127.0.0.1',
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(body.length),
    'X-Sample-Type': 'file',
    'X-Sample-File': `C:\\bench\\sample-${size}.bin`,
    'X-Platform-Host': host,
    'X-Date-Captured': formatHttpDate(Date.now() - 60_000),
    'X-Checksum-Method': 'md5',
    'X-Content-Compression': 'deflate',
    'X-Content-Scrambling': 'xor-vampish',
    'X-Content-Checksum': md5Hex(body),
    'X-Sample-Checksum': md5Hex(content),
    'X-Sample-Size': String(size),
  });
  return { forward: { head, body }, size };
}

/** POST one sample; resolves with the ack latency in ms, rejects unless the answer is 201. */
async function post(forwarder: RawForwarder, sample: PreparedSample): Promise<number> {
  const started = performance.now();
  const answer = await forwarder.send(sample.forward);
  if (answer.status !== 201) {
    const error = answer.headers.get('x-error') ?? '';
    throw new Error(`HTTP ${answer.status} ${error} for a ${sample.size}-byte sample`);
  }
  return performance.now() - started;
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
  server: Receiver,
  count: number,
  concurrency: number,
  next: (i: number) => PreparedSample,
  onProgress?: (done: number) => void,
): Promise<RunResult> {
  const forwarder = new RawForwarder(server.host, server.port);
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
      latencies[i] = await post(forwarder, sample);
      bytes += sample.size;
      done++;
      onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker)).finally(() =>
    forwarder.close(),
  );
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

/** One measured run, with the single-core inflate+MD5 rate of its content for 1 MiB runs. */
interface Measured {
  readonly label: string;
  readonly run: RunResult;
  readonly reference?: number;
  /** Sent to the bare receiver instead of the server. */
  readonly bare?: boolean;
}

/** The lines that hold each run against its target (and the server against the bare receiver). */
function verdicts(results: readonly Measured[]): string[] {
  const lines: string[] = [];
  const rates = new Map(results.map((m) => [m.label, m.run.bytes / MB / m.run.seconds]));
  for (const { label, run, reference, bare } of results) {
    if (reference === undefined) {
      const rate = run.samples / run.seconds;
      lines.push(
        `${label}: ${rate.toFixed(0)} durable samples/s (target >= 2000: ${rate >= 2000 ? 'met' : 'not met'})`,
      );
      continue;
    }
    const rate = rates.get(label)!;
    const share = (100 * rate) / reference;
    const of = `${share.toFixed(0)}% of the single-core inflate+MD5 rate of its content (${reference.toFixed(0)} MB/s)`;
    if (!bare) {
      lines.push(
        `${label}: ${rate.toFixed(1)} MB/s = ${of} (target >= 50%: ${share >= 50 ? 'met' : 'not met'})`,
      );
      continue;
    }
    const server = rates.get(label.replace(/^bare /, ''));
    const against =
      server === undefined
        ? ''
        : `; the server reached ${((100 * server) / rate).toFixed(0)}% of it`;
    lines.push(`${label}: ${rate.toFixed(1)} MB/s = ${of}${against}`);
  }
  return lines;
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

/**
 * Durable 4 KiB files one thread writes in `dir` in about a second, as intake writes a blob:
 * create, write, fsync, close, rename. Every accepted sample costs at least this much of the
 * disk and the kernel, so it bounds what any receiver that keeps samples can do here. The files
 * stay until the bench removes its folder: removing thousands of files makes the next ones
 * slower to create for a while (ext4 without a journal skips recently freed inodes).
 */
function durableFileRate(dir: string): { perSecond: number; kernelUs: number } {
  const written = path.join(dir, 'written');
  const kept = path.join(dir, 'kept');
  fs.mkdirSync(written, { recursive: true });
  fs.mkdirSync(kept, { recursive: true });
  const bytes = randomBytes(4 * KiB);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let files = 0;
  while (performance.now() - started < 1000) {
    const file = path.join(written, String(files));
    writeSynced(file, bytes, { flag: 'wx' });
    fs.renameSync(file, path.join(kept, String(files)));
    files++;
  }
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: files / seconds, kernelUs: process.cpuUsage(cpuBefore).system / files };
}

const COLUMNS: readonly [string, number][] = [
  ['samples', 26],
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
  const references = new Map<ContentKind, number>();
  for (const kind of KINDS) {
    const content = contentOf(kind, MiB);
    const deflated = deflateRawSync(content, { level: levelOf(kind) });
    const md5Rate = singleCoreRate(MiB, () => createHash('md5').update(content).digest());
    // Inflated as the server and the bare receiver do: into one buffer of the sample's size
    // (zlib's default 16 KiB pieces would make the reference up to twice as slow).
    const inflateRate = singleCoreRate(MiB, () =>
      inflateRawSync(deflated, { chunkSize: MiB + 1, maxOutputLength: MiB + 1 }),
    );
    const bothRate = 1 / (1 / md5Rate + 1 / inflateRate);
    references.set(kind, bothRate);
    console.log(
      `single core, 1 MiB ${kind} (deflates ${(MiB / deflated.length).toFixed(1)}:1): MD5 ${md5Rate.toFixed(0)} MB/s, raw inflate ${inflateRate.toFixed(0)} MB/s, inflate+MD5 ${bothRate.toFixed(0)} MB/s`,
    );
  }

  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cq-bench-intake-'));
  const dataDir = path.join(root, 'data');
  let server: ChildServer | undefined;
  try {
    const files = durableFileRate(path.join(root, 'reference'));
    console.log(
      `single thread, durable 4 KiB files (create, write, fsync, rename) in the bench folder: ${files.perSecond.toFixed(0)}/s, ${files.kernelUs.toFixed(0)} µs of kernel CPU each`,
    );
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
    // Warm both paths: small bodies on the event loop, large ones on the decode threads (which
    // start on first use), so that no timed run pays for a start.
    await forwardMany(child, counts.warmup, concurrency, (i) => prepareSample(4 * KiB, hostOf(i)));
    await forwardMany(child, 4 * DECODE_THREADS, concurrency, (i) => prepareSample(MiB, hostOf(i)));

    const results: Measured[] = [];
    if (options.phases.has('small')) {
      // Prepared before the clock starts, so that the bench's hashing takes no server CPU.
      const small = Array.from({ length: counts.small }, (_, i) =>
        prepareSample(4 * KiB, hostOf(i)),
      );
      const run = await forwardMany(child, counts.small, concurrency, (i) => small[i]!);
      results.push({ label: '4 KiB', run });
    }
    if (options.phases.has('large') || options.phases.has('bare')) {
      const bare = options.phases.has('bare') ? await spawnBareReceiver(DECODE_THREADS) : undefined;
      try {
        for (const kind of KINDS) {
          const large = Array.from({ length: counts.large }, (_, i) =>
            prepareSample(MiB, hostOf(i), kind),
          );
          const reference = references.get(kind)!;
          if (options.phases.has('large')) {
            const run = await forwardMany(child, counts.large, concurrency, (i) => large[i]!);
            results.push({ label: `1 MiB ${kind}`, run, reference });
          }
          if (bare) {
            const run = await forwardMany(bare, counts.large, concurrency, (i) => large[i]!);
            results.push({ label: `bare 1 MiB ${kind}`, run, reference, bare: true });
          }
        }
      } finally {
        await bare?.stop();
      }
    }
    if (results.length > 0) {
      console.log('');
      console.log(row(COLUMNS.map(([name]) => name)));
      for (const { label, run } of results) console.log(resultRow(label, run));
      console.log('(server CPU and bench CPU: share of one core, threads included;');
      console.log(' CPU ms/sample: server CPU time per sample, less sensitive to a busy machine;');
      console.log(' bare: the bare receiver in place of the server)');
      console.log('');
    }
    for (const line of verdicts(results)) console.log(line);

    if (options.phases.has('memory')) {
      console.log('');
      console.log(
        `memory: ${counts.memory} distinct 4 KiB samples, server RSS every ${counts.memoryStep}`,
      );
      console.log(
        `${'forwarded'.padEnd(10)}  ${'server RSS'.padStart(11)}  ${'samples/s'.padStart(10)} (each sample prepared as it is sent)`,
      );
      console.log(`${'start'.padEnd(10)}  ${mib(rssAtStart).padStart(11)}`);
      const readings: number[] = [];
      let stepStarted = performance.now();
      await forwardMany(
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
    if (server) await server.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  }
}
