/**
 * The console hosts' pure parts: token comparison and the page policy of the web host, the
 * bridge protocol's frame checks, call validation against the contract, remote server ids, and
 * the default data folder per operating system.
 */
import { describe, expect, it } from 'vitest';
import { remoteServerId } from '../../src-main/console/attach-manager.js';
import { checkConsoleCall } from '../../src-main/console/call-validation.js';
import { parseBridgeRequest } from '../../src-main/console/console-dispatch.js';
import { defaultDataFolder } from '../../src-main/console/data-folder.js';
import {
  contentSecurityPolicy,
  createAccessToken,
  tokenMatches,
} from '../../src-main/console/web-host.js';
import { bridgeMessageSchema } from '../../src-shared/api/console-api.js';

describe('web host token', () => {
  const token = createAccessToken();

  it('is long and URL-safe', () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(createAccessToken()).not.toBe(token);
  });

  it.each([
    ['the token itself', token, true],
    ['nothing', undefined, false],
    ['null', null, false],
    ['an empty string', '', false],
    ['a prefix', token.slice(0, 20), false],
    ['the token plus more', `${token}x`, false],
    ['another token', createAccessToken(), false],
  ])('matches %s: %s', (_what, presented, expected) => {
    expect(tokenMatches(presented, token)).toBe(expected);
  });
});

describe('web host page policy', () => {
  const csp = contentSecurityPolicy(4321);

  it('allows only the page’s own scripts, styles and socket', () => {
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain('connect-src');
    expect(csp).toContain('ws://127.0.0.1:4321');
    expect(csp).not.toMatch(/unsafe-(inline|eval)/);
  });
});

describe('bridge requests', () => {
  it.each([
    [{ id: 1, op: 'listServers' }],
    [{ id: 2, op: 'attach', request: { host: 'h' } }],
    [{ id: 3, op: 'detach', serverId: 'remote-1' }],
    [{ id: 4, op: 'call', serverId: 'embedded', method: 'server.info', params: {} }],
    [{ id: 5, op: 'call', serverId: 'embedded', method: 'server.info' }],
  ])('accepts %j', (frame) => {
    expect(parseBridgeRequest(frame).ok).toBe(true);
  });

  it.each([
    ['not an object', 'hello', null],
    ['no id', { op: 'listServers' }, null],
    ['a negative id', { id: -1, op: 'listServers' }, null],
    ['an unknown op', { id: 7, op: 'shutdown' }, 7],
    ['an extra field', { id: 8, op: 'listServers', admin: true }, 8],
    ['a call without a server', { id: 9, op: 'call', method: 'server.info' }, 9],
    ['an over-long method', { id: 10, op: 'call', serverId: 's', method: 'x'.repeat(65) }, 10],
  ])('refuses %s, answering with the id when it has one', (_what, frame, id) => {
    const parsed = parseBridgeRequest(frame);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.id).toBe(id);
    expect(parsed.result.ok).toBe(false);
    if (!parsed.result.ok) expect(parsed.result.error.code).toBe('invalid-request');
    // What the host sends back is a valid bridge message.
    expect(
      bridgeMessageSchema.safeParse({ type: 'result', id: parsed.id, result: parsed.result })
        .success,
    ).toBe(true);
  });
});

describe('console call validation', () => {
  it.each([
    ['server.info', {}, true, undefined],
    ['server.info', undefined, true, undefined],
    ['samples.list', { sort: 'fileName', order: 'asc' }, true, undefined],
    ['samples.list', { sort: 'nonsense' }, false, 'invalid-request'],
    ['samples.delete', { ids: [] }, false, 'invalid-request'],
    ['samples.delete', { ids: ['1; DROP TABLE samples'] }, false, 'invalid-request'],
    ['no.such.method', {}, false, 'unknown-method'],
    ['__proto__', {}, false, 'unknown-method'],
    ['session.login', { user: 'u', password: 'p' }, false, 'not-allowed'],
  ])('%s %j → ok %s', (method, params, ok, code) => {
    const checked = checkConsoleCall(method, params);
    expect(checked.ok).toBe(ok);
    if (!checked.ok) expect(checked.error.code).toBe(code);
  });

  it('fills in the contract defaults', () => {
    const checked = checkConsoleCall('samples.list', {});
    expect(checked.ok && checked.params).toMatchObject({
      offset: 0,
      limit: 100,
      sort: 'receivedOn',
      order: 'desc',
    });
  });
});

describe('remote server ids', () => {
  it('are stable, ignore host letter case, and tell users apart', () => {
    const a = remoteServerId('Server.Example', 8850, 'operator', 'LAB');
    expect(a).toBe(remoteServerId('server.example', 8850, 'operator', 'lab'));
    expect(a).not.toBe(remoteServerId('server.example', 8850, 'auditor', 'LAB'));
    expect(a).not.toBe(remoteServerId('server.example', 8851, 'operator', 'LAB'));
    expect(a).toMatch(/^remote-[0-9a-f]{16}$/);
  });
});

describe('default data folder', () => {
  it.each([
    [
      'Windows, per machine',
      'win32',
      { ProgramData: 'C:\\ProgramData', APPDATA: 'C:\\Users\\a\\AppData\\Roaming' },
      'C:\\ProgramData\\Central Quarantine',
    ],
    [
      'Windows, per user',
      'win32',
      { APPDATA: 'C:\\Users\\a\\AppData\\Roaming' },
      'C:\\Users\\a\\AppData\\Roaming\\Central Quarantine',
    ],
    [
      'Windows, bare environment',
      'win32',
      {},
      'C:\\Users\\a\\AppData\\Roaming\\Central Quarantine',
    ],
    ['Linux', 'linux', { ProgramData: 'ignored' }, '/home/a/.central-quarantine'],
    ['macOS', 'darwin', {}, '/home/a/.central-quarantine'],
  ] as const)('%s', (_what, platform, env, expected) => {
    const home = platform === 'win32' ? 'C:\\Users\\a' : '/home/a';
    expect(defaultDataFolder({ platform, env, home })).toBe(expected);
  });
});
