import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { md5Hex } from '../../src-main/codec/content.js';
import { writeCfb } from '../../src-main/strip/cfb-writer.js';
import { readCfb } from '../../src-main/strip/cfb.js';
import { agentHarness } from '../helpers/agent-harness.js';
import { FakeGateway, refusal } from '../helpers/fake-gateway.js';
import { waitFor } from '../helpers/wait.js';
import { cfbNode } from '../fixtures/cfb-node.js';

const gateways: FakeGateway[] = [];
async function gateway(): Promise<FakeGateway> {
  const g = new FakeGateway();
  await g.listen();
  gateways.push(g);
  return g;
}
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.close();
});

const url = (g: FakeGateway): string => `http://127.0.0.1:${g.port}`;

describe('Sample Policy: submission', () => {
  it('submits released samples, higher priority first then oldest, and records the answer', async () => {
    const g = await gateway();
    const h = agentHarness({
      gatewayUrl: url(g),
      config: {
        customerInformation: {
          company: 'Exämple Corp',
          contactName: 'Bob',
          telephone: '1',
          email: 'bob@example.test',
        },
      },
    });
    const first = randomBytes(3000);
    const second = randomBytes(2000);
    const urgent = randomBytes(1000);
    const held = randomBytes(500);
    const a = await h.addSample(first);
    const b = await h.addSample(second);
    const c = await h.addSample(urgent, { 'X-Sample-Priority': '5' });
    const d = await h.addSample(held, {}, 'held');
    h.agent.start();
    await waitFor(() => [a, b, c].every((id) => h.status(id) === 'submitted'), 'three submissions');

    expect(g.submissions.map((s) => s.md5)).toEqual([urgent, first, second].map(md5Hex));
    expect(h.status(d)).toBe('held');
    const sent = g.submissions[1]!;
    expect(sent.bytes).toEqual(first);
    expect(sent.request.headers).toMatchObject({
      'x-customer-identifier': h.config.get().webCommunication.customerIdentifier,
      'x-customer-credentials': '',
      'x-customer-name': 'Exämple Corp',
      'x-customer-contact-email': 'bob@example.test',
      'x-platform-host': 'ws-042.example.test',
      'x-platform-user': 'alice',
      'x-sample-type': 'file',
      'x-sample-file': 'C:\\Users\\alice\\Documents\\report.exe',
      'x-scan-result': 'nodetect',
      'x-sample-checksum': md5Hex(first),
      'x-sample-size': String(first.length),
      'x-content-compression': 'deflate',
      'x-content-scrambling': 'xor-vampish',
    });
    expect(sent.request.headers['x-date-captured']).toMatch(/GMT$/);
    expect(sent.request.headers['x-sample-status']).toBeUndefined();
    expect(sent.request.headers['x-sample-strip']).toBeUndefined();

    const cookie = g.cookieFor(md5Hex(first))!;
    const attributes = h.attributes(a);
    expect(attributes['X-Analysis-Cookie']).toBe(cookie);
    expect(attributes['X-Analysis-State']).toBe('accepted');
    expect(attributes['X-Date-Submitted']).toMatch(/GMT$/);
    // The gateway's copy of the checksum never replaces the sample's own.
    expect(attributes['X-Sample-Checksum']).toBe(md5Hex(first));
    const history = h.store.samples.getDetail(a)!.history;
    expect(history.at(-1)).toMatchObject({ actor: 'agent', from: 'released', to: 'submitted' });
    expect(history.at(-1)!.reason).toContain(`cookie ${cookie}`);
    expect(h.agent.submission(a)).toMatchObject({
      cookie,
      status: 'submitted',
      attempts: 1,
      lastError: null,
    });
    expect(h.events.some((e) => e.event === 'sample.changed')).toBe(true);
    expect(h.log().some((line) => line.includes(`sample ${a} submitted`))).toBe(true);
  });

  it('holds off while a sample is held and sends it once released again', async () => {
    const g = await gateway();
    const h = agentHarness({ gatewayUrl: url(g) });
    const id = await h.addSample(randomBytes(100), {}, 'held');
    h.agent.start();
    await waitFor(
      () => g.requestsTo('/v1/samples').length === 0 && h.agent.submission(id)!.agent.running,
      'agent running',
    );
    await h.store.committer.commit(() =>
      h.store.samples.transition(id, 'released', 'admin', 'release'),
    );
    h.agent.nudge();
    await waitFor(() => h.status(id) === 'submitted', 'submission after release');
    expect(g.submissions).toHaveLength(1);
  });

  it('puts a sample the gateway refuses in error, with the refusal on its Errors tab', async () => {
    const g = await gateway();
    g.onSubmit = () => refusal(415, 'type', ['sector']);
    const h = agentHarness({ gatewayUrl: url(g) });
    const id = await h.addSample(randomBytes(100));
    h.agent.start();
    await waitFor(() => h.status(id) === 'error', 'error status');
    expect(h.store.errors.forSample(id)).toMatchObject([
      { code: 'type', params: ['sector'], source: 'agent' },
    ]);
    expect(h.store.samples.getDetail(id)!.history.at(-1)!.reason).toContain('type sector');
  });

  it('keeps samples released when the customer is declined, and files a General Error once', async () => {
    const g = await gateway();
    g.customer = { identifier: 'someone-else', credentials: 'x' };
    const h = agentHarness({ gatewayUrl: url(g) });
    const id = await h.addSample(randomBytes(100));
    h.agent.start();
    await waitFor(() => g.requestsTo('/v1/samples').length >= 2, 'two attempts');
    expect(h.status(id)).toBe('released');
    await waitFor(() => h.store.errors.general().length === 1, 'general error');
    expect(h.store.errors.general()[0]).toMatchObject({ code: 'declined', source: 'agent' });
    expect(h.log().filter((l) => l.includes('refused customer'))).toHaveLength(1);
    expect(h.agent.submission(id)!.lastError?.message).toContain('refused the customer');

    g.customer = undefined;
    await waitFor(() => h.status(id) === 'submitted', 'submitted once accepted');
    expect(h.log().some((l) => l.startsWith('info resolved:'))).toBe(true);
    expect(h.store.errors.general()).toHaveLength(1);
  });

  it('honours Retry-After when the gateway is busy', async () => {
    const g = await gateway();
    let busy = true;
    g.onSubmit = () =>
      busy
        ? ((busy = false), refusal(503, 'declined', ['busy'], { 'Retry-After': '2' }))
        : undefined;
    // No jitter: without Retry-After the retry would come at once.
    const h = agentHarness({ gatewayUrl: url(g), random: () => 0 });
    const id = await h.addSample(randomBytes(100));
    h.agent.start();
    await waitFor(() => h.status(id) === 'submitted', 'submitted after the busy answer');
    const [refused, accepted] = g.requestsTo('/v1/samples');
    expect(accepted!.at - refused!.at).toBeGreaterThanOrEqual(2000);
    expect(h.agent.submission(id)).toMatchObject({ attempts: 2, lastError: null });
  });

  it('records the attempt, the error and the next try while the gateway is busy', async () => {
    const g = await gateway();
    g.onSubmit = () => refusal(503, 'declined', ['busy'], { 'Retry-After': '3600' });
    const h = agentHarness({ gatewayUrl: url(g) });
    const id = await h.addSample(randomBytes(100));
    h.agent.start();
    await waitFor(() => h.agent.submission(id)?.lastError, 'a recorded failure');
    const view = h.agent.submission(id)!;
    expect(view.attempts).toBe(1);
    expect(view.lastError!.message).toContain('503');
    expect(view.nextAttemptAt).toBeGreaterThan(Date.now() + 3_000_000);
    expect(h.status(id)).toBe('released');
  });

  it('sends an interrupted submission again after a restart, and the sample is analysed once', async () => {
    const g = await gateway();
    let hang = true;
    // The first submission reaches the gateway, which records it but never answers.
    g.onSubmit = (s) => {
      if (!hang) return undefined;
      hang = false;
      g.cookies.set(s.md5, 'FIRSTCOOKIE');
      g.setAnalysis('FIRSTCOOKIE', {
        'X-Analysis-Cookie': 'FIRSTCOOKIE',
        'X-Analysis-State': 'accepted',
      });
      return 'hang';
    };
    const first = agentHarness({ gatewayUrl: url(g) });
    const bytes = randomBytes(100);
    const id = await first.addSample(bytes);
    first.agent.start();
    await waitFor(() => g.submissions.length === 1, 'the first submission');
    expect(first.agent.submission(id)).toMatchObject({ attempts: 1, status: 'released' });
    await first.close();

    const second = agentHarness({ gatewayUrl: url(g), dataDir: first.dataDir });
    second.agent.start();
    await waitFor(() => second.status(id) === 'submitted', 'submitted after restart');
    expect(second.attributes(id)['X-Analysis-Cookie']).toBe('FIRSTCOOKIE');
    expect(g.submissions).toHaveLength(2);
    expect(new Set(g.submissions.map((s) => s.md5))).toEqual(new Set([md5Hex(bytes)]));
    expect(g.cookies.size).toBe(1);
    expect(second.log().some((l) => l.includes('interrupted before the gateway'))).toBe(true);
    const transitions = second.store.samples
      .getDetail(id)!
      .history.filter((e) => e.to === 'submitted');
    expect(transitions).toHaveLength(1);
  });

  it('strips user data before sending when the Sample Policy says so', async () => {
    const g = await gateway();
    const h = agentHarness({
      gatewayUrl: url(g),
      config: { samplePolicy: { stripUserData: true } },
    });
    const macro = Buffer.from('Sub AutoOpen(): Shell "calc": End Sub');
    const doc = writeCfb(
      cfbNode('Root Entry', 'root', {
        children: [
          cfbNode('WordDocument', 'stream', {
            data: Buffer.from('Private letter to the board. '.repeat(50)),
          }),
          cfbNode('Macros', 'storage', {
            children: [
              cfbNode('VBA', 'storage', {
                children: [cfbNode('Module1', 'stream', { data: macro })],
              }),
            ],
          }),
        ],
      }),
    );
    const id = await h.addSample(doc, { 'X-Sample-File': 'C:\\Users\\alice\\letter.doc' });
    h.agent.start();
    await waitFor(() => h.status(id) === 'submitted', 'submitted');
    const sent = g.submissions[0]!;
    expect(sent.request.headers['x-sample-strip']).toBe('ole-macro-streams');
    expect(sent.request.headers['x-sample-file']).toBeUndefined();
    expect(sent.request.headers['x-sample-checksum']).toBe(md5Hex(sent.bytes));
    expect(sent.request.headers['x-sample-size']).toBe(String(sent.bytes.length));
    expect(sent.bytes.toString('latin1')).not.toContain('Private letter');
    const stripped = readCfb(sent.bytes);
    expect(
      stripped.children.find((c) => c.name === 'Macros')!.children[0]!.children[0]!.data,
    ).toEqual(macro);
    // The stored sample keeps its own content, checksum and file name.
    expect(h.attributes(id)['X-Sample-Checksum']).toBe(md5Hex(doc));
    expect(h.attributes(id)['X-Sample-File']).toContain('letter.doc');
    expect(h.agent.submission(id)!.strip).toMatchObject({
      method: 'ole-macro-streams',
      removed: 1,
      size: sent.bytes.length,
    });
    expect(h.store.samples.getDetail(id)!.history.at(-1)!.reason).toContain(
      'sent stripped: ole-macro-streams',
    );
  });

  it('holds a sample that must be stripped but cannot be, with the reason', async () => {
    const g = await gateway();
    const h = agentHarness({
      gatewayUrl: url(g),
      config: { samplePolicy: { stripUserData: true } },
    });
    const id = await h.addSample(Buffer.from('%PDF-1.7 quarterly figures'), {
      'X-Sample-File': 'C:\\x\\figures.pdf',
    });
    h.agent.start();
    await waitFor(() => h.status(id) === 'held', 'held');
    expect(g.submissions).toEqual([]);
    expect(h.store.samples.getDetail(id)!.history.at(-1)!.reason).toMatch(/cannot be stripped/);
    expect(h.log().some((l) => l.startsWith(`warn sample ${id} held`))).toBe(true);
  });

  it('puts a sample whose stored content is gone in error (lost)', async () => {
    const g = await gateway();
    const h = agentHarness({ gatewayUrl: url(g) });
    const id = await h.addSample(randomBytes(64));
    const row = h.store.samples.get(id)!;
    h.store.blobs.removeSync(row.blobSha256);
    h.agent.start();
    await waitFor(() => h.status(id) === 'error', 'error');
    expect(h.store.errors.forSample(id)).toMatchObject([{ code: 'lost', source: 'agent' }]);
    expect(g.submissions).toEqual([]);
  });
});
