/**
 * Defcast in the server (SPEC §4.5, §3.2, §11) with real endpoint agents on loopback: a set the
 * server's definitions repair goes to the managed endpoints that reported the threat; one that
 * is down gets it when it comes back, one that never comes back ends `notinstalled`; the
 * nonmanaged one gets the download notice with a URL that serves the exact package; coverage
 * counts who runs the fix.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectedControlClient } from '../../src-main/transport/rpc-client.js';
import { connectControl } from '../../src-main/transport/rpc-client.js';
import { startEndpointClient, type EndpointClient } from '../../src-main/client/endpoint-client.js';
import { md5Hex } from '../../src-main/codec/content.js';
import { readSample } from '../fixtures/samples/samples.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const SCRIPT = readSample('cq-test-script.txt');
const GUIDS = {
  a: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1',
  b: 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB2',
  d: 'DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD4',
};

let server: TestServer;
let control: ConnectedControlClient;
const clients: EndpointClient[] = [];

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function endpoint(
  name: string,
  options: { guid?: string; port?: number; dataDir?: string; action?: 'repair' | 'delete' } = {},
): Promise<EndpointClient> {
  const client = await startEndpointClient({
    dataDir: options.dataDir ?? tempDir(`cq-ep-${name}-`),
    server: { host: '127.0.0.1', port: server.intakePort },
    managed: options.guid !== undefined,
    ...(options.guid ? { guid: options.guid } : {}),
    defcastHost: '127.0.0.1',
    defcastPort: options.port ?? 0,
    platformHost: `${name}.example.test`,
    action: options.action ?? 'repair',
    pollSeconds: 1,
    retryBaseSeconds: 1,
    retryMaxSeconds: 2,
    timeoutSeconds: 5,
  });
  clients.push(client);
  return client;
}

/** Capture the infected script on an endpoint and wait for the server's sample id. */
async function captureOn(client: EndpointClient): Promise<string> {
  const file = path.join(tempDir('cq-victim-'), 'install.sh');
  fs.writeFileSync(file, SCRIPT);
  const item = await client.quarantine.capture(file, { reason: 'suspicious' });
  client.kick();
  const forwarded = await waitFor(() => client.quarantine.store.get(item.id)?.serverId, 'forward');
  return forwarded;
}

async function status(id: string): Promise<string> {
  return (await control.call('samples.get', { id })).sample.status;
}

function download(
  url: string,
): Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks),
            headers: res.headers,
          }),
        );
      })
      .on('error', reject);
  });
}

beforeAll(async () => {
  server = await startTestServer({
    config: { installDefinitions: { deliveryRetryIntervalSeconds: 1, deliveryMaxAttempts: 4 } },
    // Samples wait in `quarantined` until the test rescans them: endpoints can go down first.
    server: { autoScan: false },
  });
  control = await connectControl({ socket: server.socketPath });
});

afterAll(async () => {
  await control?.close();
  for (const client of clients.splice(0)) await client.stop();
});

describe('Defcast delivery', () => {
  const ids: Record<'a' | 'b' | 'c' | 'd', string> = { a: '', b: '', c: '', d: '' };
  let bPort = 0;
  let bDir = '';
  let a: EndpointClient;

  it('registers every forwarding endpoint as a target', async () => {
    a = await endpoint('alpha', { guid: GUIDS.a });
    bPort = await freePort();
    bDir = tempDir('cq-ep-bravo-');
    const b = await endpoint('bravo', { guid: GUIDS.b, port: bPort, dataDir: bDir });
    const c = await endpoint('charlie');
    const d = await endpoint('delta', { guid: GUIDS.d });
    ids.a = await captureOn(a);
    ids.b = await captureOn(b);
    ids.c = await captureOn(c);
    ids.d = await captureOn(d);
    // Bravo and delta go offline before the server finds out what the sample is.
    await b.stop();
    await d.stop();

    const { targets } = await control.call('targets.list', {});
    const byHost = new Map(targets.map((t) => [t.host, t]));
    expect([...byHost.keys()].sort()).toEqual(
      ['alpha', 'bravo', 'charlie', 'delta'].map((n) => `${n}.example.test`),
    );
    expect(byHost.get('alpha.example.test')).toMatchObject({
      guid: GUIDS.a,
      managed: true,
      defcastPort: a.defcast!.port,
      addresses: expect.arrayContaining(['127.0.0.1']) as unknown,
    });
    expect(byHost.get('alpha.example.test')!.addresses[0]).toBe('127.0.0.1');
    expect(byHost.get('bravo.example.test')!.defcastPort).toBe(bPort);
    expect(byHost.get('charlie.example.test')).toMatchObject({
      guid: null,
      managed: false,
      defcastPort: null,
    });
    // The Defcast port travels as an unknown X- attribute, kept verbatim.
    const attributes = (await control.call('samples.get', { id: ids.a })).attributes;
    expect(attributes['X-Platform-Defcast-Port']).toBe(String(a.defcast!.port));
    expect(attributes['X-Platform-GUID']).toBe(GUIDS.a);
  });

  it('pushes the repairing set to the endpoint that is up, which repairs its copy and reports installed', async () => {
    const rescan = await server.context.scanner.rescan(Object.values(ids));
    expect(rescan.refused).toEqual([]);
    await waitFor(async () => (await status(ids.a)) === 'installed', 'alpha installed');
    const detail = await control.call('samples.get', { id: ids.a });
    const steps = detail.history
      .filter((h) => h.action === 'transition')
      .map((h) => `${h.from}>${h.to}`);
    expect(steps).toEqual(
      expect.arrayContaining([
        'quarantined>distribute',
        'distribute>distributed',
        'distributed>installed',
      ]),
    );
    expect(detail.history.find((h) => h.to === 'installed')!.reason).toMatch(
      /local copy was repaired/,
    );
    expect(detail.attributes['X-Date-Installed']).toMatch(/GMT$/);
    expect(detail.attributes['X-Date-Distributed']).toMatch(/GMT$/);

    const item = a.quarantine.store.list()[0]!;
    expect(item).toMatchObject({
      state: 'repaired',
      action: 'repaired',
      actionSequence: 1,
      serverId: ids.a,
    });
    const repaired = await a.quarantine.read(item);
    expect(md5Hex(repaired).toLowerCase()).toBe('1e527f1d4bb6cea26eb25c0647d3381e');
    expect(a.definitions.current()?.sequence).toBe(1);
  });

  it('offers the set to the nonmanaged endpoint by URL, on its Errors tab, with an alert condition', async () => {
    const detail = await waitFor(async () => {
      const d = await control.call('samples.get', { id: ids.c });
      return d.errors.some((e) => e.source === 'defcast') ? d : null;
    }, 'download notice');
    expect(detail.sample.status).toBe('available');
    const notice = detail.errors.find((e) => e.source === 'defcast')!;
    expect(notice.code).toBe('declined');
    expect(notice.params[0]).toBe('nonmanaged');
    const url = notice.params[1]!;
    expect(url).toBe(`http://127.0.0.1:${server.intakePort}/definitions/1`);
    expect(notice.message).toContain(url);
    const condition = server.context.defcast
      .currentConditions()
      .find((c) => c.event === 'cannotInstallDefinitions' && c.sampleId === Number(ids.c));
    expect(condition?.message).toContain(url);

    const got = await download(url);
    expect(got.status).toBe(200);
    const stored = fs.readFileSync(server.context.definitions.packagePath(1)!);
    expect(got.body.equals(stored)).toBe(true);
    expect(got.headers['x-signatures-checksum']).toBe(md5Hex(stored).toLowerCase());
    expect(
      (await download(`http://127.0.0.1:${server.intakePort}/definitions/99`)).headers['x-error'],
    ).toBe('unavailable 99');
  });

  it('retries an endpoint that is down and delivers when it comes back', async () => {
    const failing = await waitFor(async () => {
      const { targets } = await control.call('targets.list', {});
      const t = targets.find((x) => x.host === 'bravo.example.test')!;
      return t.attempts >= 1 ? t : null;
    }, 'a failed attempt to bravo');
    expect(failing.pendingSequence).toBe(1);
    expect(failing.lastError).toMatch(/cannot reach/);
    expect(await status(ids.b)).toBe('distribute');
    expect(server.context.defcast.currentConditions().some((c) => c.event === 'defcastError')).toBe(
      true,
    );

    const back = await endpoint('bravo', { guid: GUIDS.b, port: bPort, dataDir: bDir });
    await waitFor(async () => (await status(ids.b)) === 'installed', 'bravo installed');
    await back.idle();
    expect(back.quarantine.store.list()[0]).toMatchObject({ state: 'repaired', serverId: ids.b });
    const { targets } = await control.call('targets.list', {});
    expect(targets.find((t) => t.host === 'bravo.example.test')).toMatchObject({
      sequence: 1,
      attempts: 0,
      pendingSequence: null,
      lastError: null,
    });
  });

  it('ends notinstalled after the last attempt to an endpoint that never comes back', async () => {
    await waitFor(async () => (await status(ids.d)) === 'notinstalled', 'delta notinstalled');
    const detail = await control.call('samples.get', { id: ids.d });
    expect(detail.history.find((h) => h.to === 'notinstalled')!.reason).toMatch(
      /after 4 attempt\(s\)/,
    );
    expect(detail.errors.find((e) => e.source === 'defcast')).toMatchObject({ code: 'lost' });
    const condition = await waitFor(
      () =>
        server.context.defcast
          .currentConditions()
          .find(
            (c) => c.event === 'sampleDefinitionsInstallFailed' && c.sampleId === Number(ids.d),
          ),
      'install-failed condition',
    );
    expect(condition.message).toMatch(/delta\.example\.test/);
    // Nothing is failing any more: the Defcast error clears.
    await waitFor(
      () => !server.context.defcast.currentConditions().some((c) => c.event === 'defcastError'),
      'defcastError cleared',
    );
  });

  it('counts the endpoints that run the fixing set', async () => {
    const coverage = await control.call('coverage.get', { checksum: md5Hex(SCRIPT) });
    expect(coverage).toMatchObject({ fixingSequence: 1, endpoints: 4, covered: 2, managed: 3 });
    const covered = coverage.rows
      .filter((r) => r.covered)
      .map((r) => r.host)
      .sort();
    expect(covered).toEqual(['alpha.example.test', 'bravo.example.test']);
    expect((await control.call('coverage.get', { checksum: '0'.repeat(32) })).endpoints).toBe(0);
  });

  it('queues an available item for delivery by hand, with the guide eligibility rule', async () => {
    const result = await control.call('samples.queueForDelivery', {
      ids: [ids.c, ids.a, '999999'],
    });
    expect(result.done).toEqual([ids.c]);
    expect(result.refused).toEqual([
      {
        id: ids.a,
        reason: expect.stringMatching(/not possible while the sample is installed/) as unknown,
      },
      { id: '999999', reason: 'no such sample' },
    ]);
    // A nonmanaged endpoint cannot take it: notinstalled, with the download location.
    await waitFor(async () => (await status(ids.c)) === 'notinstalled', 'charlie notinstalled');
    const history = (await control.call('samples.get', { id: ids.c })).history;
    expect(history.map((h) => h.to)).toEqual(
      expect.arrayContaining(['distribute', 'notinstalled']),
    );
    expect(history.find((h) => h.to === 'notinstalled')!.reason).toContain('/definitions/1');
  });

  it('pushes a set by hand and refuses nonmanaged or unknown targets', async () => {
    const { targets } = await control.call('targets.list', {});
    const alpha = targets.find((t) => t.host === 'alpha.example.test')!;
    const charlie = targets.find((t) => t.host === 'charlie.example.test')!;
    const result = await control.call('definitions.deliver', {
      sequence: 1,
      targets: [alpha.id, charlie.id, '424242'],
    });
    expect(result.queued).toEqual([alpha.id]);
    expect(result.refused.map((r) => r.id)).toEqual([charlie.id, '424242']);
    expect(result.refused[0]!.reason).toMatch(/nonmanaged/);
    await waitFor(async () => {
      const t = (await control.call('targets.list', {})).targets.find((x) => x.id === alpha.id)!;
      return (
        t.pendingSequence === null && t.installedAt !== null && t.installedAt > alpha.installedAt!
      );
    }, 'second push to alpha');
    await expect(
      control.call('definitions.deliver', { sequence: 77, targets: [alpha.id] }),
    ).rejects.toMatchObject({
      code: 'not-found',
    });
  });

  it('selects targets and sends a newly activated certified set to the selected ones', async () => {
    const { targets } = await control.call('targets.list', {});
    const alpha = targets.find((t) => t.host === 'alpha.example.test')!;
    const selected = await control.call('targets.select', { ids: [alpha.id], selected: true });
    expect(selected.targets[0]).toMatchObject({ id: alpha.id, selected: true });
    await expect(
      control.call('targets.select', { ids: ['424242'], selected: true }),
    ).rejects.toMatchObject({
      code: 'not-found',
    });
    const pending = async (host: string): Promise<number | null> =>
      (await control.call('targets.list', {})).targets.find((t) => t.host === host)!
        .pendingSequence;
    // Default policy: non-certified sets go to the clients that found the threat, not to selected targets.
    server.context.defcast.activated({ sequence: 2, version: '2026.01.02.001', certified: false });
    expect(await pending('alpha.example.test')).toBeNull();
    server.context.defcast.activated({ sequence: 2, version: '2026.01.02.001', certified: true });
    expect(await pending('alpha.example.test')).toBe(2);
    expect(await pending('bravo.example.test')).toBeNull();
    // Set 2 is not stored here: the attempt fails with the reason and will be retried.
    const alphaAfter = await waitFor(async () => {
      const t = (await control.call('targets.list', {})).targets.find((x) => x.id === alpha.id)!;
      return t.attempts > 0 ? t : null;
    }, 'a failed push of set 2');
    expect(alphaAfter.lastError).toMatch(/definitions 2 are not stored/);
  });
});
