/**
 * The alert engine (SPEC §8) on a real store: per-sample "too long" events raised once per
 * episode and cleared, server conditions with timeouts, disabled events silent, and email
 * delivered to a real SMTP server.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import type { AddressInfo } from 'node:net';
import type { EventName } from '../../src-shared/api/contract.js';
import {
  AlertEngine,
  dispatchToChannels,
  type AlertDispatcher,
} from '../../src-main/server/alerts/alert-engine.js';
import { systemLogCommand } from '../../src-main/server/alerts/channels.js';
import { ConfigService } from '../../src-main/server/config-service.js';
import type { QuarantineLog } from '../../src-main/server/context.js';
import { AlertsRepo } from '../../src-main/server/store/alerts-repo.js';
import { openStore, type Store } from '../../src-main/server/store/index.js';
import { tempDir } from '../helpers/temp.js';

const stores: Store[] = [];
afterAll(() => stores.forEach((s) => s.close()));

interface Harness {
  store: Store;
  engine: AlertEngine;
  config: ConfigService;
  emitted: { event: EventName; payload: unknown }[];
  dispatched: string[];
  clock: { offset: number };
}

function harness(dispatch?: AlertDispatcher): Harness {
  const store = openStore({ dataDir: tempDir('cq-alerts-') });
  stores.push(store);
  const config = ConfigService.open(store.settings, store.audit);
  const emitted: Harness['emitted'] = [];
  const dispatched: string[] = [];
  const clock = { offset: 0 };
  const qlog: QuarantineLog = {
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    stored: () => undefined,
  };
  const engine = new AlertEngine({
    repo: new AlertsRepo(store.db),
    config,
    qlog,
    events: { emit: (event, payload) => emitted.push({ event, payload }) },
    dispatch:
      dispatch ??
      ((_config, notice) => {
        dispatched.push(notice.eventName);
        return Promise.resolve();
      }),
    now: () => Date.now() + clock.offset,
  });
  return { store, engine, config, emitted, dispatched, clock };
}

let sampleCounter = 0;
function addSample(store: Store, status = 'quarantined'): number {
  sampleCounter++;
  const sha = sampleCounter.toString(16).padStart(64, '0');
  store.blobsRepo.addRef(sha, 10, 10);
  const id = store.samples.insert({
    blobSha256: sha,
    attributes: {
      'X-Sample-Checksum': sampleCounter.toString(16).padStart(32, '0').toUpperCase(),
      'X-Sample-Size': '10',
      'X-Sample-Type': 'file',
      'X-Platform-Host': 'ws-1',
      'X-Date-Captured': new Date().toUTCString(),
    },
    platformKey: `host:ws-${sampleCounter}`,
    receivedAt: Date.now(),
    skewMs: 0,
    actor: 'test',
  });
  if (status !== 'quarantined') store.samples.transition(id, status, 'test', 'setup');
  return id;
}

function raised(h: Harness, event: string): unknown[] {
  return h.emitted
    .filter((e) => e.event === 'alert.raised' && (e.payload as { event: string }).event === event)
    .map((e) => e.payload);
}

describe('per-sample "too long" events', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
    h.config.set(
      { alerting: { events: { sampleTooLongReleased: { timeoutSeconds: 60 } } } },
      'test',
    );
  });

  it('"too long with Released status" fires once after its timeout and clears when the status moves', () => {
    const id = addSample(h.store, 'released');
    h.engine.evaluate();
    expect(raised(h, 'sampleTooLongReleased')).toHaveLength(0);

    h.clock.offset = 61_000;
    h.engine.evaluate();
    h.engine.evaluate();
    const alerts = raised(h, 'sampleTooLongReleased');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ sampleId: String(id) });
    expect(h.engine.list(true).map((a) => a.event)).toContain('sampleTooLongReleased');

    h.store.samples.transition(id, 'submitted', 'test', 'agent sent it');
    h.engine.evaluate();
    const cleared = h.emitted.filter((e) => e.event === 'alert.cleared');
    expect(cleared).toHaveLength(1);
    expect(h.engine.list(true).map((a) => a.event)).not.toContain('sampleTooLongReleased');
    expect(h.dispatched).toEqual(['Sample: too long with Released status']);
  });

  it('a deleted sample clears its alert', () => {
    const id = addSample(h.store, 'released');
    h.clock.offset = 61_000;
    h.engine.evaluate();
    h.store.samples.delete([id], 'test');
    h.engine.evaluate();
    expect(h.engine.list(true)).toEqual([]);
  });

  it('disabled events stay silent', () => {
    h.config.set({ alerting: { events: { sampleHeld: { enabled: false } } } }, 'test');
    addSample(h.store, 'held');
    h.clock.offset = 10 * 86_400_000;
    h.engine.evaluate();
    expect(raised(h, 'sampleHeld')).toHaveLength(0);
    expect(h.dispatched).not.toContain('Sample: held for manual submission');
  });
});

describe('server conditions', () => {
  it('raise after the timeout, once, and clear when reported false', () => {
    const h = harness();
    h.config.set({ alerting: { events: { gatewayUnreachable: { timeoutSeconds: 300 } } } }, 'test');
    h.engine.setCondition('gatewayUnreachable', true, 'cannot reach http://gateway:8848');
    expect(raised(h, 'gatewayUnreachable')).toHaveLength(0);
    h.clock.offset = 301_000;
    h.engine.evaluate();
    h.engine.setCondition('gatewayUnreachable', true, 'still down');
    expect(raised(h, 'gatewayUnreachable')).toHaveLength(1);
    h.engine.setCondition('gatewayUnreachable', false, 'back');
    expect(h.emitted.filter((e) => e.event === 'alert.cleared')).toHaveLength(1);
    // A new outage is a new episode.
    h.engine.setCondition('gatewayUnreachable', true, 'down again');
    h.clock.offset = 700_000;
    h.engine.evaluate();
    expect(raised(h, 'gatewayUnreachable')).toHaveLength(2);
  });

  it('moments are raised and cleared at once', () => {
    const h = harness();
    h.engine.notify('newCertifiedDefinitions', 'sequence 2 (2026.11.27.001) installed');
    expect(raised(h, 'newCertifiedDefinitions')).toHaveLength(1);
    expect(h.engine.list(true)).toEqual([]);
    expect(h.engine.list(false)[0]?.event).toBe('newCertifiedDefinitions');
  });

  it('the console channel can be switched off per event', () => {
    const h = harness();
    h.config.set(
      {
        alerting: {
          events: { scannerUnreachable: { timeoutSeconds: 0, channels: { console: false } } },
        },
      },
      'test',
    );
    h.engine.setCondition('scannerUnreachable', true, 'clamd is not answering');
    expect(raised(h, 'scannerUnreachable')).toHaveLength(0);
    expect(h.engine.list(true).map((a) => a.event)).toEqual(['scannerUnreachable']);
  });
});

describe('channels', () => {
  it('email arrives at a real SMTP server naming the event, sample and server', async () => {
    const received: { from: string; to: string[]; raw: string }[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const port = (smtp.server.address() as AddressInfo).port;
    try {
      const h = harness(dispatchToChannels);
      h.config.set(
        {
          serverName: 'QSERVER-01',
          alerting: {
            syslog: false,
            smtp: { host: '127.0.0.1', port, from: 'cq@example.test', to: ['admin@example.test'] },
            events: { sampleHeld: { timeoutSeconds: 0, channels: { email: true } } },
          },
        },
        'test',
      );
      const id = addSample(h.store, 'held');
      h.engine.evaluate();
      await h.engine.settled();
      expect(received).toHaveLength(1);
      expect(received[0]!.to).toEqual(['admin@example.test']);
      const mail = await simpleParser(received[0]!.raw);
      expect(mail.subject).toContain('Sample: held for manual submission');
      expect(mail.subject).toContain('QSERVER-01');
      expect(mail.text).toContain(`Sample: ${id}`);
      expect(mail.text).toContain('Server: QSERVER-01');
    } finally {
      await new Promise<void>((resolve) => smtp.close(resolve));
    }
  });

  it.each([
    ['linux', 'logger'],
    ['darwin', 'logger'],
    ['win32', 'eventcreate'],
  ])('the system log on %s goes through %s', (platform, file) => {
    const command = systemLogCommand(
      {
        eventName: 'Defcast error',
        message: 'x',
        sampleId: null,
        serverName: 's',
        at: 0,
        cleared: false,
      },
      platform as NodeJS.Platform,
    );
    expect(command.file).toBe(file);
    expect(command.args.join(' ')).toContain('Defcast error: x');
  });
});
