import { describe, expect, it } from 'vitest';
import { createDefaultConfig, DEFAULT_CONFIG } from '../../src-shared/config/defaults.js';
import type { Config, CustomerInformation } from '../../src-shared/config/schema.js';
import {
  getSetupIssues,
  isSetupComplete,
  validateCustomerInformation,
} from '../../src-shared/config/setup.js';

const CUSTOMER: CustomerInformation = {
  company: 'Example Corp',
  account: 'ACC-1001',
  contactName: 'Ann Admin',
  telephone: '+1 310 555 1212',
  email: 'ann@example.com',
};

function setUp(setupType: Config['setupType'] = 'internet'): Config {
  const config = createDefaultConfig();
  config.setupType = setupType;
  config.customerInformation = { ...CUSTOMER };
  return config;
}

describe('validateCustomerInformation', () => {
  it('accepts complete information', () => {
    expect(validateCustomerInformation(CUSTOMER)).toEqual([]);
  });

  it.each(Object.keys(CUSTOMER) as (keyof CustomerInformation)[])(
    'requires %s (blank or whitespace)',
    (field) => {
      expect(validateCustomerInformation({ ...CUSTOMER, [field]: '' })).toEqual([
        { path: field, message: 'required' },
      ]);
      expect(validateCustomerInformation({ ...CUSTOMER, [field]: '   ' })).toEqual([
        { path: field, message: 'required' },
      ]);
    },
  );

  it.each([
    [{ email: 'ann.example.com' }, 'email', 'must be a valid email address'],
    [{ email: 'ann@' }, 'email', 'must be a valid email address'],
    [{ company: 'x'.repeat(256) }, 'company', 'must be at most 255 characters'],
    [{ telephone: 5551212 }, 'telephone', 'must be text'],
  ])('refuses %j', (change, path, message) => {
    expect(validateCustomerInformation({ ...CUSTOMER, ...change })).toEqual([{ path, message }]);
  });

  it('reports every missing field of an empty object', () => {
    expect(validateCustomerInformation({}).map((i) => i.path)).toEqual([
      'company',
      'account',
      'contactName',
      'telephone',
      'email',
    ]);
  });

  it('refuses something that is not an object', () => {
    expect(validateCustomerInformation(null)).toHaveLength(1);
  });
});

describe('isSetupComplete / getSetupIssues', () => {
  it('a fresh server is not set up, and every customer field is reported', () => {
    expect(isSetupComplete(DEFAULT_CONFIG)).toBe(false);
    expect(getSetupIssues(DEFAULT_CONFIG).map((i) => i.path)).toEqual([
      'customerInformation.company',
      'customerInformation.account',
      'customerInformation.contactName',
      'customerInformation.telephone',
      'customerInformation.email',
    ]);
  });

  it('an internet server with Customer Information is complete', () => {
    expect(getSetupIssues(setUp())).toEqual([]);
    expect(isSetupComplete(setUp())).toBe(true);
  });

  it('an email server also needs the submission address', () => {
    const config = setUp('email');
    expect(getSetupIssues(config)).toEqual([
      { path: 'email.submissionAddress', message: 'required for email-based Scan and Deliver' },
    ]);
    config.email.submissionAddress = 'samples@analysis.example';
    expect(isSetupComplete(config)).toBe(true);
  });

  it('reports one missing field with its full path', () => {
    const config = setUp();
    config.customerInformation.telephone = '';
    expect(getSetupIssues(config)).toEqual([
      { path: 'customerInformation.telephone', message: 'required' },
    ]);
  });
});
