import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogSink, type LogSink } from '../../src-main/log/logger.js';
import { createLoginGuard, type LoginGuard } from '../../src-main/server/control/auth.js';
import { hashPassword } from '../../src-main/server/control/password.js';

let users: Map<string, string>;
let previousSink: LogSink;

beforeAll(async () => {
  // Failed logins are logged on purpose; keep them out of the test output.
  previousSink = setLogSink(() => undefined);
  users = new Map([
    ['\\admin', await hashPassword('right')],
    ['CORP\\ann', await hashPassword('annpw')],
  ]);
});

afterAll(() => {
  setLogSink(previousSink);
});

function guard(clock = { t: 1_000_000 }, limits = {}): LoginGuard {
  return createLoginGuard({
    lookup: (name, domain) => users.get(`${domain}\\${name}`),
    maxFailures: 3,
    windowMs: 60_000,
    lockoutMs: 60_000,
    now: () => clock.t,
    ...limits,
  });
}

describe('login guard', () => {
  it('logs a known user in with the right password', async () => {
    const g = guard();
    await expect(g.login({ user: 'admin', password: 'right' }, '10.0.0.1')).resolves.toEqual({
      user: 'admin',
      domain: '',
    });
    await expect(
      g.login({ user: 'ann', password: 'annpw', domain: 'CORP' }, '10.0.0.1'),
    ).resolves.toEqual({ user: 'ann', domain: 'CORP' });
  });

  it.each([
    ['wrong password', { user: 'admin', password: 'wrong' }],
    ['unknown user', { user: 'mallory', password: 'right' }],
    ['right user, wrong domain', { user: 'ann', password: 'annpw', domain: 'OTHER' }],
  ])('refuses a %s with the same neutral error', async (_why, attempt) => {
    await expect(guard().login(attempt, '10.0.0.1')).rejects.toMatchObject({
      code: 'login-failed',
      message: 'unknown user or wrong password',
    });
  });

  it('rate-limits a user after the failure budget, even with the right password', async () => {
    const g = guard();
    for (let i = 0; i < 3; i++) {
      // Different addresses, so only the per-user budget is spent.
      await expect(g.login({ user: 'admin', password: 'x' }, `10.0.0.${i}`)).rejects.toMatchObject({
        code: 'login-failed',
      });
    }
    await expect(g.login({ user: 'admin', password: 'right' }, '10.0.0.9')).rejects.toMatchObject({
      code: 'rate-limited',
    });
  });

  it('rate-limits an address guessing at many users', async () => {
    const g = guard();
    for (const user of ['a', 'b', 'c']) {
      await expect(g.login({ user, password: 'x' }, '10.0.0.1')).rejects.toMatchObject({
        code: 'login-failed',
      });
    }
    await expect(g.login({ user: 'admin', password: 'right' }, '10.0.0.1')).rejects.toMatchObject({
      code: 'rate-limited',
    });
    // Another address is not affected.
    await expect(g.login({ user: 'admin', password: 'right' }, '10.0.0.2')).resolves.toBeTruthy();
  });

  it('lets the user in again once the lockout is over', async () => {
    const clock = { t: 1_000_000 };
    const g = guard(clock);
    for (let i = 0; i < 3; i++) {
      await g.login({ user: 'admin', password: 'x' }, '10.0.0.1').catch(() => undefined);
    }
    await expect(g.login({ user: 'admin', password: 'right' }, '10.0.0.1')).rejects.toMatchObject({
      code: 'rate-limited',
    });
    clock.t += 60_001;
    await expect(g.login({ user: 'admin', password: 'right' }, '10.0.0.1')).resolves.toBeTruthy();
  });

  it('forgets failures older than the window', async () => {
    const clock = { t: 1_000_000 };
    const g = guard(clock);
    for (let i = 0; i < 2; i++) {
      await g.login({ user: 'admin', password: 'x' }, '10.0.0.1').catch(() => undefined);
    }
    clock.t += 60_001;
    for (let i = 0; i < 2; i++) {
      await g.login({ user: 'admin', password: 'x' }, '10.0.0.1').catch(() => undefined);
    }
    await expect(g.login({ user: 'admin', password: 'right' }, '10.0.0.1')).resolves.toBeTruthy();
  });

  it('counts a burst of parallel guesses against the budget', async () => {
    const g = guard();
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => g.login({ user: 'admin', password: 'x' }, '10.0.0.1')),
    );
    const codes = results.map((r) =>
      r.status === 'rejected' ? (r.reason as { code: string }).code : 'ok',
    );
    expect(codes.filter((c) => c === 'login-failed')).toHaveLength(3);
    expect(codes.filter((c) => c === 'rate-limited')).toHaveLength(5);
  });

  it('passes lookup failures through rather than calling them a bad password', async () => {
    const g = createLoginGuard({
      lookup: () => Promise.reject(new Error('database is locked')),
    });
    await expect(g.login({ user: 'admin', password: 'right' }, '10.0.0.1')).rejects.toThrow(
      'database is locked',
    );
  });
});
