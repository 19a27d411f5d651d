/**
 * The automated loop of SPEC §3.2 and §4.3 with real processes (`npm run build` first):
 * `cq forward` → scanned → released → submitted → the gateway builds a set from its research
 * rules → the server downloads and installs it → the sample is resolved and rescans as
 * detected; a clean sample ends unneeded; a deferred one waits for `cq gateway verdict`. Then
 * an outage, and HTTPS through an authenticating proxy.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProxy } from 'proxy';
import { afterAll, describe, expect, it } from 'vitest';
import type { SampleSubmission } from '../../src-shared/api/contract.js';
import {
  connectControl,
  type ConnectedControlClient,
} from '../../src-main/transport/rpc-client.js';
import { runCq, startCq, type CqProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { makeTestCertificate } from '../helpers/tls.js';
import { waitFor } from '../helpers/wait.js';

const RULES = fileURLToPath(new URL('../fixtures/research-rules/', import.meta.url));
const FAST_AGENT = {
  samplePolicy: { queueCheckIntervalSeconds: 1, statusQueryIntervalSeconds: 1 },
  definitionPolicy: { certifiedDefinitionsIntervalSeconds: 3600 },
};

const clients: ConnectedControlClient[] = [];
afterAll(async () => {
  for (const c of clients.splice(0)) await c.close();
});

function portOf(p: CqProcess, name: string): number {
  return Number(/:(\d+)$/.exec(p.listening.get(name)![0]!)![1]);
}

function startGateway(dataDir: string, port = 0, extra: string[] = []): Promise<CqProcess> {
  return startCq(
    [
      'gateway',
      '--data-dir',
      dataDir,
      '--port',
      String(port),
      '--research-rules',
      RULES,
      '--timings',
      'fast',
      ...extra,
    ],
    ['gateway'],
  );
}

interface Server {
  readonly process: CqProcess;
  readonly intake: string;
  readonly socket: string;
  readonly client: ConnectedControlClient;
}

async function startServer(
  gatewayUrl: string,
  config: Record<string, unknown> = {},
): Promise<Server> {
  const dataDir = tempDir('cq-loop-server-');
  const configFile = path.join(tempDir('cq-loop-config-'), 'config.json');
  fs.writeFileSync(configFile, JSON.stringify({ ...FAST_AGENT, ...config }));
  const process = await startCq(
    [
      'server',
      '--data-dir',
      dataDir,
      '--port',
      '0',
      '--no-control',
      '--gateway',
      gatewayUrl,
      '--config',
      configFile,
    ],
    ['intake', 'control'],
  );
  const socket = process.listening.get('control')![0]!;
  const client = await connectControl({ socket });
  clients.push(client);
  return { process, intake: process.listening.get('intake')![0]!, socket, client };
}

/** A shell script: the gateway classifies it as a program, so its research rules apply. */
function script(body: string): string {
  const file = path.join(tempDir('cq-loop-sample-'), `${body.slice(0, 12).replace(/\W/g, '_')}.sh`);
  fs.writeFileSync(file, `#!/bin/sh\n# ${Date.now()} ${Math.random()}\necho ${body}\n`);
  return file;
}

async function forward(server: Server, file: string): Promise<string> {
  const result = await runCq(['forward', file, '--server', server.intake]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim();
}

async function statusOf(server: Server, id: string): Promise<string> {
  return (await server.client.call('samples.get', { id })).sample.status;
}

async function submission(server: Server, id: string): Promise<SampleSubmission> {
  return (await server.client.call('samples.submission', { id })).submission;
}

/** The agent's own Quarantine Log lines containing `text` (alerts log theirs too). */
async function logLines(server: Server, text: string): Promise<string[]> {
  const { entries } = await server.client.call('log.query', { text, limit: 1000 });
  return entries.filter((e) => e.source === 'agent').map((e) => e.message);
}

async function gatewayAlerts(server: Server, open: boolean): Promise<string[]> {
  const { alerts } = await server.client.call('alerts.list', open ? { open } : {});
  return alerts.filter((a) => a.event === 'gatewayUnreachable').map((a) => a.message);
}

describe('the Scan and Deliver loop', () => {
  it('resolves a new threat, finishes a clean sample and waits for an expert on a deferred one', async () => {
    const gwDir = tempDir('cq-loop-gateway-');
    const gateway = await startGateway(gwDir);
    const server = await startServer(`http://127.0.0.1:${portOf(gateway, 'gateway')}`);
    const before = (await server.client.call('server.info', {})).activeDefinitions?.sequence ?? 0;

    const threat = await forward(server, script('CQ-RESEARCH-NEW-THREAT-1'));
    const clean = await forward(server, script('nothing to see here'));
    const deferred = await forward(server, script('CQ-RESEARCH-ASK-AN-EXPERT'));

    await waitFor(
      async () => ['available', 'distribute'].includes(await statusOf(server, threat)),
      'the threat resolved',
    );
    const detail = await server.client.call('samples.get', { id: threat });
    const moves = detail.history
      .filter((h) => h.action === 'transition')
      .map((h) => `${h.from}→${h.to}`);
    expect(moves).toEqual([
      'quarantined→released',
      'released→submitted',
      'submitted→needed',
      `needed→${detail.sample.status}`,
    ]);
    const sequence = Number(detail.attributes['X-Signatures-Sequence']);
    expect(sequence).toBeGreaterThan(before);
    // The rescan with the installed set detects it.
    expect(detail.attributes).toMatchObject({
      'X-Analysis-State': 'infected',
      'X-Analysis-Virus-Name': 'Cq.Research.Body-1',
      'X-Scan-Virus-Name': 'Cq.Research.Body-1',
      'X-Scan-Result': 'repaired',
      'X-Scan-Signatures-Sequence': String(sequence).padStart(8, '0'),
    });
    expect(detail.attributes['X-Date-Finished']).toMatch(/GMT$/);
    const info = await server.client.call('server.info', {});
    expect(info.activeDefinitions?.sequence).toBe(sequence);
    expect(await logLines(server, `installed non-certified definitions ${sequence}`)).toHaveLength(
      1,
    );

    await waitFor(
      async () => (await statusOf(server, clean)) === 'unneeded',
      'the clean sample unneeded',
    );
    expect(
      (await server.client.call('samples.get', { id: clean })).attributes['X-Analysis-State'],
    ).toBe('uninfected');

    await waitFor(
      async () => (await submission(server, deferred)).state === 'deferred',
      'deferred',
    );
    const waiting = await submission(server, deferred);
    expect(waiting.status).toBe('submitted');
    expect(waiting.finishedOn).toBeNull();
    // It keeps waiting while the agent keeps asking.
    const asked = waiting.nextAttemptAt!;
    await waitFor(
      async () => ((await submission(server, deferred)).nextAttemptAt ?? 0) > asked,
      'another query',
    );
    expect(await statusOf(server, deferred)).toBe('submitted');

    const verdict = await runCq([
      'gateway',
      'verdict',
      waiting.cookie!,
      '--state',
      'uninfected',
      '--data-dir',
      gwDir,
    ]);
    expect(verdict.code, verdict.stderr).toBe(0);
    await waitFor(
      async () => (await statusOf(server, deferred)) === 'unneeded',
      'unneeded after the verdict',
    );

    // `cq ctl` shows the same submission state.
    const viaCli = await runCq([
      'ctl',
      '--socket',
      server.socket,
      'samples.submission',
      JSON.stringify({ id: threat }),
    ]);
    expect(viaCli.code, viaCli.stderr).toBe(0);
    const shown = JSON.parse(viaCli.stdout) as { submission: SampleSubmission };
    expect(shown.submission).toMatchObject({
      id: threat,
      cookie: detail.attributes['X-Analysis-Cookie'],
      state: 'infected',
      signaturesSequence: sequence,
      nextAttemptAt: null,
    });
    expect(shown.submission.finishedOn).toBeGreaterThan(0);
    expect(await server.process.stop()).toBe(0);
    expect(await gateway.stop()).toBe(0);
  }, 120_000);
});

describe('gateway outage', () => {
  it('keeps samples released while the gateway is down and submits each once when it is back', async () => {
    const gwDir = tempDir('cq-loop-gateway-');
    let gateway = await startGateway(gwDir);
    const port = portOf(gateway, 'gateway');
    // The alert fires as soon as the condition holds (its usual timeout is minutes).
    const server = await startServer(`http://127.0.0.1:${port}`, {
      alerting: { events: { gatewayUnreachable: { timeoutSeconds: 0 } } },
    });
    expect(await gateway.stop()).toBe(0);

    const ids = [
      await forward(server, script('CQ-RESEARCH-NEW-THREAT-1 outage')),
      await forward(server, script('clean one')),
      await forward(server, script('clean two')),
    ];
    await waitFor(
      async () => (await submission(server, ids[0]!)).agent.gatewayUnreachableSince,
      'the unreachable condition',
    );
    await waitFor(
      async () =>
        (await Promise.all(ids.map((id) => statusOf(server, id)))).every((s) => s === 'released'),
      'all released',
    );
    expect(await logLines(server, 'Unable to connect to the Gateway')).toHaveLength(1);
    await waitFor(async () => (await gatewayAlerts(server, true)).length === 1, 'the alert raised');
    expect((await gatewayAlerts(server, true))[0]).toContain('cannot be reached');
    // Still released after more attempts.
    await waitFor(
      async () => (await submission(server, ids[0]!)).lastError !== null,
      'a failed attempt',
    );
    expect(await Promise.all(ids.map((id) => statusOf(server, id)))).toEqual([
      'released',
      'released',
      'released',
    ]);

    gateway = await startGateway(gwDir, port);
    const final = async (id: string): Promise<boolean> =>
      ['available', 'distribute', 'unneeded'].includes(await statusOf(server, id));
    await waitFor(
      async () => (await Promise.all(ids.map(final))).every(Boolean),
      'every sample finished',
    );
    expect(await statusOf(server, ids[0]!)).toMatch(/^(available|distribute)$/);
    expect(await statusOf(server, ids[1]!)).toBe('unneeded');
    const issues = new Set<string>();
    for (const id of ids) {
      const detail = await server.client.call('samples.get', { id });
      expect(detail.history.filter((h) => h.to === 'submitted')).toHaveLength(1);
      issues.add(detail.attributes['X-Analysis-Issue']!);
    }
    expect(issues.size).toBe(3);
    expect((await submission(server, ids[0]!)).agent.gatewayUnreachableSince).toBeNull();
    expect(await logLines(server, 'is reachable again')).toHaveLength(1);
    await waitFor(
      async () => (await gatewayAlerts(server, true)).length === 0,
      'the alert cleared',
    );
    expect(await gatewayAlerts(server, false)).toHaveLength(1);
    await server.process.stop();
    await gateway.stop();
  }, 120_000);
});

describe('HTTPS through an authenticating proxy', () => {
  it('runs the loop against a TLS gateway through a CONNECT tunnel with credentials', async () => {
    const cert = makeTestCertificate();
    const proxy = createProxy(http.createServer());
    let tunnels = 0;
    const expected = `Basic ${Buffer.from('agent:pa55').toString('base64')}`;
    proxy.authenticate = (req) => {
      const ok = req.headers['proxy-authorization'] === expected;
      if (ok) tunnels++;
      return ok;
    };
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyPort = (proxy.address() as AddressInfo).port;
    const gateway = await startGateway(tempDir('cq-loop-gateway-'), 0, [
      '--tls-cert',
      cert.certFile,
      '--tls-key',
      cert.keyFile,
    ]);
    const server = await startServer(`http://localhost:${portOf(gateway, 'gateway')}`, {
      webCommunication: { secureSubmission: true, secureDownload: true, caFile: cert.certFile },
      firewall: { proxyHost: '127.0.0.1', proxyPort, proxyUser: 'agent', proxyPassword: 'pa55' },
    });
    const id = await forward(server, script('CQ-RESEARCH-NEW-THREAT-1 tls'));
    await waitFor(
      async () => ['available', 'distribute'].includes(await statusOf(server, id)),
      'resolved over TLS',
    );
    expect(tunnels).toBeGreaterThanOrEqual(3);
    await server.process.stop();
    await gateway.stop();
    proxy.closeAllConnections();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
  }, 120_000);
});
