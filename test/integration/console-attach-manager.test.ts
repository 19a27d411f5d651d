/**
 * The console's attach manager against real servers: the local one over its socket, remote
 * ones over TCP with login; calls validated against the contract before they leave; events
 * forwarded; remote servers remembered without passwords; a server that goes away is shown
 * disconnected, calls to it fail at once, and it is reconnected when it returns.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEntry } from '../../src-shared/api/console-api.js';
import {
  createAttachManager,
  EMBEDDED_SERVER_ID,
  PASSWORD_NEEDED,
  type AttachManager,
} from '../../src-main/console/attach-manager.js';
import { REGISTRY_FILE } from '../../src-main/console/server-registry.js';
import { hashPassword } from '../../src-main/server/control/password.js';
import { startQuarantineServer, type RunningServer } from '../../src-main/server/server.js';
import { rawRequest } from '../helpers/http.js';
import { forwardRequest } from '../helpers/samples.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';

const PASSWORD = 'correct horse battery';
const WAIT = { timeout: 20_000, interval: 50 } as const;

let local: RunningServer;
let localDir: string;
let remote: TestServer;
let consoleDir: string;
let manager: AttachManager;
const managers: AttachManager[] = [];

function entry(m: AttachManager, id: string): ServerEntry | undefined {
  return m.list().find((s) => s.id === id);
}

function newManager(): AttachManager {
  const m = createAttachManager({
    dataDir: consoleDir,
    embedded: { socketPath: local.socketPath, label: 'This computer' },
    backoff: { initialMs: 50, maxMs: 250 },
  });
  managers.push(m);
  return m;
}

beforeAll(async () => {
  localDir = tempDir('cq-attach-local-');
  local = await startQuarantineServer({
    dataDir: localDir,
    host: '127.0.0.1',
    port: 0,
    controlPort: null,
  });
  remote = await startTestServer({ controlPort: 0 });
  remote.context.store.users.add('operator', 'LAB', await hashPassword(PASSWORD));
  consoleDir = tempDir('cq-attach-console-');
  manager = newManager();
});

afterAll(async () => {
  for (const m of managers) await m.close();
  await local.stop();
});

describe('attach manager: the server on this computer', () => {
  it('connects over the local socket and answers calls as envelopes', async () => {
    await expect.poll(() => entry(manager, EMBEDDED_SERVER_ID)?.state, WAIT).toBe('connected');
    expect(entry(manager, EMBEDDED_SERVER_ID)).toMatchObject({
      kind: 'embedded',
      label: 'This computer',
      address: local.socketPath,
      user: null,
    });
    const info = await manager.call(EMBEDDED_SERVER_ID, 'server.info', {});
    expect(info.ok).toBe(true);
  });

  it.each([
    ['an unknown method', 'samples.frobnicate', {}, 'unknown-method'],
    ['bad params', 'samples.list', { limit: 0 }, 'invalid-request'],
    ['unknown params', 'server.info', { extra: 1 }, 'invalid-request'],
    ['a login from the renderer', 'session.login', { user: 'a', password: 'b' }, 'not-allowed'],
  ])('refuses %s before sending it', async (_what, method, params, code) => {
    const result = await manager.call(EMBEDDED_SERVER_ID, method, params);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe(code);
  });

  it('refuses calls to a server it does not know', async () => {
    const result = await manager.call('nope', 'server.info', {});
    expect(!result.ok && result.error.code).toBe('not-found');
  });

  it('forwards server events tagged with the server', async () => {
    const seen: { serverId: string; event: string }[] = [];
    const off = manager.onEvent((serverId, event) => seen.push({ serverId, event }));
    const res = await rawRequest({ port: local.intakePort, ...forwardRequest() });
    expect(res.status).toBe(201);
    await expect
      .poll(
        () => seen.some((e) => e.serverId === EMBEDDED_SERVER_ID && e.event === 'sample.added'),
        WAIT,
      )
      .toBe(true);
    off();
  });

  it('cannot detach the server on this computer', async () => {
    const result = await manager.detach(EMBEDDED_SERVER_ID);
    expect(!result.ok && result.error.code).toBe('not-allowed');
  });
});

describe('attach manager: remote servers', () => {
  const request = (password: string) => ({
    host: '127.0.0.1',
    port: remote.controlPort ?? 0,
    user: 'operator',
    domain: 'LAB',
    password,
  });

  it('refuses a wrong password and lists nothing new', async () => {
    const result = await manager.attach(request('wrong password'));
    expect(!result.ok && result.error.code).toBe('login-failed');
    expect(manager.list()).toHaveLength(1);
  });

  it('refuses a malformed request with the field at fault', async () => {
    const result = await manager.attach({ host: '', port: 70_000, user: 'x', password: '' });
    expect(!result.ok && result.error.code).toBe('invalid-request');
    expect(!result.ok && result.error.message).toMatch(/host|port/);
  });

  it('says why an unreachable server cannot be attached', async () => {
    const result = await manager.attach({ ...request(PASSWORD), port: 1 });
    expect(!result.ok && result.error.code).toBe('unavailable');
    expect(!result.ok && result.error.message).toContain('cannot reach 127.0.0.1:1');
  });

  it('attaches with the right password, tells listeners and remembers it without the password', async () => {
    const changes: ServerEntry[][] = [];
    const off = manager.onServersChanged((servers) => changes.push(servers));
    const result = await manager.attach(request(PASSWORD));
    off();
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toMatchObject({
      kind: 'remote',
      state: 'connected',
      user: 'LAB\\operator',
    });
    expect(changes.at(-1)?.map((s) => s.id)).toEqual([EMBEDDED_SERVER_ID, result.value.id]);
    const info = await manager.call(result.value.id, 'server.info', {});
    expect(info.ok).toBe(true);
    const file = fs.readFileSync(path.join(consoleDir, REGISTRY_FILE), 'utf8');
    expect(file).toContain('operator');
    expect(file).not.toContain(PASSWORD);
  });

  it('lists a remembered server as disconnected, password needed, after a restart', async () => {
    const restarted = newManager();
    const remembered = restarted.list().find((s) => s.kind === 'remote');
    expect(remembered).toMatchObject({ state: 'disconnected', lastError: PASSWORD_NEEDED });
    // A call fails at once with a reason instead of waiting for a connection that cannot come.
    const result = await restarted.call(remembered!.id, 'server.info', {});
    expect(!result.ok && result.error.code).toBe('unavailable');
    expect(!result.ok && result.error.message).toContain('password needed');
    const again = await restarted.attach(request(PASSWORD));
    expect(again.ok && again.value.id).toBe(remembered!.id);
    expect(restarted.list().filter((s) => s.kind === 'remote')).toHaveLength(1);
    await restarted.close();
  });

  it('detaches and forgets a remote server', async () => {
    const id = manager.list().find((s) => s.kind === 'remote')!.id;
    expect((await manager.detach(id)).ok).toBe(true);
    expect(manager.list().map((s) => s.id)).toEqual([EMBEDDED_SERVER_ID]);
    const file = JSON.parse(fs.readFileSync(path.join(consoleDir, REGISTRY_FILE), 'utf8')) as {
      servers: unknown[];
    };
    expect(file.servers).toEqual([]);
  });
});

describe('attach manager: a server that goes away', () => {
  it('shows it disconnected, fails calls at once, and reconnects when it is back', async () => {
    await expect.poll(() => entry(manager, EMBEDDED_SERVER_ID)?.state, WAIT).toBe('connected');
    await local.stop();
    await expect.poll(() => entry(manager, EMBEDDED_SERVER_ID)?.state, WAIT).not.toBe('connected');
    const result = await manager.call(EMBEDDED_SERVER_ID, 'server.info', {});
    expect(!result.ok && result.error.code).toBe('unavailable');

    local = await startQuarantineServer({
      dataDir: localDir,
      host: '127.0.0.1',
      port: 0,
      controlPort: null,
      socket: local.socketPath,
    });
    await expect.poll(() => entry(manager, EMBEDDED_SERVER_ID)?.state, WAIT).toBe('connected');
    expect((await manager.call(EMBEDDED_SERVER_ID, 'server.info', {})).ok).toBe(true);
  });
});
