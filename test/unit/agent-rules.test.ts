import { describe, expect, it } from 'vitest';
import { answerPatch } from '../../src-main/server/agent/agent-context.js';
import { AgentSignals, bindAgentAlerts } from '../../src-main/server/agent/agent-signals.js';
import {
  Backoff,
  BACKOFF_BASE_MS,
  fullJitterDelay,
  parseRetryAfter,
} from '../../src-main/server/agent/backoff.js';
import { classifyAnswer, GatewayClient } from '../../src-main/server/agent/gateway-client.js';
import { AgentPool } from '../../src-main/server/agent/http-exchange.js';
import { decideFinal, parseSequence } from '../../src-main/server/agent/outcome.js';
import { compareQueue } from '../../src-main/server/agent/sample-submitter.js';
import type { SampleRow } from '../../src-main/server/store/index.js';
import { formatHttpDate } from '../../src-shared/codec/dates.js';

describe('full-jitter backoff', () => {
  it.each([
    [1, 60_000, BACKOFF_BASE_MS],
    [2, 60_000, 2 * BACKOFF_BASE_MS],
    [5, 60_000, 16 * BACKOFF_BASE_MS],
    [20, 60_000, 60_000],
    [3, 1_500, 1_500],
  ])('failure %i with cap %i draws from [0, %i]', (failures, cap, ceiling) => {
    expect(fullJitterDelay(failures, cap, () => 0)).toBe(0);
    expect(fullJitterDelay(failures, cap, () => 0.5)).toBe(Math.floor(ceiling / 2));
    expect(fullJitterDelay(failures, cap, () => 0.999999)).toBeLessThan(ceiling);
    expect(fullJitterDelay(failures, cap, () => 0.999999)).toBeGreaterThan(ceiling * 0.99);
  });

  it('prefers Retry-After over jitter, and forgets failures after a success', () => {
    const backoff = new Backoff(() => 1);
    expect(backoff.fail(1000, 60_000)).toBe(BACKOFF_BASE_MS);
    expect(backoff.fail(1000, 60_000)).toBe(2 * BACKOFF_BASE_MS);
    expect(backoff.fail(1000, 60_000, 30_000)).toBe(30_000);
    expect(backoff.notBefore).toBe(31_000);
    expect(backoff.count).toBe(3);
    backoff.succeed();
    expect(backoff.notBefore).toBe(0);
    expect(backoff.fail(0, 60_000)).toBe(BACKOFF_BASE_MS);
  });
});

describe('Retry-After', () => {
  const now = Date.UTC(2024, 0, 2, 3, 4, 5);
  it.each([
    ['120', 120_000],
    ['0', 0],
    [formatHttpDate(now + 90_000), 90_000],
    [formatHttpDate(now - 90_000), 0],
    ['99999999', 24 * 60 * 60 * 1000],
    ['soon', null],
    [undefined, null],
  ])('%s → %s ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });
});

describe('final analysis states', () => {
  it.each([
    ['infected', 7, 5, { kind: 'needed', sequence: 7 }],
    ['infected', 5, 5, { kind: 'resolved', sequence: 5 }],
    ['infected', 3, 5, { kind: 'resolved', sequence: 3 }],
    ['infected', null, 5, { kind: 'attention' }],
    ['norepair', 9, 5, { kind: 'needed', sequence: 9 }],
    ['norepair', null, 5, { kind: 'attention' }],
    ['uninfected', null, 5, { kind: 'unneeded' }],
    ['nodetect', null, 5, { kind: 'unneeded' }],
    ['uninfectable', null, 5, { kind: 'unneeded' }],
    ['misfired', 6, 5, { kind: 'unneeded' }],
    ['declined', null, 5, { kind: 'error', code: 'declined' }],
    ['error', null, 5, { kind: 'error', code: 'internal' }],
    ['abort', null, 5, { kind: 'error', code: 'internal' }],
    ['broken', null, 5, { kind: 'error', code: 'abandoned' }],
    ['encrypted', null, 5, { kind: 'error', code: 'unpackage' }],
    ['attention', null, 5, { kind: 'attention' }],
    ['unsubmittable', null, 5, { kind: 'attention' }],
    ['delete', null, 5, { kind: 'attention' }],
    ['restore', null, 5, { kind: 'attention' }],
    ['binaryReplicating', null, 5, { kind: 'attention' }],
  ] as const)('%s (sequence %s, active %s)', (state, sequence, active, expected) => {
    const decision = decideFinal(state, sequence, active);
    expect(decision).toMatchObject(expected);
    expect(decision.reason.length).toBeGreaterThan(5);
  });

  it.each([
    ['00000678', 678],
    [' 12 ', 12],
    ['0', null],
    ['123456789', null],
    ['x', null],
    [undefined, null],
  ])('sequence %s → %s', (value, expected) => {
    expect(parseSequence(value)).toBe(expected);
  });
});

describe('answers on the sample', () => {
  it('takes X-Analysis-*, X-Signatures-* and X-Date-* values that changed, nothing else', () => {
    const patch = answerPatch(
      { 'X-Analysis-State': 'accepted', 'X-Sample-Checksum': 'AA' },
      {
        'X-Analysis-State': 'infected',
        'X-Analysis-Cookie': 'C',
        'X-Signatures-Sequence': '00000009',
        'X-Sample-Checksum': 'BB',
        'X-Error': 'internal',
        'X-Customer-Identifier': 'x',
      },
      0,
    );
    expect(patch).toEqual({
      'X-Analysis-State': 'infected',
      'X-Analysis-Cookie': 'C',
      'X-Signatures-Sequence': '00000009',
    });
  });

  it("corrects the gateway's dates for clock skew beyond measurement noise", () => {
    const at = Date.UTC(2024, 0, 1, 12, 0, 0);
    const answer = { 'X-Date-Finished': formatHttpDate(at) };
    expect(answerPatch({}, answer, 500)['X-Date-Finished']).toBe(formatHttpDate(at));
    expect(answerPatch({}, answer, 60_000)['X-Date-Finished']).toBe(formatHttpDate(at + 60_000));
  });
});

describe('classifying answers', () => {
  const ok = (status: number, headers: Record<string, string> = {}) =>
    classifyAnswer({ ok: true, status, headers, body: Buffer.alloc(0) }, 0);
  it.each([
    [ok(202, { 'x-analysis-cookie': 'C' }), 'ok'],
    [ok(404, { 'x-error': 'crumbled' }), 'refused'],
    [ok(403, { 'x-error': 'declined' }), 'refused'],
    [ok(410, { 'x-error': 'superseded 00000012' }), 'refused'],
    [ok(503, { 'x-error': 'declined busy uploads 16', 'retry-after': '5' }), 'busy'],
    [ok(500, { 'x-error': 'internal' }), 'busy'],
    [ok(400, { 'x-error': 'lost 10 5' }), 'busy'],
    [ok(429), 'busy'],
    [ok(502), 'busy'],
    [ok(418), 'refused'],
  ])('%#: → %s', (answer, kind) => {
    expect(answer.kind).toBe(kind);
  });

  it('keeps the code and parameters of a refusal, and the delay of a busy answer', () => {
    expect(ok(410, { 'x-error': 'superseded 00000012' })).toMatchObject({
      code: 'superseded',
      params: ['00000012'],
    });
    expect(ok(503, { 'x-error': 'declined busy', 'retry-after': '5' })).toMatchObject({
      retryAfterMs: 5000,
    });
    expect(
      classifyAnswer({ ok: false, stage: 'connect', message: 'ECONNREFUSED' }, 0),
    ).toMatchObject({ kind: 'unreachable', stage: 'connect' });
  });
});

describe('gateway URLs', () => {
  const client = (url: string) =>
    new GatewayClient(
      {
        gatewayUrl: url,
        secureSubmission: false,
        secureDownload: false,
        ca: undefined,
        proxy: undefined,
        customerIdentifier: 'c',
        customerCredentials: '',
        timeoutMs: 1000,
      },
      new AgentPool(),
      new AbortController().signal,
    );
  it.each([
    ['http://gw.example:8848', false, 'v1/samples', 'http://gw.example:8848/v1/samples'],
    ['http://gw.example:8848', true, 'v1/samples', 'https://gw.example:8848/v1/samples'],
    ['https://gw.example', false, 'v1/samples/C', 'https://gw.example/v1/samples/C'],
    [
      'http://gw.example/sd',
      false,
      'v1/signatures/3?kind=all',
      'http://gw.example/sd/v1/signatures/3?kind=all',
    ],
  ])('%s (secure %s) + %s → %s', (base, secure, p, expected) => {
    expect(client(base).urlFor(secure, p).href).toBe(expected);
  });
});

describe('queue order', () => {
  const row = (id: number, priority: number, receivedAt: number) =>
    ({ id, priority, receivedAt }) as SampleRow;
  it('takes higher priority first, then the oldest, then the lowest id', () => {
    const rows = [row(1, 0, 30), row(2, 0, 10), row(3, 5, 50), row(4, 5, 20), row(5, 0, 10)];
    expect(rows.sort(compareQueue).map((r) => r.id)).toEqual([4, 3, 2, 5, 1]);
  });
});

describe('agent signals', () => {
  it('reports each condition once per episode, with its start time', () => {
    let now = 1000;
    const signals = new AgentSignals(() => now);
    const seen: string[] = [];
    signals.onCondition((c) => seen.push(`${c.event}:${c.active}:${c.since}`));
    expect(signals.set('gatewayUnreachable', true, 'down')).toBe(true);
    now = 2000;
    expect(signals.set('gatewayUnreachable', true, 'still down')).toBe(false);
    expect(signals.since('gatewayUnreachable')).toBe(1000);
    expect(signals.active()).toEqual([
      { event: 'gatewayUnreachable', since: 1000, message: 'down' },
    ]);
    expect(signals.set('gatewayUnreachable', false, 'up')).toBe(true);
    expect(signals.set('gatewayUnreachable', false, 'up')).toBe(false);
    expect(seen).toEqual(['gatewayUnreachable:true:1000', 'gatewayUnreachable:false:1000']);
  });
});

describe('binding the agent to the alert engine', () => {
  it('passes conditions holding now, later changes and notices, until unbound', () => {
    const signals = new AgentSignals(() => 5);
    signals.set('agentStopped', true, 'stopped');
    const calls: string[] = [];
    const unbind = bindAgentAlerts(signals, {
      setCondition: (event, active, message) => calls.push(`set ${event} ${active} ${message}`),
      notify: (event, message, sampleId) => calls.push(`notify ${event} ${message} ${sampleId}`),
    });
    signals.set('gatewayUnreachable', true, 'down');
    signals.notify({ event: 'newCertifiedDefinitions', message: 'set 9', sampleId: null });
    signals.set('gatewayUnreachable', false, 'up');
    unbind();
    signals.set('agentStopped', false, 'running');
    expect(calls).toEqual([
      'set agentStopped true stopped',
      'set gatewayUnreachable true down',
      'notify newCertifiedDefinitions set 9 null',
      'set gatewayUnreachable false up',
    ]);
  });
});
