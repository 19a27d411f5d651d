/**
 * Who may use the gateway (SPEC §4.3): a customers file (JSON array of `{identifier,
 * credentials, name, serviceClass}`) validated at start, or, without one, only the customer a
 * fresh Quarantine Server presents, and only from loopback. Credentials are compared in
 * constant time so a caller cannot learn them byte by byte from response timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import { DEFAULT_CUSTOMER_IDENTIFIER } from '../../src-shared/config/schema.js';
import { toConfigIssues } from '../../src-shared/config/issues.js';
import { asciiText, text } from '../../src-shared/config/primitives.js';
import { SERVICE_CLASSES } from '../../src-shared/catalog/tokens.js';
import type { Customer } from './model.js';

const CustomerSchema = z.strictObject({
  identifier: asciiText(63).min(1, { error: 'must not be empty' }),
  credentials: asciiText(1024),
  name: text(255).min(1, { error: 'must not be empty' }),
  serviceClass: z.enum(SERVICE_CLASSES, { error: "must be 'gold' or 'platinum'" }),
});

/** The customers file: a non-empty array with unique identifiers. */
export const CustomersFileSchema = z
  .array(CustomerSchema, { error: 'must be a JSON array of customers' })
  .min(1, { error: 'must list at least one customer' })
  .superRefine((list, ctx) => {
    const seen = new Map<string, number>();
    list.forEach((c, i) => {
      const first = seen.get(c.identifier);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'identifier'],
          message: `duplicates customer ${first}`,
        });
      } else seen.set(c.identifier, i);
    });
  });

/** A customers file that cannot be used; the message names every problem. */
export class CustomersFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CustomersFileError';
  }
}

/** Parse and validate customers from JSON text (`source` names it in errors). */
export function parseCustomers(json: string, source: string): Customer[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (error) {
    throw new CustomersFileError(`${source}: not JSON (${(error as Error).message})`);
  }
  const result = CustomersFileSchema.safeParse(data);
  if (!result.success) {
    // `0.identifier` reads better as `[0].identifier` for an array file.
    const issues = toConfigIssues(result.error)
      .map((i) => `${i.path === '' ? '(file)' : i.path.replace(/^(\d+)/, '[$1]')}: ${i.message}`)
      .join('; ');
    throw new CustomersFileError(`${source}: ${issues}`);
  }
  return result.data;
}

/** Read and validate a customers file. */
export function loadCustomersFile(file: string): Customer[] {
  let json: string;
  try {
    json = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new CustomersFileError(`cannot read customers file ${file}: ${(error as Error).message}`);
  }
  return parseCustomers(json, file);
}

/** The only customer a gateway without a customers file accepts (from loopback). */
export const LOOPBACK_CUSTOMER: Customer = {
  identifier: DEFAULT_CUSTOMER_IDENTIFIER,
  credentials: '',
  name: 'Local Quarantine Server',
  serviceClass: 'gold',
};

/** True for IPv4 127/8, IPv6 ::1 and IPv4-mapped loopback addresses. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

/** Decides whether a request's customer headers name an accepted customer. */
export interface CustomerAuthenticator {
  /** The customer, or null to decline; `credentials` undefined counts as empty. */
  authenticate(
    identifier: string,
    credentials: string | undefined,
    remoteAddress: string | undefined,
  ): Customer | null;
}

// Hashing both sides first gives equal-length inputs, so length differences leak nothing either.
const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** An authenticator over a customers list, or over the loopback customer when `customers` is null. */
export function createCustomerAuthenticator(
  customers: readonly Customer[] | null,
): CustomerAuthenticator {
  const loopbackOnly = customers === null;
  const byIdentifier = new Map(
    (customers ?? [LOOPBACK_CUSTOMER]).map((c) => [
      c.identifier,
      { c, secret: digest(c.credentials) },
    ]),
  );
  // Unknown identifiers are compared against this, so both paths cost the same.
  const decoy = digest('\u0000no such customer');
  return {
    authenticate(identifier, credentials, remoteAddress) {
      const entry = byIdentifier.get(identifier);
      const offered = digest(credentials ?? '');
      const match = timingSafeEqual(offered, entry?.secret ?? decoy);
      if (entry === undefined || !match) return null;
      if (loopbackOnly && !isLoopbackAddress(remoteAddress)) return null;
      return entry.c;
    },
  };
}
