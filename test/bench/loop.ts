/**
 * `cq bench loop`: the automated Scan and Deliver loop (SPEC §3.2, §4.3) with real processes —
 * a `cq gateway` with fast timings and a `cq server` with one-second agent intervals.
 *
 * 1. Submission throughput: a burst of held samples is released at once; samples/s from the
 *    release to the last `submitted`.
 * 2. Loop latency: new threats forwarded one after another (each matches its own research
 *    rule, so each needs its own set); per sample the time from the forward to the set that
 *    fixes it being active on the server, and to the sample being resolved. p50/p95/max.
 *
 * Options: `--samples N` (threats, default 60), `--burst N` (throughput samples, default 300),
 * `--quick` (20 threats, 100 burst).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { forwardSample } from '../../src-main/client/forward.js';
import {
  connectControl,
  type ConnectedControlClient,
} from '../../src-main/transport/rpc-client.js';
import { formatHttpDate } from '../../src-shared/codec/dates.js';
import { spawnGateway, type ChildGateway } from './support/child-gateway.js';
import { spawnServer, type ChildServer } from './support/child-server.js';

interface BenchOptions {
  readonly samples: number;
  readonly burst: number;
}

function parseArgs(args: readonly string[]): BenchOptions {
  let samples = 60;
  let burst = 300;
  const count = (value: string | undefined, name: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new Error(`${name} expects 1..10000`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--quick') {
      samples = 20;
      burst = 100;
    } else if (arg === '--samples') samples = count(args[++i], '--samples');
    else if (arg === '--burst') burst = count(args[++i], '--burst');
    else throw new Error(`unknown option ${arg} (known: --samples N, --burst N, --quick)`);
  }
  return { samples, burst };
}

/** One research rule per threat, each with a repair recipe so the server can resolve it. */
function writeRules(dir: string, markers: readonly string[]): void {
  fs.mkdirSync(dir, { recursive: true });
  const names = markers.map((_, i) => `Bench.Threat-${i}`);
  const lines = markers.map((m, i) => `${names[i]}:0:*:${Buffer.from(m).toString('hex')}`);
  fs.writeFileSync(path.join(dir, 'threats.ndb'), lines.join('\n') + '\n');
  const repair = Object.fromEntries(names.map((n) => [n, { action: 'excise' }]));
  fs.writeFileSync(path.join(dir, 'repair.json'), JSON.stringify(repair, null, 2));
}

function script(text: string): Buffer {
  return Buffer.from(`#!/bin/sh\n# ${randomBytes(8).toString('hex')}\necho ${text}\n`);
}

const ATTRIBUTES = (i: number): Record<string, string> => ({
  'X-Sample-Type': 'file',
  'X-Sample-File': `/home/bench/sample-${i}.sh`,
  'X-Sample-Reason': 'manual',
  'X-Platform-Host': `bench-${i % 16}.example.test`,
  'X-Date-Captured': formatHttpDate(Date.now()),
});

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(label: string, values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  return `${label.padEnd(34)} p50 ${s(percentile(sorted, 50))}  p95 ${s(percentile(sorted, 95))}  max ${s(sorted.at(-1) ?? NaN)}  (n=${sorted.length})`;
}

async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function countWithStatus(client: ConnectedControlClient, status: string): Promise<number> {
  return (await client.call('samples.list', { limit: 1, filter: { status: [status] } })).total;
}

/** Phase 1: release a burst of held samples and time the agent submitting them. */
async function throughput(
  client: ConnectedControlClient,
  server: ChildServer,
  burst: number,
  submittedAt: Map<string, number>,
): Promise<void> {
  const ids: string[] = [];
  for (let i = 0; i < burst; i += 16) {
    const batch = Array.from({ length: Math.min(16, burst - i) }, (_, k) =>
      forwardSample(server, script(`clean ${i + k}`), ATTRIBUTES(i + k)),
    );
    for (const result of await Promise.all(batch)) ids.push(result.id);
  }
  await until(
    'the burst to be held',
    async () => (await countWithStatus(client, 'held')) >= burst,
    120_000,
  );
  const started = Date.now();
  for (let i = 0; i < ids.length; i += 1000)
    await client.call('samples.release', { ids: ids.slice(i, i + 1000) });
  await until('the burst to be submitted', () => ids.every((id) => submittedAt.has(id)), 300_000);
  const last = Math.max(...ids.map((id) => submittedAt.get(id)!));
  const first = Math.min(...ids.map((id) => submittedAt.get(id)!));
  const seconds = (last - started) / 1000;
  console.log(
    `submission throughput: ${burst} samples in ${seconds.toFixed(2)} s = ${(burst / seconds).toFixed(0)} samples/s ` +
      `(first submitted ${((first - started) / 1000).toFixed(2)} s after the release)`,
  );
}

/** Phase 2: forward threats one at a time and time each loop. */
async function latency(
  client: ConnectedControlClient,
  server: ChildServer,
  markers: readonly string[],
  installs: { sequence: number; at: number }[],
): Promise<void> {
  const toActive: number[] = [];
  const toResolved: number[] = [];
  for (let i = 0; i < markers.length; i++) {
    const forwardedAt = Date.now();
    const { id } = await forwardSample(server, script(markers[i]!), ATTRIBUTES(i));
    let resolvedAt = 0;
    let needed = 0;
    await until(
      `threat ${i} (sample ${id}) to be resolved`,
      async () => {
        const { sample } = await client.call('samples.get', { id });
        if (sample.status === 'available' || sample.status === 'distribute') {
          resolvedAt = Date.now();
          needed = sample.definitionsNeeded ?? 0;
          return true;
        }
        if (['error', 'attention', 'unneeded', 'held'].includes(sample.status)) {
          throw new Error(`threat ${i} (sample ${id}) ended ${sample.status}`);
        }
        return false;
      },
      60_000,
    );
    const active = installs.find((e) => e.sequence >= needed && e.at >= forwardedAt);
    toActive.push((active?.at ?? resolvedAt) - forwardedAt);
    toResolved.push(resolvedAt - forwardedAt);
  }
  console.log(summary('forward → fixing set active', toActive));
  console.log(summary('forward → sample resolved', toResolved));
  const p95 = percentile(
    [...toActive].sort((a, b) => a - b),
    95,
  );
  console.log(`goal p95 < 5 s: ${p95 < 5000 ? 'met' : 'NOT met'}`);
}

/** Run the benchmark and print its figures. */
export async function run(args: string[]): Promise<void> {
  const options = parseArgs(args);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cq-bench-loop-'));
  const runId = randomBytes(4).toString('hex').toUpperCase();
  const markers = Array.from(
    { length: options.samples },
    (_, i) => `CQ-BENCH-THREAT-${runId}-${String(i).padStart(5, '0')}-END`,
  );
  writeRules(path.join(root, 'rules'), markers);
  let gateway: ChildGateway | undefined;
  let server: ChildServer | undefined;
  let client: ConnectedControlClient | undefined;
  try {
    gateway = await spawnGateway({
      dataDir: path.join(root, 'gateway'),
      researchRules: path.join(root, 'rules'),
      timings: 'fast',
    });
    const dataDir = path.join(root, 'server');
    server = await spawnServer({
      dataDir,
      config: {
        webCommunication: { gatewayUrl: `http://127.0.0.1:${gateway.port}` },
        samplePolicy: {
          automaticSubmission: false,
          queueCheckIntervalSeconds: 1,
          statusQueryIntervalSeconds: 1,
        },
        definitionPolicy: { certifiedDefinitionsIntervalSeconds: 3600 },
      },
    });
    client = await connectControl({ socket: path.join(dataDir, 'control.sock') });
    const submittedAt = new Map<string, number>();
    const installs: { sequence: number; at: number }[] = [];
    client.on('sample.changed', ({ sample }) => {
      if (sample.status === 'submitted' && !submittedAt.has(sample.id))
        submittedAt.set(sample.id, Date.now());
    });
    client.on('definitions.installed', ({ sequence }) =>
      installs.push({ sequence, at: Date.now() }),
    );
    console.log(
      `gateway on 127.0.0.1:${gateway.port} (fast timings), server on ${server.host}:${server.port}; agent intervals 1 s; ${os.cpus().length} CPUs`,
    );

    await throughput(client, server, options.burst, submittedAt);
    await client.call('config.set', { patch: { samplePolicy: { automaticSubmission: true } } });
    // The burst's analyses finish before the latency run starts, so they do not compete with it.
    await until(
      'the burst to finish',
      async () => (await countWithStatus(client!, 'submitted')) === 0,
      300_000,
    );
    await latency(client, server, markers, installs);
  } finally {
    await client?.close();
    if (server) await server.kill('SIGTERM');
    if (gateway) await gateway.kill('SIGTERM');
    fs.rmSync(root, { recursive: true, force: true });
  }
}
