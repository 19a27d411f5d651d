/**
 * The Defcast wire (SPEC §4.5): push signatures hold only for the exact push they were made
 * for, outcome reports round-trip, and download URLs name the intake.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  formatOutcome,
  normalizeGuid,
  parseOutcome,
  signPush,
  signingString,
  verifyPush,
  type PushClaims,
} from '../../src-main/server/defcast/defcast-wire.js';
import { downloadUrlFor } from '../../src-main/server/defcast/download-routes.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const PEM = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const CLAIMS: PushClaims = {
  date: 'Tue, 27 Jan 1998 14:32:45 GMT',
  md5: '0123456789abcdef0123456789abcdef',
  sequence: 678,
  target: '0123456789ABCDEF0123456789ABCDEF',
};

describe('push signatures', () => {
  const signature = signPush(privateKey, CLAIMS);

  it('verifies the push it was made for', () => {
    expect(signature).toMatch(/^ed25519 [A-Za-z0-9+/]+={0,2}$/);
    expect(verifyPush(PEM, CLAIMS, signature)).toBe(true);
    // Case of hex digits is not part of what is signed.
    expect(
      verifyPush(
        PEM,
        { ...CLAIMS, md5: CLAIMS.md5.toUpperCase(), target: CLAIMS.target.toLowerCase() },
        signature,
      ),
    ).toBe(true);
  });

  it.each([
    ['another date', { date: 'Tue, 27 Jan 1998 14:32:46 GMT' }],
    ['another package', { md5: 'f'.repeat(32) }],
    ['another sequence', { sequence: 679 }],
    ['another endpoint', { target: 'F'.repeat(32) }],
  ])('fails for %s', (_what, change) => {
    expect(verifyPush(PEM, { ...CLAIMS, ...change }, signature)).toBe(false);
  });

  it.each([
    ['an empty header', ''],
    ['another scheme', signature.replace('ed25519', 'rsa')],
    ['garbage', 'ed25519 !!!'],
    ['a truncated signature', signature.slice(0, 40)],
  ])('fails for %s', (_what, header) => {
    expect(verifyPush(PEM, CLAIMS, header)).toBe(false);
  });

  it('fails with another key or no key', () => {
    const other = generateKeyPairSync('ed25519')
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    expect(verifyPush(other, CLAIMS, signature)).toBe(false);
    expect(verifyPush('not a key', CLAIMS, signature)).toBe(false);
  });

  it('signs method, path, date, checksum, sequence and target, one per line', () => {
    expect(signingString(CLAIMS)).toBe(
      'PUT\n/definitions\nTue, 27 Jan 1998 14:32:45 GMT\n0123456789abcdef0123456789abcdef\n678\n0123456789ABCDEF0123456789ABCDEF',
    );
  });
});

describe('outcome reports', () => {
  it('round-trip', () => {
    const entries = [
      { sampleId: '12', action: 'repaired' },
      { sampleId: '15', action: 'left' },
      { sampleId: '99', action: 'norepair' },
    ] as const;
    expect(formatOutcome(entries)).toBe('12=repaired 15=left 99=norepair');
    expect(parseOutcome(formatOutcome(entries))).toEqual(entries);
  });

  it('skip malformed entries and unknown actions', () => {
    expect(parseOutcome(' 1=deleted x=left 2=exploded 3= =restored 4=restored ')).toEqual([
      { sampleId: '1', action: 'deleted' },
      { sampleId: '4', action: 'restored' },
    ]);
    expect(parseOutcome(undefined)).toEqual([]);
  });

  it('stay bounded', () => {
    const many = Array.from({ length: 500 }, (_, i) => ({
      sampleId: String(i),
      action: 'left' as const,
    }));
    expect(parseOutcome(formatOutcome(many))).toHaveLength(200);
  });
});

describe('GUIDs and download URLs', () => {
  it.each([
    ['{01234567-89ab-cdef-0123-456789abcdef}', '0123456789ABCDEF0123456789ABCDEF'],
    ['0123456789abcdef0123456789abcdef', '0123456789ABCDEF0123456789ABCDEF'],
    ['0123', null],
    ['g123456789abcdef0123456789abcdef', null],
  ])('normalises %s', (given, expected) => {
    expect(normalizeGuid(given)).toBe(expected);
  });

  it.each([
    ['127.0.0.1:8847', false, 'http://127.0.0.1:8847/definitions/678'],
    ['0.0.0.0:8847', true, 'https://qserver:8847/definitions/678'],
    ['[::1]:9000', false, 'http://[::1]:9000/definitions/678'],
    ['[::]:9000', false, 'http://qserver:9000/definitions/678'],
  ])('names %s (tls %s) as %s', (intake, tls, url) => {
    expect(downloadUrlFor(intake, tls, 678, 'qserver')).toBe(url);
  });
});
