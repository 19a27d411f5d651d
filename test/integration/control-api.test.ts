/**
 * Control API of a real server (SPEC §4.6) over its local socket and over TCP with login:
 * every method issue 2 names, the status actions of SPEC §3.2, and bad input that must get a
 * precise error and change nothing.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src-shared/api/client-api.js';
import type { ConnectedControlClient } from '../../src-main/transport/rpc-client.js';
import { connectControl } from '../../src-main/transport/rpc-client.js';
import { connectTcp } from '../../src-main/transport/tcp-transport.js';
import { hashPassword } from '../../src-main/server/control/password.js';
import { rawRequest } from '../helpers/http.js';
import { forwardRequest } from '../helpers/samples.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';
import { makeTestCertificate } from '../helpers/tls.js';
import { forwardSample } from '../../src-main/client/forward.js';
import { formatHttpDate } from '../../src-shared/codec/dates.js';

let server: TestServer;
let local: ConnectedControlClient;

async function forward(
  bytes: Buffer = randomBytes(2048),
  overrides: Record<string, string | undefined> = {},
): Promise<string> {
  const res = await rawRequest({ port: server.intakePort, ...forwardRequest(bytes, overrides) });
  expect(res.status).toBe(201);
  return String(res.headers['x-sample-id']);
}

async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error('the call was expected to fail');
}

beforeAll(async () => {
  // Samples stay where these tests put them: scanning has its own tests (scan-*.test.ts).
  server = await startTestServer({ controlPort: 0, server: { autoScan: false } });
  server.context.store.users.add('admin', '', await hashPassword('correct horse battery'));
  local = await connectControl({ socket: server.socketPath });
});

afterAll(async () => {
  await local.close();
});

describe('server.info', () => {
  it('names the server, setup type, counts and quota', async () => {
    await forward();
    const info = await local.call('server.info', {});
    expect(info.setupType).toBe('internet');
    expect(info.counts.total).toBeGreaterThan(0);
    expect(info.counts.byStatus.quarantined).toBe(info.counts.total);
    expect(info.quota.maxBytes).toBe(500 * 1024 * 1024);
    expect(info.quota.usedBytes).toBeGreaterThan(0);
    expect(info.listeners.intake).toMatch(/^127\.0\.0\.1:\d+$/);
    // A fresh server runs the shipped starter set (sequence 1).
    expect(info.activeDefinitions?.sequence).toBe(1);
  });
});

describe('samples.list', () => {
  beforeAll(async () => {
    await forward(randomBytes(100), {
      'X-Sample-File': 'C:\\a\\zeta.exe',
      'X-Platform-Host': 'alpha-host',
      'X-Platform-User': 'zed',
    });
    await forward(randomBytes(100), {
      'X-Sample-File': 'C:\\a\\alpha.doc',
      'X-Platform-Host': 'omega-host',
      'X-Platform-User': 'amy',
    });
  });

  it.each([
    ['fileName', 'asc', (r: { fileName: string | null }[]) => r.map((x) => x.fileName ?? '')],
    ['computer', 'desc', (r: { computer: string | null }[]) => r.map((x) => x.computer ?? '')],
    ['userName', 'asc', (r: { userName: string | null }[]) => r.map((x) => x.userName ?? '')],
  ] as const)('sorts by %s %s on the server', async (sort, order, key) => {
    const page = await local.call('samples.list', { sort, order, limit: 1000 });
    const values = key(page.rows);
    const sorted = [...values].sort((a, b) =>
      order === 'asc' ? a.localeCompare(b) : b.localeCompare(a),
    );
    expect(values.map((v) => v.toLowerCase())).toEqual(sorted.map((v) => v.toLowerCase()));
  });

  it('pages with a stable total', async () => {
    const all = await local.call('samples.list', { limit: 1000, sort: 'id', order: 'asc' });
    const first = await local.call('samples.list', {
      limit: 2,
      offset: 0,
      sort: 'id',
      order: 'asc',
    });
    const second = await local.call('samples.list', {
      limit: 2,
      offset: 2,
      sort: 'id',
      order: 'asc',
    });
    expect(first.total).toBe(all.total);
    expect([...first.rows, ...second.rows].map((r) => r.id)).toEqual(
      all.rows.slice(0, 4).map((r) => r.id),
    );
    expect(second.offset).toBe(2);
  });

  it('filters by host, text and status', async () => {
    const byHost = await local.call('samples.list', { filter: { host: 'omega-host' } });
    expect(byHost.rows.every((r) => r.computer === 'omega-host')).toBe(true);
    expect(byHost.total).toBe(1);
    const byText = await local.call('samples.list', { filter: { text: 'zeta' } });
    expect(byText.rows.map((r) => r.fileName)).toEqual(['zeta.exe']);
    const none = await local.call('samples.list', { filter: { status: ['installed'] } });
    expect(none.total).toBe(0);
  });
});

describe('samples.get', () => {
  it('returns attributes, history and errors', async () => {
    const id = await forward(randomBytes(64), { 'X-Custom-Thing': 'kept' });
    const detail = await local.call('samples.get', { id });
    expect(detail.sample.id).toBe(id);
    expect(detail.attributes['X-Custom-Thing']).toBe('kept');
    expect(detail.attributes['X-Sample-Status']).toBe('quarantined');
    expect(detail.history[0]).toMatchObject({ to: 'quarantined', actor: 'intake' });
    expect(detail.errors).toEqual([]);
  });

  it('unknown id → not-found', async () => {
    const error = await refusal(local.call('samples.get', { id: '999999' }));
    expect(error.code).toBe('not-found');
  });
});

describe('status actions (SPEC §3.2)', () => {
  it('hold → release → restart, each in the history; refusals carry the reason', async () => {
    const id = await forward();
    const refusedRelease = await local.call('samples.release', { ids: [id] });
    expect(refusedRelease.done).toEqual([]);
    expect(refusedRelease.refused[0]?.reason).toMatch(/quarantined/);

    expect((await local.call('samples.hold', { ids: [id] })).done).toEqual([id]);
    expect((await local.call('samples.get', { id })).sample.status).toBe('held');
    expect((await local.call('samples.release', { ids: [id] })).done).toEqual([id]);
    expect((await local.call('samples.get', { id })).sample.status).toBe('released');
    expect((await local.call('samples.restart', { ids: [id] })).done).toEqual([id]);
    const detail = await local.call('samples.get', { id });
    expect(detail.sample.status).toBe('quarantined');
    expect(detail.history.map((h) => h.to)).toEqual([
      'quarantined',
      'held',
      'released',
      'restart',
      'quarantined',
    ]);
  });

  it('setPriority > 0 releases a held sample; bad priority is refused and nothing changes', async () => {
    const id = await forward();
    await local.call('samples.hold', { ids: [id] });
    const result = await local.call('samples.setPriority', { id, priority: 500 });
    expect(result.sample.priority).toBe(500);
    expect(result.sample.status).toBe('released');
    const error = await refusal(local.call('samples.setPriority', { id, priority: 1001 }));
    expect(error.code).toBe('invalid-request');
    expect((await local.call('samples.get', { id })).sample.priority).toBe(500);
  });

  it('bulk actions report unknown ids without stopping the others', async () => {
    const id = await forward();
    const result = await local.call('samples.hold', { ids: [id, '424242'] });
    expect(result.done).toEqual([id]);
    expect(result.refused).toEqual([{ id: '424242', reason: 'no such sample' }]);
  });
});

describe('samples.delete', () => {
  it('removes rows and the blob once no sample uses it, audited', async () => {
    const bytes = randomBytes(5000);
    const id = await forward(bytes);
    const row = server.context.store.samples.get(Number(id))!;
    const blobFile = server.context.store.blobs.pathFor(row.blobSha256);
    expect(fs.existsSync(blobFile)).toBe(true);
    const result = await local.call('samples.delete', { ids: [id, '777777'] });
    expect(result.done).toEqual([id]);
    expect(result.refused).toEqual([{ id: '777777', reason: 'no such sample' }]);
    expect(server.context.store.samples.get(Number(id))).toBeUndefined();
    expect(fs.existsSync(blobFile)).toBe(false);
    expect((await local.call('audit.verify', {})).ok).toBe(true);
  });
});

describe('samples.restore (SPEC §6: the endpoint path is untrusted)', () => {
  it('writes the original bytes under a sanitised name in the chosen folder, never overwriting', async () => {
    const bytes = randomBytes(3000);
    const id = await forward(bytes, { 'X-Sample-File': 'C:\\..\\..\\Windows\\System32\\evil.exe' });
    const folder = tempDir('cq-restore-');
    const first = await local.call('samples.restore', { ids: [id], destination: folder });
    expect(first.done).toEqual([{ id, path: path.join(folder, 'evil.exe') }]);
    expect(fs.readFileSync(path.join(folder, 'evil.exe')).equals(bytes)).toBe(true);
    expect(fs.readdirSync(folder)).toEqual(['evil.exe']);

    const again = await local.call('samples.restore', { ids: [id], destination: folder });
    expect(again.done).toEqual([]);
    expect(again.refused[0]?.reason).toMatch(/already exists/);
    const replaced = await local.call('samples.restore', {
      ids: [id],
      destination: folder,
      overwrite: true,
    });
    expect(replaced.done).toHaveLength(1);
  });

  it.each([
    ['CON', '_CON'],
    ['/etc/passwd', 'passwd'],
    ['..', 'sample-'],
    ['D:\\x\\a<b>?.txt', 'a_b__.txt'],
    ['report.pdf .exe.', 'report.pdf .exe'],
  ])('reported name %j is stored as a safe name', async (reported, expected) => {
    const id = await forward(randomBytes(10), { 'X-Sample-File': reported });
    const folder = tempDir('cq-restore-');
    const result = await local.call('samples.restore', { ids: [id], destination: folder });
    const written = path.basename(result.done[0]!.path);
    expect(written.startsWith(expected)).toBe(true);
    expect(path.dirname(result.done[0]!.path)).toBe(folder);
  });

  it.each([
    ['relative path', 'restore-here'],
    ['missing folder', '/nonexistent/cq/folder'],
  ])('a bad destination (%s) is refused and nothing is written', async (_label, destination) => {
    const id = await forward();
    const error = await refusal(local.call('samples.restore', { ids: [id], destination }));
    expect(error.code).toBe('invalid-request');
  });
});

describe('config.get / config.set', () => {
  it('masks secrets and keeps them through a masked round trip', async () => {
    await local.call('config.set', {
      patch: {
        firewall: { proxyHost: 'proxy.example.test', proxyPort: 3128, proxyPassword: 's3cret!' },
      },
    });
    const { config } = await local.call('config.get', {});
    const firewall = config.firewall as { proxyPassword: string; proxyHost: string };
    expect(firewall.proxyPassword).toBe('********');
    expect(JSON.stringify(config)).not.toContain('s3cret!');
    await local.call('config.set', { patch: { firewall } });
    expect(server.context.config.get().firewall.proxyPassword).toBe('s3cret!');
  });

  it.each([
    ['unknown key', { general: { colour: 'blue' } }],
    ['wrong type', { general: { maxSizeMB: 'big' } }],
    ['out of range', { general: { port: 70000 } }],
    ['read-only sequence', { definitionPolicy: { activeSequence: 99 } }],
    ['setup type', { setupType: 'email' }],
    ['bad email', { customerInformation: { email: 'not-an-address' } }],
  ])('%s → invalid-request and nothing changes', async (_label, patch) => {
    const before = JSON.stringify(server.context.config.get());
    const error = await refusal(local.call('config.set', { patch }));
    expect(error.code).toBe('invalid-request');
    expect(error.message.length).toBeGreaterThan(10);
    expect(JSON.stringify(server.context.config.get())).toBe(before);
  });

  it('a valid change is applied, persisted and audited', async () => {
    await local.call('config.set', {
      patch: { samplePolicy: { statusQueryIntervalSeconds: 120 } },
    });
    expect(server.context.config.get().samplePolicy.statusQueryIntervalSeconds).toBe(120);
    const stored = server.context.store.settings.get<{
      samplePolicy: { statusQueryIntervalSeconds: number };
    }>('config');
    expect(stored?.samplePolicy.statusQueryIntervalSeconds).toBe(120);
    const log = await local.call('log.query', { text: 'configuration changed' });
    expect(log.entries.length).toBeGreaterThan(0);
  });
});

describe('log.query and audit.verify', () => {
  it('returns Quarantine Log entries newest first, filtered', async () => {
    const id = await forward();
    const { entries } = await local.call('log.query', { text: `sample ${id}` });
    expect(entries[0]?.sampleId).toBe(id);
    const times = entries.map((e) => e.at);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('audit chain verifies', async () => {
    const result = await local.call('audit.verify', {});
    expect(result).toMatchObject({ ok: true, brokenAt: null });
    expect(result.rows).toBeGreaterThan(5);
  });
});

describe('bad requests get a typed error and change nothing', () => {
  it.each([
    ['wrong type', 'samples.list', { limit: 'ten' }],
    ['unknown key', 'samples.list', { limit: 10, colour: 'red' }],
    ['limit too large', 'samples.list', { limit: 100000 }],
    ['id not digits', 'samples.get', { id: '../../etc' }],
    ['ids empty', 'samples.delete', { ids: [] }],
    ['ids not array', 'samples.delete', { ids: '1' }],
    ['params not object', 'server.info', 'x'],
  ])('%s (%s) → invalid-request', async (_label, method, params) => {
    const before = server.context.store.samples.list({ limit: 1 }).total;
    const error = await refusal(local.call(method as 'samples.list', params as never));
    expect(error.code).toBe('invalid-request');
    expect(server.context.store.samples.list({ limit: 1 }).total).toBe(before);
  });

  it('unknown method → unknown-method', async () => {
    const error = await refusal(local.call('samples.explode' as 'server.info', {}));
    expect(error.code).toBe('unknown-method');
  });

  it('an oversize frame is refused and the server keeps serving', async () => {
    const connection = await connectTcp({
      host: '127.0.0.1',
      port: server.controlPort!,
      maxFrameBytes: 64 * 1024 * 1024,
    });
    const closed = new Promise<void>((resolve) => connection.onClose(() => resolve()));
    connection.send({
      type: 'request',
      id: 1,
      method: 'server.info',
      params: { pad: 'x'.repeat(20 * 1024 * 1024) },
    });
    await closed;
    expect((await local.call('server.info', {})).version).toBe('test');
  });
});

describe('remote consoles over TCP', () => {
  it('must log in; wrong password refused; right one works and gets events', async () => {
    const anonymous = await connectControl({ host: '127.0.0.1', port: server.controlPort! });
    expect((await refusal(anonymous.call('samples.list', {}))).code).toBe('unauthenticated');
    await anonymous.close();

    const wrong = await refusal(
      connectControl({
        host: '127.0.0.1',
        port: server.controlPort!,
        user: 'admin',
        password: 'nope',
      }),
    );
    expect(wrong.code).toBe('login-failed');

    const remote = await connectControl({
      host: '127.0.0.1',
      port: server.controlPort!,
      user: 'admin',
      password: 'correct horse battery',
    });
    const added = new Promise<string>((resolve) =>
      remote.on('sample.added', (e) => resolve(e.sample.id)),
    );
    const id = await forward();
    expect(await added).toBe(id);
    const detail = await remote.call('samples.get', { id });
    expect(detail.sample.id).toBe(id);
    await remote.call('samples.hold', { ids: [id] });
    const history = (await remote.call('samples.get', { id })).history;
    expect(history.at(-1)?.actor).toBe('admin');
    await remote.close();
  });
});

describe('TLS listeners (intake and remote control)', () => {
  it('serves intake over HTTPS and control over TLS with the configured certificate', async () => {
    const { certFile, keyFile, cert } = makeTestCertificate();
    const secure = await startTestServer({
      controlPort: 0,
      config: {
        general: {
          tls: { enabled: true, certFile, keyFile },
          controlTls: { enabled: true, certFile, keyFile },
        },
      },
    });
    const result = await forwardSample(
      { host: '127.0.0.1', port: secure.intakePort, tls: { ca: cert } },
      randomBytes(1000),
      {
        'X-Sample-Type': 'file',
        'X-Platform-Host': 'tls-host',
        'X-Date-Captured': formatHttpDate(Date.now()),
      },
    );
    expect(result.status).toBe('quarantined');
    // A client that does not trust the certificate is refused.
    await expect(
      forwardSample({ host: '127.0.0.1', port: secure.intakePort, tls: {} }, randomBytes(10), {
        'X-Sample-Type': 'file',
        'X-Platform-Host': 'tls-host',
        'X-Date-Captured': formatHttpDate(Date.now()),
      }),
    ).rejects.toThrow(/cannot reach/);

    secure.context.store.users.add('tls-admin', '', await hashPassword('tls admin password'));
    const remote = await connectControl({
      host: '127.0.0.1',
      port: secure.controlPort!,
      tls: { ca: cert },
      user: 'tls-admin',
      password: 'tls admin password',
    });
    expect((await remote.call('samples.get', { id: result.id })).sample.computer).toBe('tls-host');
    await remote.close();
  });
});

describe('server.setup (first run)', () => {
  it('sets the setup type and first settings once; refuses incomplete setups and a second setup', async () => {
    const fresh = await startTestServer();
    const client = await connectControl({ socket: fresh.socketPath });
    expect((await client.call('server.info', {})).setupComplete).toBe(false);
    const incomplete = await refusal(
      client.call('server.setup', {
        setupType: 'email',
        patch: { customerInformation: { company: 'Example Ltd' } },
      }),
    );
    expect(incomplete.code).toBe('not-allowed');
    expect(incomplete.message).toMatch(/customerInformation/);
    expect(fresh.context.config.get().setupType).toBe('internet');

    const customerInformation = {
      company: 'Example Ltd',
      account: 'ACME-001',
      contactName: 'Jim Hill',
      telephone: '310-555-1212',
      email: 'jim@example.test',
    };
    await client.call('server.setup', {
      setupType: 'email',
      patch: { customerInformation, email: { submissionAddress: 'samples@lab.example.test' } },
    });
    const info = await client.call('server.info', {});
    expect(info).toMatchObject({ setupType: 'email', setupComplete: true });
    const again = await refusal(client.call('server.setup', { setupType: 'internet', patch: {} }));
    expect(again.code).toBe('not-allowed');
    expect(fresh.context.config.get().setupType).toBe('email');
    await client.close();
  });
});
