import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setLogSink, type LogSink } from '../../src-main/log/logger.js';
import { createLoginGuard } from '../../src-main/server/control/auth.js';
import { hashPassword } from '../../src-main/server/control/password.js';
import { connectControl, createControlClient } from '../../src-main/transport/rpc-client.js';
import { createRpcServer, type RpcServer } from '../../src-main/transport/rpc-server.js';
import { connectTcp, createTcpTransport } from '../../src-main/transport/tcp-transport.js';
import { makeTestCertificate } from '../helpers/tls.js';

const PASSWORD = 'correct horse';
let key: string;
let cert: string;
let server: RpcServer;
let port: number;
let previousSink: LogSink;

describe('control RPC over TLS', () => {
  beforeAll(async () => {
    previousSink = setLogSink(() => undefined);
    ({ key, cert } = makeTestCertificate());
    const adminHash = await hashPassword(PASSWORD);
    const guard = createLoginGuard({
      lookup: (name) => (name === 'admin' ? adminHash : undefined),
    });
    const transport = createTcpTransport({ host: '127.0.0.1', port: 0, tls: { key, cert } });
    server = createRpcServer({
      transports: [transport],
      requireLogin: () => true,
      login: (params, ctx) => guard.login(params, ctx.connection.remoteAddress),
      handlers: { 'audit.verify': () => ({ ok: true, rows: 3, brokenAt: null, reason: null }) },
    });
    const [address] = await server.listen();
    port = Number(address!.split(':').pop());
  });

  afterAll(async () => {
    await server.close();
    setLogSink(previousSink);
  });

  const opened: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const client of opened.splice(0)) await client.close();
  });

  it.each([
    ['the IP address', '127.0.0.1', undefined],
    ['the host name', 'localhost', undefined],
    ['an explicit server name', '127.0.0.1', 'localhost'],
  ])(
    'logs in and calls over TLS, trusting the certificate, by %s',
    async (_why, host, servername) => {
      const client = await connectControl({
        host,
        port,
        tls: { ca: cert, ...(servername ? { servername } : {}) },
        user: 'admin',
        password: PASSWORD,
      });
      opened.push(client);
      expect(client.session).toEqual({ user: 'admin', domain: '' });
      await expect(client.call('audit.verify', {})).resolves.toEqual({
        ok: true,
        rows: 3,
        brokenAt: null,
        reason: null,
      });
    },
  );

  it('refuses a certificate it was not told to trust', async () => {
    await expect(
      connectControl({ host: '127.0.0.1', port, tls: {}, user: 'admin', password: PASSWORD }),
    ).rejects.toThrow(/self[- ]signed/i);
  });

  it('refuses a certificate for another name', async () => {
    await expect(
      connectControl({ host: '127.0.0.1', port, tls: { ca: cert, servername: 'example.org' } }),
    ).rejects.toThrow(/cannot connect/);
  });

  it('connects without verification only when asked to', async () => {
    const client = await connectControl({
      host: '127.0.0.1',
      port,
      tls: { rejectUnauthorized: false },
      user: 'admin',
      password: PASSWORD,
    });
    opened.push(client);
    await expect(client.call('audit.verify', {})).resolves.toMatchObject({ ok: true });
  });

  it('does not talk plain TCP on a TLS listener', async () => {
    const client = createControlClient(await connectTcp({ host: '127.0.0.1', port }));
    opened.push(client);
    await expect(client.call('audit.verify', {})).rejects.toMatchObject({ code: 'unavailable' });
  });
});
