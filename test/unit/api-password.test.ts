import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src-main/server/control/password.js';

describe('password hashes', () => {
  it('encodes scrypt with its parameters, salt and hash', async () => {
    const encoded = await hashPassword('correct horse battery staple');
    const [scheme, n, r, p, salt, hash] = encoded.split('$');
    expect({ scheme, n, r, p }).toEqual({ scheme: 'scrypt', n: '32768', r: '8', p: '1' });
    expect(Buffer.from(salt!, 'base64')).toHaveLength(16);
    expect(Buffer.from(hash!, 'base64')).toHaveLength(32);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const encoded = await hashPassword('correct horse');
    expect(await verifyPassword('correct horse', encoded)).toBe(true);
    expect(await verifyPassword('correct horsf', encoded)).toBe(false);
    expect(await verifyPassword('', encoded)).toBe(false);
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same', a)).toBe(true);
    expect(await verifyPassword('same', b)).toBe(true);
  });

  it('treats composed and decomposed forms of a character as the same password', async () => {
    const encoded = await hashPassword('caf\u00e9');
    expect(await verifyPassword('cafe\u0301', encoded)).toBe(true);
  });

  it('verifies hashes made with other (bounded) parameters', async () => {
    const encoded = await hashPassword('pw');
    const [, , , , salt, hash] = encoded.split('$');
    // Same salt and key length but different cost: a different key, so no match.
    expect(await verifyPassword('pw', `scrypt$16384$8$1$${salt}$${hash}`)).toBe(false);
  });

  const good =
    'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=';
  it.each([
    ['empty', ''],
    ['another scheme', good.replace('scrypt', 'bcrypt')],
    ['too few fields', 'scrypt$16384$8$1$c2FsdA=='],
    ['N not a power of two', good.replace('16384', '16385')],
    ['N far too large', good.replace('16384', '67108864')],
    ['r too large', good.replace('$8$', '$64$')],
    ['p zero', good.replace('$1$', '$0$')],
    ['non-numeric N', good.replace('16384', '1e4')],
    ['salt not base64', good.replace('c2FsdHNhbHRzYWx0c2FsdA==', 'not*base64')],
    ['hash too short', good.replace(/\$[^$]+$/, '$aGFzaA==')],
  ])('refuses a malformed encoding (%s) without throwing', async (_why, encoded) => {
    expect(await verifyPassword('pw', encoded)).toBe(false);
  });
});
