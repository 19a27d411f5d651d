/** Customers file validation and the authenticator of SPEC §4.3. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CUSTOMER_IDENTIFIER } from '../../src-shared/config/schema.js';
import {
  CustomersFileError,
  createCustomerAuthenticator,
  isLoopbackAddress,
  parseCustomers,
} from '../../src-main/gateway/customers.js';

const ALICE = {
  identifier: '100001-ALICEplatinum 1',
  credentials: 'alice-secret',
  name: 'Alice Ltd',
  serviceClass: 'platinum',
};

describe('customers file', () => {
  it('accepts a valid list', () => {
    const list = parseCustomers(
      JSON.stringify([ALICE, { ...ALICE, identifier: 'B', serviceClass: 'gold' }]),
      'c.json',
    );
    expect(list.map((c) => c.serviceClass)).toEqual(['platinum', 'gold']);
  });

  it.each([
    ['not JSON', '{', /^c\.json: not JSON/],
    ['not an array', '{}', /^c\.json: \(file\): must be a JSON array of customers$/],
    ['empty', '[]', /^c\.json: \(file\): must list at least one customer$/],
    [
      'a bad service class',
      JSON.stringify([{ ...ALICE, serviceClass: 'silver' }]),
      /^c\.json: \[0\]\.serviceClass: must be 'gold' or 'platinum'$/,
    ],
    [
      'an identifier over 63 characters',
      JSON.stringify([{ ...ALICE, identifier: 'x'.repeat(64) }]),
      /\[0\]\.identifier: must be at most 63 characters/,
    ],
    [
      'non-ASCII credentials',
      JSON.stringify([{ ...ALICE, credentials: 'pässword' }]),
      /\[0\]\.credentials: must use printable ASCII/,
    ],
    [
      'an unknown key',
      JSON.stringify([{ ...ALICE, colour: 'red' }]),
      /\[0\]\.colour: unknown setting/,
    ],
    ['a missing name', JSON.stringify([{ ...ALICE, name: undefined }]), /\[0\]\.name: /],
    [
      'a duplicate identifier',
      JSON.stringify([ALICE, ALICE]),
      /\[1\]\.identifier: duplicates customer 0/,
    ],
  ])('refuses %s with a precise reason', (_label, text, reason) => {
    expect(() => parseCustomers(text, 'c.json')).toThrow(CustomersFileError);
    expect(() => parseCustomers(text, 'c.json')).toThrow(reason);
  });
});

describe('authentication', () => {
  const listed = createCustomerAuthenticator(parseCustomers(JSON.stringify([ALICE]), 'c.json'));
  const loopbackOnly = createCustomerAuthenticator(null);

  it.each([
    [
      'a listed customer with its credentials',
      listed,
      ALICE.identifier,
      'alice-secret',
      '203.0.113.9',
      true,
    ],
    ['wrong credentials', listed, ALICE.identifier, 'alice-secreT', '127.0.0.1', false],
    ['credentials that are a prefix', listed, ALICE.identifier, 'alice', '127.0.0.1', false],
    [
      'absent credentials for a customer that has some',
      listed,
      ALICE.identifier,
      undefined,
      '127.0.0.1',
      false,
    ],
    ['an unknown identifier', listed, 'nobody', '', '127.0.0.1', false],
    [
      'the default customer when a file lists others',
      listed,
      DEFAULT_CUSTOMER_IDENTIFIER,
      '',
      '127.0.0.1',
      false,
    ],
    [
      'the default customer from 127.0.0.1',
      loopbackOnly,
      DEFAULT_CUSTOMER_IDENTIFIER,
      '',
      '127.0.0.1',
      true,
    ],
    ['the default customer from ::1', loopbackOnly, DEFAULT_CUSTOMER_IDENTIFIER, '', '::1', true],
    [
      'the default customer from mapped loopback',
      loopbackOnly,
      DEFAULT_CUSTOMER_IDENTIFIER,
      undefined,
      '::ffff:127.0.0.1',
      true,
    ],
    [
      'the default customer from another host',
      loopbackOnly,
      DEFAULT_CUSTOMER_IDENTIFIER,
      '',
      '192.0.2.10',
      false,
    ],
    [
      'the default customer with credentials',
      loopbackOnly,
      DEFAULT_CUSTOMER_IDENTIFIER,
      'x',
      '127.0.0.1',
      false,
    ],
  ])('%s → accepted: %s', (_label, auth, identifier, credentials, address, ok) => {
    expect(auth.authenticate(identifier, credentials, address) !== null).toBe(ok);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    [undefined, false],
  ])('isLoopbackAddress(%s) → %s', (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });
});
