import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CONTENT_SECURITY_POLICY,
  createAppProtocolHandler,
  resolveRequestPath,
} from '../../src-main/console/electron/app-protocol.js';
import { tempDir } from '../helpers/temp.js';

const SECRET = 'top secret outside the renderer folder';

let root: string;
let refused: string[];
let handle: (request: { url: string; method: string }) => Promise<Response>;

beforeAll(() => {
  const base = tempDir('cq-electron-protocol-');
  root = path.join(base, 'dist-renderer');
  fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>console</title>');
  fs.writeFileSync(path.join(root, 'assets', 'app.js'), 'console.log(1)');
  fs.writeFileSync(path.join(root, 'assets', 'icon.svg'), '<svg/>');
  fs.writeFileSync(path.join(base, 'secret.txt'), SECRET);
  fs.writeFileSync(path.join(base, 'dist-renderer-evil.txt'), SECRET);
  fs.symlinkSync(path.join(base, 'secret.txt'), path.join(root, 'assets', 'link.txt'));
  refused = [];
  handle = createAppProtocolHandler({ root, onRefused: (url) => refused.push(url) });
});

const get = (url: string) => handle({ url, method: 'GET' });

describe('app:// protocol: serving the renderer', () => {
  it('serves index.html for the root with the CSP and security headers', async () => {
    const res = await get('app://console/');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>console</title>');
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves scripts as JavaScript (module scripts need it) and SVG as images', async () => {
    const js = await get('app://console/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    const svg = await get('app://console/assets/icon.svg');
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
  });

  it('answers HEAD without a body', async () => {
    const res = await handle({ url: 'app://console/index.html', method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it('answers 404 for a missing file, with the CSP all the same', async () => {
    const res = await get('app://console/nope.js');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
  });
});

describe('app:// protocol: refusing traversal and strangers', () => {
  const attacks: [string, string][] = [
    ['encoded slashes', 'app://console/..%2fsecret.txt'],
    ['encoded slashes from a sub-folder', 'app://console/assets/..%2f..%2fsecret.txt'],
    ['encoded slashes, upper case', 'app://console/..%2Fsecret.txt'],
    ['encoded backslashes', 'app://console/..%5csecret.txt'],
    ['raw backslashes', 'app://console/assets\\..\\..\\secret.txt'],
    ['a dot-dot folded by the URL parser', 'app://console/../secret.txt'],
    ['encoded dots folded by the URL parser', 'app://console/%2e%2e/secret.txt'],
    ['double-encoded dots', 'app://console/%252e%252e/secret.txt'],
    ['a sibling folder sharing the prefix', 'app://console/..%2fdist-renderer-evil.txt'],
    ['a NUL byte', 'app://console/index.html%00.js'],
    ['a malformed escape', 'app://console/%E0%A4%A'],
    ['a drive letter', 'app://console/C:%5cWindows%5cwin.ini'],
    ['a symbolic link out of the folder', 'app://console/assets/link.txt'],
  ];

  for (const [name, url] of attacks) {
    it(`refuses ${name}`, async () => {
      const res = await get(url);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(await res.text()).not.toContain(SECRET);
      expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    });
  }

  it('reports refusals (not plain misses) to the log hook', async () => {
    refused.length = 0;
    await get('app://console/..%2fsecret.txt');
    await get('app://console/missing.css');
    expect(refused).toEqual(['app://console/..%2fsecret.txt']);
  });

  it('refuses another host of the scheme and other methods', async () => {
    expect((await get('app://evil/index.html')).status).toBe(404);
    expect((await handle({ url: 'app://console/index.html', method: 'POST' })).status).toBe(405);
  });

  it.each([
    ['app://console/', 'index.html'],
    ['app://console/assets/app.js', 'assets/app.js'],
    ['app://console//assets//app.js', 'assets/app.js'],
    ['app://console/assets/a%20b.css', 'assets/a b.css'],
  ])('maps %s to %s', (url, relative) => {
    expect(resolveRequestPath(url)).toEqual({ ok: true, relative });
  });
});

describe('the Content Security Policy', () => {
  const directives = new Map(
    CONTENT_SECURITY_POLICY.split(';').map((d) => {
      const [name = '', ...values] = d.trim().split(/\s+/);
      return [name, values] as const;
    }),
  );

  it('denies by default and allows scripts only from our origin', () => {
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
  });

  it('has no inline, eval or remote sources anywhere', () => {
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
  });
});
