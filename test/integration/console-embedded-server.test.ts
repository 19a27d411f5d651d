/**
 * The console's embedded server: `cq server` started as a separate process on a data folder,
 * ready once its control socket listens, restarted if it dies, stopped with the console; and a
 * start that cannot work says why in the server's own words.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  nodeLauncher,
  startEmbeddedServer,
  type EmbeddedServer,
  type Launcher,
} from '../../src-main/console/embedded-server.js';
import { connectControl } from '../../src-main/transport/rpc-client.js';
import { tempDir } from '../helpers/temp.js';

const WAIT = { timeout: 30_000, interval: 50 } as const;
const started: EmbeddedServer[] = [];

afterAll(async () => {
  for (const server of started) await server.stop();
});

async function serverInfo(socket: string): Promise<{ setupComplete: boolean }> {
  const client = await connectControl({ socket });
  try {
    return await client.call('server.info', {});
  } finally {
    await client.close();
  }
}

describe('embedded server', () => {
  const dataDir = path.join(tempDir('cq-embedded-'), 'data');
  const children: ChildProcess[] = [];
  const lines: string[] = [];
  const exits: (number | null)[] = [];
  const launcher: Launcher = (modulePath, args) => {
    const child = nodeLauncher(modulePath, args) as ChildProcess;
    children.push(child);
    return child;
  };
  let server: EmbeddedServer;

  it('starts cq server on the data folder and resolves once its socket listens', async () => {
    server = await startEmbeddedServer({
      dataDir,
      fork: launcher,
      serverArgs: ['--port', '0', '--no-control'],
      maxRestartDelayMs: 200,
      onListening: (name, address) => lines.push(`${name} ${address}`),
      onExit: (code) => exits.push(code),
    });
    started.push(server);
    expect(server.socketPath).toBe(path.join(dataDir, 'control.sock'));
    expect(lines.some((l) => l.startsWith('intake 127.0.0.1:'))).toBe(true);
    expect(lines).toContain(`control ${server.socketPath}`);
    expect(await serverInfo(server.socketPath)).toHaveProperty('setupComplete');
  });

  it('refuses a second server on the same folder with the reason the server gives', async () => {
    await expect(
      startEmbeddedServer({
        dataDir,
        serverArgs: ['--port', '0', '--no-control'],
        socketPath: `${dataDir}-2.sock`,
      }),
    ).rejects.toThrow(/another server/);
  });

  it('restarts the server when it dies', async () => {
    const first = children[0]!;
    first.kill('SIGKILL');
    await expect.poll(() => exits.length, WAIT).toBe(1);
    await expect.poll(() => children.length, WAIT).toBe(2);
    await expect.poll(() => lines.filter((l) => l.startsWith('control ')).length, WAIT).toBe(2);
    expect(await serverInfo(server.socketPath)).toHaveProperty('setupComplete');
  });

  it('stops the server, which releases the data folder', async () => {
    await server.stop();
    const last = children.at(-1)!;
    expect(last.exitCode !== null || last.signalCode !== null).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'server.lock'))).toBe(false);
    // Stopping twice is harmless, and a stopped server is not restarted.
    await server.stop();
    expect(children).toHaveLength(2);
  });
});
