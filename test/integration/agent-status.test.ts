import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { md5Hex } from '../../src-main/codec/content.js';
import { formatHttpDate } from '../../src-shared/codec/dates.js';
import { agentHarness, type AgentHarness } from '../helpers/agent-harness.js';
import { FakeGateway, refusal } from '../helpers/fake-gateway.js';
import { waitFor } from '../helpers/wait.js';

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

/** Submit one sample and return its id and cookie. */
async function submitted(g: FakeGateway, h: AgentHarness): Promise<{ id: number; cookie: string }> {
  const bytes = randomBytes(256);
  const id = await h.addSample(bytes);
  h.agent.start();
  await waitFor(() => h.status(id) === 'submitted', 'submission');
  return { id, cookie: g.cookieFor(md5Hex(bytes))! };
}

function finished(state: string, extra: Record<string, string> = {}): Record<string, string> {
  const now = formatHttpDate(Date.now());
  return { 'X-Analysis-State': state, 'X-Date-Analyzed': now, 'X-Date-Finished': now, ...extra };
}

describe('Sample Policy: status queries', () => {
  it('stores every analysis answer and keeps the sample submitted until X-Date-Finished', async () => {
    const g = await gateway();
    const h = agentHarness({ gatewayUrl: `http://127.0.0.1:${g.port}` });
    const { id, cookie } = await submitted(g, h);
    g.setAnalysis(cookie, {
      'X-Analysis-State': 'infected',
      'X-Analysis-Service': 'quickcheck',
      'X-Analysis-Virus-Name': 'W32.Exämple',
      'X-Analysis-Virus-Identifier': '4242',
    });
    await waitFor(() => h.attributes(id)['X-Analysis-State'] === 'infected', 'state stored');
    // A final-looking token without X-Date-Finished is not final (SPEC §3.3).
    expect(h.status(id)).toBe('submitted');
    expect(h.attributes(id)).toMatchObject({
      'X-Analysis-Service': 'quickcheck',
      'X-Analysis-Virus-Name': 'W32.Exämple',
      'X-Analysis-Virus-Identifier': '4242',
    });
    expect(h.store.samples.get(id)!.virusName).toBe('W32.Exämple');
    const changes = h.store.samples.get(id)!.changes;
    await waitFor(() => g.requestsTo(`/v1/samples/${cookie}`).length >= 3, 'more queries');
    // Unchanged answers change nothing.
    expect(h.store.samples.get(id)!.changes).toBe(changes);
  });

  it.each([
    ['uninfected', 'unneeded'],
    ['nodetect', 'unneeded'],
    ['uninfectable', 'unneeded'],
    ['misfired', 'unneeded'],
    ['attention', 'attention'],
    ['unsubmittable', 'attention'],
  ])('final %s → %s', async (state, status) => {
    const g = await gateway();
    const h = agentHarness({ gatewayUrl: `http://127.0.0.1:${g.port}` });
    const { id, cookie } = await submitted(g, h);
    g.setAnalysis(cookie, finished(state));
    await waitFor(() => h.status(id) === status, status);
    expect(h.attributes(id)['X-Date-Finished']).toMatch(/GMT$/);
    expect(h.store.samples.getDetail(id)!.history.at(-1)).toMatchObject({
      from: 'submitted',
      to: status,
      actor: 'agent',
    });
    expect(h.store.errors.forSample(id)).toEqual([]);
  });

  it.each([
    ['declined', 'declined'],
    ['error', 'internal'],
    ['abort', 'internal'],
    ['broken', 'abandoned'],
  ])('final %s → error with a %s error row', async (state, code) => {
    const g = await gateway();
    const h = agentHarness({ gatewayUrl: `http://127.0.0.1:${g.port}` });
    const { id, cookie } = await submitted(g, h);
    g.setAnalysis(cookie, finished(state));
    await waitFor(() => h.status(id) === 'error', 'error');
    expect(h.store.errors.forSample(id)).toMatchObject([{ code, source: 'agent' }]);
    expect(h.store.errors.forSample(id)[0]!.message).toContain(state);
  });

  it('final infected with a newer sequence → needed, then the set is fetched and installed', async () => {
    const g = await gateway();
    g.onSignatures = (n) => ({
      status: 200,
      headers: {
        'X-Signatures-Sequence': String(n).padStart(8, '0'),
        'X-Signatures-Checksum': 'ABCDEF',
      },
      body: JSON.stringify({ sequence: n, certified: false }),
    });
    const h = agentHarness({ gatewayUrl: `http://127.0.0.1:${g.port}` });
    h.definitions.active = 4;
    const notices: string[] = [];
    h.agent.signals.onNotice((n) => notices.push(n.event));
    const { id, cookie } = await submitted(g, h);
    g.setAnalysis(
      cookie,
      finished('infected', {
        'X-Signatures-Sequence': '00000007',
        'X-Analysis-Virus-Name': 'W32.New',
      }),
    );
    await waitFor(() => h.status(id) === 'available', 'resolved by the new set');
    expect(h.definitions.installs).toEqual([{ sequence: 7, md5: 'ABCDEF' }]);
    expect(g.requestsTo('/v1/signatures/7')[0]!.query.get('kind')).toBe('all');
    const moves = h.store.samples
      .getDetail(id)!
      .history.filter((e) => e.to !== null && e.from !== null);
    expect(moves.map((e) => e.to)).toEqual(['submitted', 'needed', 'available']);
    expect(notices).toEqual(['newNonCertifiedDefinitions']);
    expect(h.log().some((l) => l.includes('installed non-certified definitions 7'))).toBe(true);
  });

  it('final infected with a sequence the server already has → resolved by a rescan', async () => {
    const g = await gateway();
    const h = agentHarness({ gatewayUrl: `http://127.0.0.1:${g.port}` });
    h.definitions.active = 9;
    const { id, cookie } = await submitted(g, h);
    g.setAnalysis(cookie, finished('infected', { 'X-Signatures-Sequence': '00000008' }));
    await waitFor(() => h.status(id) === 'available', 'resolved');
    expect(h.definitions.resolved).toContainEqual([id]);
    expect(h.definitions.installs).toEqual([]);
    expect(g.requests.filter((r) => /^\/v1\/signatures\/\d+$/.test(r.path))).toEqual([]);
  });

  it('a crumbled cookie sends the sample back to the queue and it is submitted again', async () => {
    const g = await gateway();
    const h = agentHarness({ gatewayUrl: `http://127.0.0.1:${g.port}` });
    const { id, cookie } = await submitted(g, h);
    // The gateway forgets the submission.
    g.analyses.delete(cookie);
    g.cookies.clear();
    await waitFor(
      () => h.status(id) === 'submitted' && h.attributes(id)['X-Analysis-Cookie'] !== cookie,
      'resubmitted',
    );
    expect(g.submissions).toHaveLength(2);
    expect(h.store.errors.forSample(id)).toMatchObject([{ code: 'crumbled' }]);
    const moves = h.store.samples
      .getDetail(id)!
      .history.filter((e) => e.action === 'transition')
      .map((e) => e.to);
    expect(moves).toEqual(['submitted', 'released', 'submitted']);
  });

  it('a sample deferred for an expert waits, then needs attention once deferred too long', async () => {
    const g = await gateway();
    const h = agentHarness({
      gatewayUrl: `http://127.0.0.1:${g.port}`,
      timings: { deferredLimitMs: 1500 },
    });
    const { id, cookie } = await submitted(g, h);
    g.setAnalysis(cookie, { 'X-Analysis-State': 'deferred' });
    await waitFor(() => h.attributes(id)['X-Analysis-State'] === 'deferred', 'deferred');
    expect(h.status(id)).toBe('submitted');
    await waitFor(() => h.status(id) === 'attention', 'attention');
    expect(h.store.samples.getDetail(id)!.history.at(-1)!.reason).toMatch(
      /deferred for an expert since/,
    );
  });

  it('takes a duplicate answered with a final result straight to its outcome', async () => {
    const g = await gateway();
    g.onSubmit = () => ({
      status: 202,
      headers: {
        'X-Analysis-Cookie': 'KNOWN',
        'X-Analysis-State': 'uninfected',
        'X-Date-Finished': formatHttpDate(Date.now()),
      },
    });
    const h = agentHarness({ gatewayUrl: `http://127.0.0.1:${g.port}` });
    const id = await h.addSample(randomBytes(10));
    h.agent.start();
    await waitFor(() => h.status(id) === 'unneeded', 'unneeded');
    expect(g.requestsTo('/v1/samples/KNOWN')).toEqual([]);
  });

  it('keeps a sample submitted when a status query is refused, with one error row', async () => {
    const g = await gateway();
    const h = agentHarness({ gatewayUrl: `http://127.0.0.1:${g.port}` });
    const { id, cookie } = await submitted(g, h);
    g.onStatus = () => refusal(400, 'malformed', ['cookie']);
    await waitFor(() => g.requestsTo(`/v1/samples/${cookie}`).length >= 3, 'queries');
    expect(h.status(id)).toBe('submitted');
    expect(h.store.errors.forSample(id)).toMatchObject([{ code: 'malformed', params: ['cookie'] }]);
  });
});
