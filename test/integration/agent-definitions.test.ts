import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { formatHttpDate } from '../../src-shared/codec/dates.js';
import { agentHarness, fakePackage } from '../helpers/agent-harness.js';
import { FakeGateway, refusal, type FakeReply } from '../helpers/fake-gateway.js';
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

function pkg(sequence: number, certified = false): FakeReply {
  return {
    status: 200,
    headers: {
      'X-Signatures-Sequence': String(sequence).padStart(8, '0'),
      'X-Signatures-Checksum': `MD5-${sequence}`,
      ...(certified ? { 'X-Date-Blessed': formatHttpDate(Date.now()) } : {}),
    },
    body: fakePackage(sequence, certified),
  };
}

const seq = (n: number): Record<string, string> => ({
  'X-Signatures-Sequence': String(n).padStart(8, '0'),
});

describe('Definition Policy', () => {
  it('fetches the highest sequence needed samples wait for; it resolves the lower ones too', async () => {
    const g = await gateway();
    g.onSignatures = (n) => pkg(n);
    const h = agentHarness({ gatewayUrl: `http://127.0.0.1:${g.port}` });
    h.definitions.active = 3;
    const a = await h.addSample(randomBytes(10), seq(5), 'needed');
    const b = await h.addSample(randomBytes(10), seq(6), 'needed');
    h.agent.start();
    await waitFor(
      () => h.status(a) === 'available' && h.status(b) === 'available',
      'both resolved',
    );
    expect(h.definitions.installs).toEqual([{ sequence: 6, md5: 'MD5-6' }]);
    expect(
      g.requests.filter((r) => /^\/v1\/signatures\/\d+$/.test(r.path)).map((r) => r.path),
    ).toEqual(['/v1/signatures/6']);
  });

  it('replaces a superseded sequence with the certified set the gateway names', async () => {
    const g = await gateway();
    g.onSignatures = (n) => (n === 5 ? refusal(410, 'superseded', ['00000008']) : pkg(n, true));
    const h = agentHarness({ gatewayUrl: `http://127.0.0.1:${g.port}` });
    const id = await h.addSample(randomBytes(10), seq(5), 'needed');
    const notices: string[] = [];
    h.agent.signals.onNotice((n) => notices.push(n.event));
    h.agent.start();
    await waitFor(() => h.status(id) === 'available', 'resolved by the certified set');
    expect(h.definitions.installs).toEqual([{ sequence: 8, md5: 'MD5-8' }]);
    expect(notices).toContain('newCertifiedDefinitions');
    expect(h.log().some((l) => l.includes('superseded by certified set 8'))).toBe(true);
  });

  it('falls back to the newest certified set when superseded names none', async () => {
    const g = await gateway();
    g.onSignatures = (n) => (n === 5 ? refusal(410, 'superseded') : pkg(n, true));
    g.onNewest = (certified) => (certified ? pkg(9, true) : pkg(10));
    const h = agentHarness({ gatewayUrl: `http://127.0.0.1:${g.port}` });
    const id = await h.addSample(randomBytes(10), seq(5), 'needed');
    h.agent.start();
    await waitFor(() => h.status(id) === 'available', 'resolved');
    expect(h.definitions.installs.map((i) => i.sequence)).toContain(9);
  });

  it('waits for an unavailable set (waitingForDefinitions) and installs it once published', async () => {
    const g = await gateway();
    let published = false;
    g.onSignatures = (n) => (published ? pkg(n) : refusal(404, 'unavailable', [String(n)]));
    const h = agentHarness({ gatewayUrl: `http://127.0.0.1:${g.port}` });
    const id = await h.addSample(randomBytes(10), seq(4), 'needed');
    const changes: string[] = [];
    h.agent.signals.onCondition((c) => changes.push(`${c.event}:${c.active}`));
    h.agent.start();
    await waitFor(() => h.agent.signals.since('waitingForDefinitions'), 'waiting condition');
    expect(h.status(id)).toBe('needed');
    expect(h.agent.submission(id)!.lastError).toMatchObject({ code: 'unavailable' });
    expect(h.agent.submission(id)!.nextAttemptAt).not.toBeNull();
    published = true;
    await waitFor(() => h.status(id) === 'available', 'installed');
    expect(h.agent.signals.since('waitingForDefinitions')).toBeNull();
    expect(changes).toEqual(['waitingForDefinitions:true', 'waitingForDefinitions:false']);
  });

  it.each(['abandoned', 'unpublished'] as const)(
    'puts samples waiting for an %s set in error',
    async (code) => {
      const g = await gateway();
      g.onSignatures = (n) => refusal(410, code, [String(n)]);
      const h = agentHarness({ gatewayUrl: `http://127.0.0.1:${g.port}` });
      const id = await h.addSample(randomBytes(10), seq(4), 'needed');
      h.agent.start();
      await waitFor(() => h.status(id) === 'error', 'error');
      expect(h.store.errors.forSample(id)).toMatchObject([{ code, source: 'agent' }]);
    },
  );

  it('gives a damaged set a few tries, then puts its samples in error', async () => {
    const g = await gateway();
    g.onSignatures = (n) => pkg(n);
    const h = agentHarness({
      gatewayUrl: `http://127.0.0.1:${g.port}`,
      timings: { maxInstallFailures: 2 },
    });
    h.definitions.failWith = { ok: false, code: 'unpackage', message: 'MD5 mismatch' };
    const id = await h.addSample(randomBytes(10), seq(4), 'needed');
    h.agent.start();
    await waitFor(() => h.status(id) === 'error', 'error');
    const errors = h.store.errors.forSample(id);
    expect(errors.map((e) => e.code)).toEqual(['unpackage', 'unpackage']);
    expect(errors.at(-1)!.message).toContain('2 attempts');
  });

  it('polls for new certified definitions and installs a newer set', async () => {
    const g = await gateway();
    g.onNewest = (certified) => (certified ? pkg(12, true) : pkg(13));
    g.onSignatures = (n) => pkg(n, true);
    const h = agentHarness({ gatewayUrl: `http://127.0.0.1:${g.port}` });
    h.definitions.active = 11;
    const notices: string[] = [];
    h.agent.signals.onNotice((n) => notices.push(`${n.event}: ${n.message}`));
    h.agent.start();
    await waitFor(() => h.definitions.installs.length === 1, 'install');
    expect(h.definitions.installs[0]!.sequence).toBe(12);
    expect(g.requestsTo('/v1/signatures/newest')[0]!.query.get('certified')).toBe('1');
    expect(notices[0]).toMatch(/^newCertifiedDefinitions: Certified definitions 12/);
  });

  it('leaves the active set alone when the newest certified set is not newer', async () => {
    const g = await gateway();
    g.onNewest = () => pkg(12, true);
    const h = agentHarness({
      gatewayUrl: `http://127.0.0.1:${g.port}`,
      config: { definitionPolicy: { certifiedDefinitionsIntervalSeconds: 1 } },
    });
    h.definitions.active = 12;
    h.agent.start();
    await waitFor(() => g.requestsTo('/v1/signatures/newest').length >= 2, 'two polls');
    expect(h.definitions.installs).toEqual([]);
    expect(g.requests.filter((r) => /^\/v1\/signatures\/\d+$/.test(r.path))).toEqual([]);
  });

  it('raises agentStopped while its work fails, and when stopped outside a shutdown', async () => {
    const g = await gateway();
    g.onSignatures = (n) => pkg(n);
    const h = agentHarness({ gatewayUrl: `http://127.0.0.1:${g.port}` });
    const id = await h.addSample(randomBytes(10), seq(4), 'needed');
    const working = h.definitions.activeSequence.bind(h.definitions);
    h.definitions.activeSequence = () => {
      throw new Error('the definitions folder is gone');
    };
    h.agent.start();
    await waitFor(() => h.agent.signals.since('agentStopped'), 'agentStopped');
    expect(h.agent.signals.active()[0]!.message).toContain('the definitions folder is gone');
    expect(h.log().some((l) => l.startsWith('error The Quarantine Agent stopped working'))).toBe(
      true,
    );
    h.definitions.activeSequence = working;
    await waitFor(() => h.status(id) === 'available', 'working again');
    await waitFor(() => h.agent.signals.since('agentStopped') === null, 'condition cleared');

    await h.agent.stop({ reason: 'stopped by the administrator' });
    expect(h.agent.signals.active()).toMatchObject([
      {
        event: 'agentStopped',
        message: 'The Quarantine Agent service has stopped: stopped by the administrator',
      },
    ]);
    expect(h.agent.running).toBe(false);
    h.agent.start();
    expect(h.agent.signals.since('agentStopped')).toBeNull();
  });
});
