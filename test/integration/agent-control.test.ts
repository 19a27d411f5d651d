/**
 * The agent's control API on a real server (SPEC §3.2, §4.6): "Queue item for automatic
 * analysis" with the guide's eligibility rule, the submission view, and the sample actions
 * (release, set priority, hold) as the agent honours them — against a fake gateway.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectControl,
  type ConnectedControlClient,
} from '../../src-main/transport/rpc-client.js';
import { ApiError } from '../../src-shared/api/client-api.js';
import { formatHttpDate } from '../../src-shared/codec/dates.js';
import { FakeGateway } from '../helpers/fake-gateway.js';
import { rawRequest } from '../helpers/http.js';
import { forwardRequest } from '../helpers/samples.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

let gateway: FakeGateway;
let server: TestServer;
let client: ConnectedControlClient;

async function forward(bytes: Buffer = randomBytes(512)): Promise<string> {
  const res = await rawRequest({ port: server.intakePort, ...forwardRequest(bytes) });
  expect(res.status).toBe(201);
  return String(res.headers['x-sample-id']);
}

async function status(id: string): Promise<string> {
  return (await client.call('samples.get', { id })).sample.status;
}

/** Forward a sample and wait for the scanner to hold it (automatic submission is off). */
async function held(): Promise<string> {
  const id = await forward();
  await waitFor(async () => (await status(id)) === 'held', `sample ${id} held`);
  return id;
}

beforeAll(async () => {
  gateway = new FakeGateway();
  await gateway.listen();
  server = await startTestServer({
    config: {
      webCommunication: { gatewayUrl: `http://127.0.0.1:${gateway.port}` },
      samplePolicy: {
        automaticSubmission: false,
        queueCheckIntervalSeconds: 3600,
        statusQueryIntervalSeconds: 1,
      },
    },
  });
  client = await connectControl({ socket: server.socketPath });
});

afterAll(async () => {
  await client.close();
  await gateway.close();
});

describe('samples.queueForAnalysis', () => {
  it('queues an eligible held sample with a priority and the agent submits it at once', async () => {
    const id = await held();
    const result = await client.call('samples.queueForAnalysis', { ids: [id] });
    expect(result).toEqual({ done: [id], refused: [] });
    // The queue check interval is an hour: only the nudge can have sent it.
    await waitFor(async () => (await status(id)) === 'submitted', 'submitted');
    const detail = await client.call('samples.get', { id });
    expect(detail.sample.priority).toBe(1);
    expect(detail.history.find((h) => h.to === 'released')).toMatchObject({
      action: 'transition',
      from: 'held',
      reason: 'queued for automatic analysis',
    });
    expect(gateway.submissions.some((s) => s.md5 === detail.sample.checksum)).toBe(true);
  });

  it('refuses samples the guide does not allow, each with its reason', async () => {
    // Priority above 0: already queued.
    const prioritised = await held();
    server.context.store.samples.setAttributes(
      Number(prioritised),
      { 'X-Sample-Priority': '3' },
      'test',
    );
    const submittedBefore = await held();
    server.context.store.samples.setAttributes(
      Number(submittedBefore),
      { 'X-Date-Submitted': formatHttpDate(Date.now()) },
      'test',
    );
    const finished = await held();
    server.context.store.samples.setAttributes(
      Number(finished),
      { 'X-Date-Finished': formatHttpDate(Date.now()) },
      'test',
    );
    const unneeded = await held();
    server.context.store.samples.transition(Number(unneeded), 'unneeded', 'test', 'test');

    const result = await client.call('samples.queueForAnalysis', {
      ids: [prioritised, submittedBefore, finished, unneeded, '999999'],
    });
    expect(result.done).toEqual([]);
    const reasons = Object.fromEntries(result.refused.map((r) => [r.id, r.reason]));
    expect(reasons[prioritised]).toMatch(/X-Sample-Priority is not 0/);
    expect(reasons[submittedBefore]).toMatch(/already submitted/);
    expect(reasons[finished]).toMatch(/already finished/);
    expect(reasons[unneeded]).toMatch(/not possible while the sample is unneeded/);
    expect(reasons['999999']).toBe('no such sample');
    for (const id of [prioritised, submittedBefore, finished])
      expect(await status(id)).toBe('held');
  });

  it('is refused as a bad request without ids', async () => {
    await expect(client.call('samples.queueForAnalysis', { ids: [] })).rejects.toBeInstanceOf(
      ApiError,
    );
  });
});

describe('samples.submission', () => {
  it('shows the submission state and the eligibility of the queue action', async () => {
    const id = await held();
    const before = (await client.call('samples.submission', { id })).submission;
    expect(before).toMatchObject({
      id,
      status: 'held',
      cookie: null,
      attempts: 0,
      nextAttemptAt: null,
      queueForAnalysis: { allowed: true, reason: null },
      agent: { running: true, gatewayUnreachableSince: null },
    });
    await client.call('samples.queueForAnalysis', { ids: [id] });
    await waitFor(async () => (await status(id)) === 'submitted', 'submitted');
    const after = (await client.call('samples.submission', { id })).submission;
    const cookie = gateway.cookieFor((await client.call('samples.get', { id })).sample.checksum);
    expect(cookie).toBeDefined();
    expect(after).toMatchObject({
      status: 'submitted',
      cookie,
      state: 'accepted',
      attempts: 1,
      lastError: null,
    });
    expect(after.submittedOn).toBeGreaterThan(0);
    expect(after.nextAttemptAt).not.toBeNull();
    expect(after.queueForAnalysis).toMatchObject({ allowed: false });
  });

  it('answers not-found for an unknown sample', async () => {
    const error = await client
      .call('samples.submission', { id: '424242' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('not-found');
  });
});

describe('the agent honours sample actions', () => {
  it('submits a held sample given a priority (set priority releases it)', async () => {
    const id = await held();
    const { sample } = await client.call('samples.setPriority', { id, priority: 7 });
    expect(sample.status).toBe('released');
    await waitFor(async () => (await status(id)) === 'submitted', 'submitted');
    const sent = gateway.submissions.find((s) => s.md5 === sample.checksum)!;
    expect(sent.request.headers['x-sample-priority']).toBe('7');
  });

  it('submits a sample released by hand, and none that stays held', async () => {
    const released = await held();
    const stays = await held();
    expect(await client.call('samples.release', { ids: [released] })).toEqual({
      done: [released],
      refused: [],
    });
    await waitFor(async () => (await status(released)) === 'submitted', 'submitted');
    expect(await status(stays)).toBe('held');
    const checksum = (await client.call('samples.get', { id: stays })).sample.checksum;
    expect(gateway.submissions.some((s) => s.md5 === checksum)).toBe(false);
  });

  it('takes a finished analysis to its outcome', async () => {
    const id = await held();
    await client.call('samples.queueForAnalysis', { ids: [id] });
    await waitFor(async () => (await status(id)) === 'submitted', 'submitted');
    const checksum = (await client.call('samples.get', { id })).sample.checksum;
    gateway.setAnalysis(gateway.cookieFor(checksum)!, {
      'X-Analysis-State': 'uninfected',
      'X-Date-Finished': formatHttpDate(Date.now()),
    });
    await waitFor(async () => (await status(id)) === 'unneeded', 'unneeded');
    const detail = await client.call('samples.get', { id });
    expect(detail.history.at(-1)).toMatchObject({
      actor: 'agent',
      from: 'submitted',
      to: 'unneeded',
    });
    expect(detail.attributes['X-Analysis-State']).toBe('uninfected');
  });
});
