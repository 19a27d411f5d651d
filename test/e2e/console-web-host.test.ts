/**
 * `cq console --web` as a web server: nothing without the token (pages, files, sockets), the
 * strict content security policy on every page, Host and Origin checks, and a WebSocket that
 * answers every bad frame with an error and keeps serving.
 */
import http from 'node:http';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { tempDir } from '../helpers/temp.js';
import { ensureRendererBuilt } from './support/build-renderer.js';
import {
  launchBrowser,
  setUpServer,
  startConsole,
  type ConsoleProcess,
} from './support/console-harness.js';

let consoleProc: ConsoleProcess;
let origin: string;
let token: string;
let port: number;
let browser: Browser;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function get(pathAndQuery: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: pathAndQuery, headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
  });
}

/** Open a socket; resolves with its status (101 = open) and the socket when it opened. */
function openSocket(
  query: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; ws?: WebSocket; messages: unknown[] }> {
  return new Promise((resolve) => {
    const messages: unknown[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api${query}`, { headers });
    ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8')) as unknown));
    ws.on('open', () => resolve({ status: 101, ws, messages }));
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0, messages }));
    ws.on('error', () => undefined);
  });
}

/** Send a raw frame and wait for the reply with `id` (or the id-less error reply). */
async function exchange(
  socket: { ws?: WebSocket; messages: unknown[] },
  frame: string | Buffer,
  id: number | null,
): Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }> {
  const before = socket.messages.length;
  socket.ws!.send(frame);
  for (let i = 0; i < 400; i++) {
    const reply = socket.messages
      .slice(before)
      .find(
        (m) =>
          (m as { type: string; id: unknown }).type === 'result' &&
          (m as { id: unknown }).id === id,
      ) as
      | { result: { ok: boolean; value?: unknown; error?: { code: string; message: string } } }
      | undefined;
    if (reply) return reply.result;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no reply to ${String(frame).slice(0, 80)}`);
}

beforeAll(async () => {
  await ensureRendererBuilt();
  consoleProc = await startConsole(path.join(tempDir('cq-e2e-web-'), 'data'));
  await setUpServer(consoleProc.socket);
  const url = new URL(consoleProc.url);
  origin = url.origin;
  port = Number(url.port);
  token = url.searchParams.get('token') ?? '';
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await consoleProc?.stop();
});

describe('console web host', () => {
  it('listens on 127.0.0.1 with a long random token in the URL', () => {
    expect(consoleProc.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{40,}$/);
  });

  it('refuses pages and files without the right token', async () => {
    expect((await get('/')).status).toBe(403);
    expect((await get('/index.html')).status).toBe(403);
    expect((await get('/?token=wrong')).status).toBe(403);
    expect((await get(`/?token=${token}x`)).status).toBe(403);
    const page = await get(`/?token=${token}`);
    expect(page.status).toBe(200);
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(page.body)?.[1] ?? '';
    expect(script).not.toBe('');
    expect((await get(`/${script}`)).status).toBe(403);
    // The page sets a cookie so that its own files and socket need no token in their URL.
    const cookie = String(page.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
    expect(page.headers['set-cookie']?.[0]).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await get(`/${script}`, { Cookie: cookie })).status).toBe(200);
    expect((await get(`/${script}`, { Cookie: `${cookie}x` })).status).toBe(403);
  });

  it('serves pages with a strict content security policy and no framing', async () => {
    const page = await get(`/?token=${token}`);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.body).not.toMatch(/<script>(?!<\/script>)/); // no inline scripts
  });

  it('refuses another Host name (DNS rebinding) and paths outside the UI', async () => {
    expect((await get(`/?token=${token}`, { Host: `evil.example:${port}` })).status).toBe(403);
    expect((await get(`/../package.json?token=${token}`)).status).toBe(404);
    expect((await get(`/%2e%2e/package.json?token=${token}`)).status).toBe(404);
  });

  it('refuses sockets without the token or from another origin', async () => {
    expect((await openSocket('')).status).toBe(403);
    expect((await openSocket('?token=nope')).status).toBe(403);
    expect((await openSocket(`?token=${token}`, { Origin: 'http://evil.example' })).status).toBe(
      403,
    );
    const good = await openSocket(`?token=${token}`, { Origin: origin });
    expect(good.status).toBe(101);
    good.ws?.close();
  });

  it('answers bad frames with errors and keeps serving', async () => {
    const socket = await openSocket(`?token=${token}`);
    expect(socket.status).toBe(101);
    expect((await exchange(socket, 'not json', null)).error?.code).toBe('invalid-request');
    expect((await exchange(socket, Buffer.from([1, 2, 3]), null)).error?.code).toBe(
      'invalid-request',
    );
    expect(
      (await exchange(socket, JSON.stringify({ id: 1, op: 'format-disk' }), 1)).error?.code,
    ).toBe('invalid-request');
    const call = (id: number, method: string, params: unknown, serverId = 'embedded'): string =>
      JSON.stringify({ id, op: 'call', serverId, method, params });
    expect((await exchange(socket, call(2, 'samples.frobnicate', {}), 2)).error?.code).toBe(
      'unknown-method',
    );
    const badParams = await exchange(socket, call(3, 'samples.list', { limit: 0 }), 3);
    expect(badParams.error?.code).toBe('invalid-request');
    expect(badParams.error?.message).toContain('limit');
    expect(
      (await exchange(socket, call(4, 'session.login', { user: 'x', password: 'y' }), 4)).error
        ?.code,
    ).toBe('not-allowed');
    expect(
      (await exchange(socket, call(5, 'server.info', {}, 'no-such-server'), 5)).error?.code,
    ).toBe('not-found');
    const attach = await exchange(
      socket,
      JSON.stringify({ id: 6, op: 'attach', request: { host: '' } }),
      6,
    );
    expect(attach.error?.code).toBe('invalid-request');
    // Still serving.
    const servers = await exchange(socket, JSON.stringify({ id: 7, op: 'listServers' }), 7);
    expect(servers.ok).toBe(true);
    const info = await exchange(socket, call(8, 'server.info', {}), 8);
    expect(info.ok).toBe(true);
    socket.ws?.close();
  });

  it('refuses a browser that opens the console without the token', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(origin + '/');
    expect(response?.status()).toBe(403);
    expect(await page.textContent('body')).toContain('forbidden');
    await context.close();
  });
});
