/**
 * The endpoint agent's local quarantine and forwarding (SPEC §4.2, §12) with real `cq client`
 * processes: captures made while the server is down, while the agent is stopped, and across
 * `kill -9` all reach the server exactly once, with the endpoint's platform attributes, and the
 * server's sample id is recorded on every item.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClientStore } from '../../src-main/client/client-store.js';
import { md5Hex } from '../../src-main/codec/content.js';
import { startQuarantineServer, type RunningServer } from '../../src-main/server/server.js';
import { runCq, startCq } from '../helpers/cli.js';
import { startTestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const GUID = '{01234567-89AB-CDEF-0123-456789ABCDEF}';
const running: RunningServer[] = [];

afterAll(async () => {
  for (const server of running.splice(0)) await server.stop();
});

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Write `count` distinct files and capture each with `cq client capture`. */
async function captureFiles(
  dataDir: string,
  count: number,
  tag: string,
): Promise<Map<string, string>> {
  const folder = tempDir('cq-files-');
  const sums = new Map<string, string>();
  // Several capture processes at once: the queue takes concurrent writers.
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const file = path.join(folder, `${tag}-${i}.bin`);
      const bytes = Buffer.from(`${tag} sample ${i} ${'x'.repeat(i * 37)}`);
      fs.writeFileSync(file, bytes);
      const result = await runCq([
        'client',
        'capture',
        file,
        '--data-dir',
        dataDir,
        '--reason',
        'suspicious',
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.trim()).toMatch(/^\d+$/);
      expect(fs.existsSync(file)).toBe(false);
      sums.set(md5Hex(bytes).toUpperCase(), file);
    }),
  );
  return sums;
}

function items(dataDir: string) {
  const store = ClientStore.open(dataDir);
  try {
    return store.list();
  } finally {
    store.close();
  }
}

function clientArgs(dataDir: string, port: number, extra: string[] = []): string[] {
  return [
    'client',
    '--data-dir',
    dataDir,
    '--server',
    `127.0.0.1:${port}`,
    '--host',
    '127.0.0.1',
    '--defcast-port',
    '0',
    '--poll-seconds',
    '1',
    '--retry-seconds',
    '1',
    '--timeout-seconds',
    '5',
    ...extra,
  ];
}

describe('endpoint forwarding', () => {
  it('keeps captures through a server outage, a stopped agent and kill -9, and forwards each once', async () => {
    const dataDir = tempDir('cq-endpoint-');
    const port = await freePort();
    // Captured while no agent runs and no server exists.
    const sums = await captureFiles(dataDir, 6, 'offline');
    const first = await startCq(
      clientArgs(dataDir, port, ['--guid', GUID, '--platform-host', 'ws-1.example.test']),
      ['defcast'],
    );
    expect(first.listening.get('defcast')?.[0]).toMatch(/^127\.0\.0\.1:\d+$/);
    // The agent keeps retrying against the missing server...
    await waitFor(() => items(dataDir).some((i) => i.attempts > 0), 'a failed attempt');
    // ...and dies hard; more files are captured meanwhile.
    expect(await first.stop('SIGKILL')).toBeNull();
    for (const [sum, file] of await captureFiles(dataDir, 6, 'after-kill')) sums.set(sum, file);
    expect(items(dataDir).every((i) => i.state === 'pending' && i.serverId === null)).toBe(true);

    const server = await startQuarantineServer({
      dataDir: tempDir('cq-server-'),
      host: '127.0.0.1',
      port,
      controlPort: null,
      version: 'test',
    });
    running.push(server);
    const second = await startCq(
      clientArgs(dataDir, port, ['--guid', GUID, '--platform-host', 'ws-1.example.test']),
      ['defcast'],
    );
    // Captures made while the agent runs are picked up too.
    for (const [sum, file] of await captureFiles(dataDir, 3, 'live')) sums.set(sum, file);
    await waitFor(
      () => items(dataDir).filter((i) => i.serverId !== null).length >= 4,
      'some forwards',
    );
    // Killed again in the middle of forwarding: the rest goes out after a restart, nothing twice.
    await second.stop('SIGKILL');
    const third = await startCq(
      clientArgs(dataDir, port, ['--guid', GUID, '--platform-host', 'ws-1.example.test']),
      ['defcast'],
    );
    const done = await waitFor(() => {
      const list = items(dataDir);
      return list.every((i) => i.state === 'forwarded' && i.serverId !== null) ? list : null;
    }, 'every item forwarded');
    expect(await third.stop()).toBe(0);

    expect(done).toHaveLength(15);
    const samples = server.context.store.samples.list({ limit: 100 });
    expect(samples.total).toBe(15);
    expect(new Set(samples.rows.map((r) => r.checksum))).toEqual(new Set(sums.keys()));
    expect(new Set(done.map((i) => i.serverId))).toEqual(
      new Set(samples.rows.map((r) => String(r.id))),
    );
    const one = samples.rows[0]!;
    const attributes = server.context.store.samples.attributes(one.id);
    expect(attributes).toMatchObject({
      'X-Platform-GUID': '0123456789ABCDEF0123456789ABCDEF',
      'X-Platform-Host': 'ws-1.example.test',
      'X-Platform-Scanner': 'Central Quarantine endpoint',
      'X-Sample-Reason': 'suspicious',
      'X-Sample-Type': 'file',
    });
    expect(attributes['X-Platform-Address']!.split(' ')[0]).toBe('127.0.0.1');
    expect(attributes['X-Platform-Defcast-Port']).toMatch(/^\d+$/);
    expect(attributes['X-Platform-Correlator']).toMatch(/^[0-9A-F]{32}$/);
    expect(sums.get(one.checksum)).toBe(attributes['X-Sample-File']);
    // The endpoint stored every capture scrambled: no file in its quarantine holds the plain text.
    for (const name of fs.readdirSync(path.join(dataDir, 'quarantine'))) {
      expect(
        fs.readFileSync(path.join(dataDir, 'quarantine', name)).includes(Buffer.from('sample')),
      ).toBe(false);
    }
    const targets = server.context.defcast.targets.list();
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({
      host: 'ws-1.example.test',
      managed: true,
      guid: '0123456789ABCDEF0123456789ABCDEF',
    });
  });

  it('records a refusal no retry can change and keeps forwarding the rest', async () => {
    const server = await startTestServer({
      config: { general: { maxSampleSizeMB: 1 } },
      server: { autoScan: false },
    });
    const dataDir = tempDir('cq-endpoint-');
    const folder = tempDir('cq-files-');
    const big = path.join(folder, 'big.iso');
    fs.writeFileSync(big, Buffer.alloc(1_200_000, 7));
    const small = path.join(folder, 'small.txt');
    fs.writeFileSync(small, 'small and suspicious\n');
    expect((await runCq(['client', 'capture', big, '--data-dir', dataDir])).code).toBe(0);
    expect((await runCq(['client', 'capture', small, '--data-dir', dataDir, '--keep'])).code).toBe(
      0,
    );
    expect(fs.existsSync(small)).toBe(true);
    const agent = await startCq(clientArgs(dataDir, server.intakePort, ['--nonmanaged']), []);
    const list = await waitFor(() => {
      const all = items(dataDir);
      return all.every((i) => i.state !== 'pending') ? all : null;
    }, 'both items settled');
    // A nonmanaged agent has no listener; it must keep running (and polling) all the same.
    expect(agent.child.exitCode).toBeNull();
    expect(await agent.stop()).toBe(0);
    expect(agent.output()).toContain('client ready: nonmanaged endpoint');
    expect(agent.listening.has('defcast')).toBe(false);
    expect(list[0]).toMatchObject({ state: 'refused', serverId: null });
    expect(list[0]!.lastError).toMatch(/^declined sample-size 1200000 1048576/);
    expect(list[1]).toMatchObject({ state: 'forwarded' });
    const attributes = server.context.store.samples.attributes(Number(list[1]!.serverId));
    expect(attributes['X-Platform-GUID']).toBeUndefined();
    expect(attributes['X-Platform-Defcast-Port']).toBeUndefined();
  });

  it('refuses bad capture requests with a one-line reason', async () => {
    const dataDir = tempDir('cq-endpoint-');
    const missing = await runCq([
      'client',
      'capture',
      path.join(dataDir, 'nope'),
      '--data-dir',
      dataDir,
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`cq: cannot read ${path.join(dataDir, 'nope')}: ENOENT\n`);
    const folder = tempDir('cq-files-');
    fs.writeFileSync(path.join(folder, 'a.txt'), 'a');
    const reason = await runCq([
      'client',
      'capture',
      path.join(folder, 'a.txt'),
      '--data-dir',
      dataDir,
      '--reason',
      'curious',
    ]);
    expect(reason.code).toBe(1);
    expect(reason.stderr).toBe('cq: unknown --reason "curious"\n');
    const noDir = await runCq(['client', 'capture', path.join(folder, 'a.txt')]);
    expect(noDir.stderr).toBe('cq: --data-dir is required\n');
    const both = await runCq([
      'client',
      '--data-dir',
      dataDir,
      '--server',
      '127.0.0.1:1',
      '--guid',
      GUID,
      '--nonmanaged',
    ]);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/cannot be used with option '--nonmanaged'/);
    expect(fs.existsSync(path.join(folder, 'a.txt'))).toBe(true);
  });
});
