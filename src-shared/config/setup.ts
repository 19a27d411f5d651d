/**
 * Is this server set up? The schema stores '' for fields nobody has filled in yet (a fresh
 * server must still start); these checks say which required ones are missing, for the setup
 * wizard, the Properties dialog and the Scan and Deliver wizard's contact step.
 */
import type { ConfigIssue } from './issues.js';
import { isPlainObject } from './paths.js';
import { isEmailAddress } from './primitives.js';
import type { Config, CustomerInformation } from './schema.js';

const CUSTOMER_FIELDS = [
  'company',
  'account',
  'contactName',
  'telephone',
  'email',
] as const satisfies readonly (keyof CustomerInformation)[];

const MAX_CUSTOMER_FIELD = 255; // X-Customer-* attributes carry at most 255 characters

/**
 * Problems with Customer Information, paths relative to it (`company`, `email`): every field
 * required, at most 255 characters, and the email a valid address. Accepts unchecked input
 * (the wizard's `contact` override) as well as stored settings.
 */
export function validateCustomerInformation(ci: unknown): ConfigIssue[] {
  if (!isPlainObject(ci)) return [{ path: '', message: 'customer information is missing' }];
  const issues: ConfigIssue[] = [];
  for (const field of CUSTOMER_FIELDS) {
    const value = ci[field];
    if (value !== undefined && typeof value !== 'string') {
      issues.push({ path: field, message: 'must be text' });
    } else if (value === undefined || value.trim() === '') {
      issues.push({ path: field, message: 'required' });
    } else if (value.length > MAX_CUSTOMER_FIELD) {
      issues.push({ path: field, message: `must be at most ${MAX_CUSTOMER_FIELD} characters` });
    } else if (field === 'email' && !isEmailAddress(value)) {
      issues.push({ path: field, message: 'must be a valid email address' });
    }
  }
  return issues;
}

/**
 * Everything still missing before this server can send samples: Customer Information always,
 * and for email-based Scan and Deliver the analysis mailbox's address.
 */
export function getSetupIssues(config: Config): ConfigIssue[] {
  const issues = validateCustomerInformation(config.customerInformation).map((i) => ({
    path: `customerInformation.${i.path}`,
    message: i.message,
  }));
  if (config.setupType === 'email' && config.email.submissionAddress.trim() === '') {
    issues.push({
      path: 'email.submissionAddress',
      message: 'required for email-based Scan and Deliver',
    });
  }
  return issues;
}

/** True when getSetupIssues finds nothing missing. */
export function isSetupComplete(config: Config): boolean {
  return getSetupIssues(config).length === 0;
}
