/**
 * `cq bench defcast`: one definitions set pushed by a `cq server` child to many endpoint
 * receivers on loopback (SPEC §4.5). The receivers run in this process but speak real HTTP and
 * do everything an endpoint does with a push: check the signature, verify the package as an
 * import would, and install it durably. Prints the time until every endpoint installed the set
 * (and until the server recorded it), and the server's peak memory.
 *
 * The receivers are spread over `--hosts` child processes (default 2), each with a libuv pool
 * large enough for the fsyncs of many installs at once: on a real network every endpoint is its
 * own computer, and one event loop hosting hundreds of them would measure itself, not the server.
 *
 * Options go after `--` (`cq bench defcast -- --endpoints 100`): `--endpoints N` (default 500),
 * `--signatures N` (hash signatures in the set, default 5000), `--hosts N` (receiver processes,
 * default 2), `--concurrency N` (forwards in flight while registering endpoints, default 32).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatHttpDate } from '../../src-shared/codec/dates.js';
import {
  createDefcastReceiver,
  type DefcastReceiver,
} from '../../src-main/client/defcast-receiver.js';
import { EndpointDefinitions } from '../../src-main/client/endpoint-definitions.js';
import { forwardSample } from '../../src-main/client/forward.js';
import { fetchServerKey } from '../../src-main/client/server-key.js';
import { DEFCAST_PORT_ATTRIBUTE } from '../../src-main/server/defcast/defcast-wire.js';
import { buildPackage } from '../../src-main/server/definitions/package.js';
import { connectControl } from '../../src-main/transport/rpc-client.js';
import { cpuSeconds, residentBytes, spawnServer } from './support/child-server.js';

const MiB = 1024 * 1024;

interface BenchOptions {
  readonly endpoints: number;
  readonly signatures: number;
  readonly hosts: number;
  readonly concurrency: number;
}

/** Set in the environment of a receiver host process. */
const HOST_ENV = 'CQ_BENCH_DEFCAST_HOST';

/** Messages between the benchmark and its receiver hosts. */
type HostMessage =
  | { readonly type: 'ready'; readonly endpoints: { guid: string; port: number }[] }
  | { readonly type: 'installed' };

function parseArgs(args: readonly string[]): BenchOptions {
  const options = { endpoints: 500, signatures: 5_000, hosts: 2, concurrency: 32 };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = Number(args[i + 1]);
    const key =
      arg === '--endpoints'
        ? 'endpoints'
        : arg === '--signatures'
          ? 'signatures'
          : arg === '--concurrency'
            ? 'concurrency'
            : null;
    if (key === null) {
      throw new Error(
        `unknown option ${arg} (known: --endpoints N, --signatures N, --concurrency N)`,
      );
    }
    if (!Number.isInteger(value) || value < 1 || value > 1_000_000) {
      throw new Error(`${arg} expects a whole number 1..1000000`);
    }
    options[key] = value;
    i++;
  }
  if (options.endpoints > 1000) throw new Error('--endpoints is at most 1000 (one deliver call)');
  return options;
}

/** Peak VmHWM of a process (kB in /proc, returned in bytes). */
function peakResident(pid: number): number {
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

async function inBatches<T>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

function mb(bytes: number): string {
  return bytes < MiB ? `${(bytes / 1024).toFixed(0)} KiB` : `${(bytes / MiB).toFixed(1)} MiB`;
}

/** Run the benchmark and print its figures. */
export async function run(args: string[]): Promise<void> {
  const options = parseArgs(args);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cq-bench-defcast-'));
  const hosts: ChildProcess[] = [];
  const server = await spawnServer({
    dataDir: path.join(root, 'server'),
    config: {
      samplePolicy: { automaticSubmission: false },
      installDefinitions: { deliveryRetryIntervalSeconds: 5, deliveryMaxAttempts: 20 },
    },
  });
  const control = await connectControl({ socket: path.join(root, 'server', 'control.sock') });
  try {
    const intake = { host: server.host, port: server.port };
    const key = await fetchServerKey(intake, 10_000);

    // The endpoints: a receiver each, installing into its own folder, in the host processes.
    let installed = 0;
    let allInstalled: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (allInstalled = resolve));
    const endpoints: { guid: string; port: number }[] = [];
    const share = Math.ceil(options.endpoints / options.hosts);
    for (let h = 0; h * share < options.endpoints; h++) {
      const first = h * share;
      const count = Math.min(share, options.endpoints - first);
      const host = fork(fileURLToPath(import.meta.url), [], {
        env: { ...process.env, [HOST_ENV]: '1', UV_THREADPOOL_SIZE: '64' },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      hosts.push(host);
      const ready = new Promise<void>((resolve, reject) => {
        host.on('message', (message: HostMessage) => {
          if (message.type === 'ready') {
            endpoints.push(...message.endpoints);
            resolve();
          } else if (++installed === options.endpoints) allInstalled();
        });
        host.once('exit', (code) => reject(new Error(`receiver host exited with ${code}`)));
      });
      host.send({ root, first, count, key });
      await ready;
    }

    // Each endpoint forwards one sample, which registers it as a target.
    const registerStart = performance.now();
    await inBatches(endpoints, options.concurrency, async ({ guid, port }) => {
      await forwardSample(intake, randomBytes(512), {
        'X-Sample-Type': 'file',
        'X-Sample-File': 'C:\\Users\\bench\\sample.bin',
        'X-Sample-Reason': 'manual',
        'X-Date-Captured': formatHttpDate(Date.now()),
        'X-Platform-Host': `bench-${guid.slice(0, 8).toLowerCase()}`,
        'X-Platform-GUID': guid,
        'X-Platform-Address': '127.0.0.1',
        [DEFCAST_PORT_ATTRIBUTE]: String(port),
      });
    });
    const registerSeconds = (performance.now() - registerStart) / 1000;
    const { targets } = await control.call('targets.list', {});
    if (targets.length !== options.endpoints) {
      throw new Error(
        `the server registered ${targets.length} targets, expected ${options.endpoints}`,
      );
    }

    // The set: certified, sequence 2, many hash signatures.
    const lines = Array.from(
      { length: options.signatures },
      (_, i) => `${randomBytes(16).toString('hex')}:${1000 + i}:Bench.Hash-${i}`,
    );
    const built = await buildPackage({
      sequence: 2,
      certified: true,
      files: { 'bench.hdb': lines.join('\n') + '\n' },
    });
    const packageFile = path.join(root, built.name);
    fs.writeFileSync(packageFile, built.bytes);
    await control.call('definitions.import', { path: packageFile });

    let peakDuring = residentBytes(server.pid);
    const sampler = setInterval(() => {
      peakDuring = Math.max(peakDuring, residentBytes(server.pid));
    }, 50);
    const cpuBefore = cpuSeconds(server.pid);
    const start = performance.now();
    const result = await control.call('definitions.deliver', {
      sequence: 2,
      targets: targets.map((t) => t.id),
    });
    if (result.queued.length !== options.endpoints) {
      throw new Error(
        `only ${result.queued.length} targets queued: ${JSON.stringify(result.refused.slice(0, 3))}`,
      );
    }
    await done;
    const installedSeconds = (performance.now() - start) / 1000;
    for (;;) {
      const now = await control.call('targets.list', {});
      if (now.targets.every((t) => t.sequence === 2)) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const recordedSeconds = (performance.now() - start) / 1000;
    const serverCpu = cpuSeconds(server.pid) - cpuBefore;
    clearInterval(sampler);

    console.log(
      `defcast: ${options.endpoints} endpoints, set of ${options.signatures} signatures (${mb(built.bytes.length)} package)`,
    );
    console.log(`  registering endpoints (one forward each): ${registerSeconds.toFixed(2)} s`);
    console.log(
      `  time to all installed:   ${installedSeconds.toFixed(2)} s (${(options.endpoints / installedSeconds).toFixed(0)} endpoints/s)`,
    );
    console.log(`  time until the server recorded all: ${recordedSeconds.toFixed(2)} s`);
    console.log(`  server CPU during delivery: ${serverCpu.toFixed(2)} s`);
    console.log(
      `  server peak RSS during delivery: ${mb(peakDuring)}; over its lifetime (VmHWM): ${mb(peakResident(server.pid))}`,
    );
    console.log(
      `  goal: under 30 s to all installed — ${installedSeconds < 30 ? 'met' : 'NOT met'}`,
    );
  } finally {
    await control.close();
    for (const host of hosts) host.kill('SIGTERM');
    await server.kill('SIGTERM');
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** A receiver host: start `count` receivers, report their ports, then each install. */
async function hostReceivers(job: {
  root: string;
  first: number;
  count: number;
  key: string;
}): Promise<void> {
  const receivers: DefcastReceiver[] = [];
  const endpoints: { guid: string; port: number }[] = [];
  const send = (message: HostMessage): void => {
    process.send?.(message);
  };
  for (let i = job.first; i < job.first + job.count; i++) {
    const guid = createHash('md5').update(`bench-endpoint-${i}`).digest('hex').toUpperCase();
    const receiver = createDefcastReceiver({
      host: '127.0.0.1',
      port: 0,
      definitions: new EndpointDefinitions(path.join(job.root, `endpoint-${i}`)),
      guid,
      serverKey: () => job.key,
      afterInstall: () => {
        send({ type: 'installed' });
        return Promise.resolve([]);
      },
    });
    receivers.push(receiver);
    endpoints.push({ guid, port: (await receiver.listen()).port });
  }
  send({ type: 'ready', endpoints });
  process.once('SIGTERM', () => {
    void Promise.all(receivers.map((r) => r.close())).finally(() => process.exit(0));
  });
}

if (process.env[HOST_ENV] === '1') {
  process.once('message', (job: { root: string; first: number; count: number; key: string }) => {
    void hostReceivers(job);
  });
}
