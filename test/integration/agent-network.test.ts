import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProxy } from 'proxy';
import { afterEach, describe, expect, it } from 'vitest';
import { md5Hex } from '../../src-main/codec/content.js';
import { formatHttpDate } from '../../src-shared/codec/dates.js';
import { agentHarness, fakePackage } from '../helpers/agent-harness.js';
import { FakeGateway } from '../helpers/fake-gateway.js';
import { makeTestCertificate } from '../helpers/tls.js';
import { waitFor } from '../helpers/wait.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function gateway(tls?: { key: string; cert: string }, port = 0): Promise<FakeGateway> {
  const g = new FakeGateway(tls);
  await g.listen(port);
  closers.push(() => g.close());
  return g;
}

/** A free loopback port nobody listens on (yet). */
async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The agent's firewall settings for a proxy on loopback, logging in as `agent`. */
function viaProxy(port: number, password = 's3cret') {
  return {
    proxyHost: '127.0.0.1',
    proxyPort: port,
    proxyUser: 'agent',
    proxyPassword: password,
  };
}

/** The npm `proxy` package with Basic credentials; counts what went through it. */
async function proxyServer(user: string, password: string) {
  const server = createProxy(http.createServer());
  const seen = { requests: 0, connects: 0, refused: 0 };
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  server.authenticate = (req) => {
    const ok = req.headers['proxy-authorization'] === expected;
    if (!ok) seen.refused++;
    else if (req.method === 'CONNECT') seen.connects++;
    else seen.requests++;
    return ok;
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, seen };
}

describe('gateway outage', () => {
  it('raises gatewayUnreachable, keeps samples released, and submits each once when it returns', async () => {
    const port = await freePort();
    const h = agentHarness({ gatewayUrl: `http://127.0.0.1:${port}`, timings: { concurrency: 2 } });
    const samples = [randomBytes(100), randomBytes(200), randomBytes(300)];
    const ids: number[] = [];
    // One after the other, so the first id is the oldest sample and is tried first.
    for (const bytes of samples) ids.push(await h.addSample(bytes));
    const changes: string[] = [];
    h.agent.signals.onCondition((c) => changes.push(`${c.event}:${c.active}`));
    h.agent.start();
    await waitFor(() => h.agent.signals.since('gatewayUnreachable'), 'unreachable condition');
    await waitFor(() => h.agent.submission(ids[0]!)!.lastError, 'the failure on the sample');
    const view = h.agent.submission(ids[0]!)!;
    expect(view.agent.gatewayUnreachableSince).not.toBeNull();
    expect(view.lastError?.message).toMatch(/ECONNREFUSED/);
    expect(ids.map((id) => h.status(id))).toEqual(['released', 'released', 'released']);
    expect(
      h.log().filter((l) => l.startsWith('warn Unable to connect to the Gateway')),
    ).toHaveLength(1);

    const g = await gateway(undefined, port);
    await waitFor(() => ids.every((id) => h.status(id) === 'submitted'), 'all submitted');
    expect(g.submissions.map((s) => s.md5).sort()).toEqual(samples.map(md5Hex).sort());
    expect(h.agent.signals.since('gatewayUnreachable')).toBeNull();
    expect(changes).toEqual(['gatewayUnreachable:true', 'gatewayUnreachable:false']);
    expect(h.log().some((l) => l.includes('is reachable again'))).toBe(true);
  });
});

describe('HTTPS to the gateway', () => {
  const cert = makeTestCertificate();

  it('uses https for submission and download when asked, trusting the configured CA', async () => {
    const g = await gateway(cert);
    g.onSignatures = (n) => ({
      status: 200,
      headers: { 'X-Signatures-Checksum': 'X' },
      body: fakePackage(n, false),
    });
    const h = agentHarness({
      gatewayUrl: `http://127.0.0.1:${g.port}`,
      config: {
        webCommunication: {
          gatewayUrl: `http://127.0.0.1:${g.port}`,
          secureSubmission: true,
          secureDownload: true,
          caFile: cert.certFile,
        },
      },
    });
    const bytes = randomBytes(500);
    const id = await h.addSample(bytes);
    h.agent.start();
    await waitFor(() => h.status(id) === 'submitted', 'submitted over https');
    const now = formatHttpDate(Date.now());
    g.setAnalysis(g.cookieFor(md5Hex(bytes))!, {
      'X-Analysis-State': 'infected',
      'X-Signatures-Sequence': '00000003',
      'X-Date-Finished': now,
    });
    await waitFor(() => h.status(id) === 'available', 'definitions downloaded over https');
    expect(h.definitions.installs.map((i) => i.sequence)).toEqual([3]);
  });

  it('refuses a gateway whose certificate is not trusted, and says so', async () => {
    const g = await gateway(cert);
    const h = agentHarness({
      gatewayUrl: `https://127.0.0.1:${g.port}`,
    });
    const id = await h.addSample(randomBytes(50));
    h.agent.start();
    await waitFor(() => h.agent.signals.since('gatewayUnreachable'), 'unreachable');
    expect(g.requests).toEqual([]);
    expect(h.status(id)).toBe('released');
    const message = h.agent.signals.active()[0]!.message;
    expect(message).toMatch(/TLS failed/);
    await waitFor(() => h.store.errors.general().length > 0, 'general error');
    expect(h.store.errors.general()[0]!.message).toMatch(/TLS failed/);
  });

  it('cannot talk plain http to a gateway that only speaks https', async () => {
    const g = await gateway(cert);
    const h = agentHarness({ gatewayUrl: `http://127.0.0.1:${g.port}` });
    const id = await h.addSample(randomBytes(50));
    h.agent.start();
    await waitFor(() => h.agent.signals.since('gatewayUnreachable'), 'unreachable');
    expect(h.status(id)).toBe('released');
  });
});

describe('HTTP proxy with credentials', () => {
  it('sends plain http through the proxy with an absolute URI', async () => {
    const g = await gateway();
    const proxy = await proxyServer('agent', 's3cret');
    const h = agentHarness({
      gatewayUrl: `http://127.0.0.1:${g.port}`,
      config: {
        firewall: viaProxy(proxy.port),
      },
    });
    const id = await h.addSample(randomBytes(300));
    h.agent.start();
    await waitFor(() => h.status(id) === 'submitted', 'submitted via the proxy');
    expect(proxy.seen.requests).toBeGreaterThan(0);
    expect(g.submissions).toHaveLength(1);
    // The gateway never sees the proxy credentials.
    expect(g.submissions[0]!.request.headers['proxy-authorization']).toBeUndefined();
  });

  it('tunnels https through the proxy with CONNECT', async () => {
    const cert = makeTestCertificate();
    const g = await gateway(cert);
    const proxy = await proxyServer('agent', 's3cret');
    const h = agentHarness({
      gatewayUrl: `https://localhost:${g.port}`,
      config: {
        webCommunication: { gatewayUrl: `https://localhost:${g.port}`, caFile: cert.certFile },
        firewall: viaProxy(proxy.port),
      },
    });
    const id = await h.addSample(randomBytes(300));
    h.agent.start();
    await waitFor(() => h.status(id) === 'submitted', 'submitted through the tunnel');
    expect(proxy.seen.connects).toBeGreaterThan(0);
    expect(proxy.seen.requests).toBe(0);
  });

  it.each(['http', 'https'] as const)(
    'reports wrong credentials (407) for %s and keeps the samples',
    async (scheme) => {
      const cert = makeTestCertificate();
      const g = await gateway(scheme === 'https' ? cert : undefined);
      const proxy = await proxyServer('agent', 's3cret');
      const h = agentHarness({
        gatewayUrl: `${scheme}://127.0.0.1:${g.port}`,
        config: {
          webCommunication: {
            gatewayUrl: `${scheme}://127.0.0.1:${g.port}`,
            caFile: cert.certFile,
          },
          firewall: viaProxy(proxy.port, 'wrong'),
        },
      });
      const id = await h.addSample(randomBytes(30));
      h.agent.start();
      await waitFor(() => h.store.errors.general().length > 0, 'general error');
      expect(h.store.errors.general()[0]).toMatchObject({
        code: 'declined',
        params: ['407'],
        source: 'agent',
      });
      expect(h.store.errors.general()[0]!.message).toContain('refused the credentials (407)');
      expect(h.agent.signals.since('gatewayUnreachable')).not.toBeNull();
      expect(h.log().some((l) => l.startsWith('error') && l.includes('407'))).toBe(true);
      expect(proxy.seen.refused).toBeGreaterThan(0);
      expect(g.requests).toEqual([]);
      expect(h.status(id)).toBe('released');

      h.config.set({ firewall: { proxyPassword: 's3cret' } }, 'test');
      await waitFor(() => h.status(id) === 'submitted', 'submitted with the right password');
      expect(h.agent.signals.since('gatewayUnreachable')).toBeNull();
    },
  );
});
