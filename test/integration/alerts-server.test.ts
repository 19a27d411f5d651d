/**
 * Alerts on a running server (SPEC §8): a component's condition becomes an alert pushed to an
 * attached console and listed by `alerts.list`, and clears when the condition ends.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src-shared/api/contract.js';
import { connectControl } from '../../src-main/transport/rpc-client.js';
import { rawRequest } from '../helpers/http.js';
import { forwardRequest } from '../helpers/samples.js';
import { startTestServer } from '../helpers/server.js';

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('alerts on a running server', () => {
  it('a held sample raises "held for manual submission"; releasing it clears the alert', async () => {
    const server = await startTestServer({
      config: {
        samplePolicy: { automaticSubmission: false },
        alerting: { syslog: false, events: { sampleHeld: { timeoutSeconds: 0 } } },
      },
      server: { alertIntervalMs: 100 },
    });
    const client = await connectControl({ socket: server.socketPath });
    const pushed: Alert[] = [];
    client.on('alert.raised', (alert) => pushed.push(alert));

    const res = await rawRequest({ port: server.intakePort, ...forwardRequest(randomBytes(3000)) });
    expect(res.status).toBe(201);
    const id = String(res.headers['x-sample-id']);

    const open = await until(async () => {
      const { alerts } = await client.call('alerts.list', { open: true });
      return alerts.find((a) => a.event === 'sampleHeld' && a.sampleId === id);
    }, 'the sampleHeld alert');
    expect(open.message).toContain(`Sample ${id}`);
    await until(
      () => Promise.resolve(pushed.some((a) => a.sampleId === id) ? true : undefined),
      'the pushed alert',
    );

    await client.call('samples.release', { ids: [id] });
    await until(async () => {
      const { alerts } = await client.call('alerts.list', { open: true });
      return alerts.some((a) => a.event === 'sampleHeld' && a.sampleId === id) ? undefined : true;
    }, 'the alert to clear');
    const history = await client.call('alerts.list', {});
    expect(
      history.alerts.filter((a) => a.event === 'sampleHeld' && a.sampleId === id),
    ).toHaveLength(1);
    await client.close();
  });
});
