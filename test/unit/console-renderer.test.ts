/**
 * The renderer's logic that needs no browser: the list columns of the guide's tables, the item
 * actions built from the contract and the lifecycle rules, the server Properties form (units,
 * lists, validation as you type, only changes sent), the setup wizard's pages, and readable
 * error messages.
 */
import { describe, expect, it } from 'vitest';
import type { SampleSummary } from '../../src-shared/api/contract.js';
import { isMethodName } from '../../src-shared/api/contract.js';
import { createDefaultConfig } from '../../src-shared/config/defaults.js';
import { redactConfig } from '../../src-shared/config/secrets.js';
import { EMAIL_COLUMNS, INTERNET_COLUMNS } from '../../src-renderer/lib/columns.js';
import {
  checkForm,
  fromFieldValue,
  tabFields,
  toFieldValue,
} from '../../src-renderer/lib/config-form.js';
import { describeError, fieldIssues } from '../../src-renderer/lib/errors.js';
import {
  definitionsSetLabel,
  formatAge,
  formatSequence,
  statusLabel,
} from '../../src-renderer/lib/format.js';
import {
  offeredActions,
  SAMPLE_ACTIONS,
  selectionEligibility,
  summaryLookup,
} from '../../src-renderer/lib/sample-actions.js';
import {
  wizardPageIssues,
  wizardPatch,
  type WizardValues,
} from '../../src-renderer/store/wizard-slice.js';

function sample(overrides: Partial<SampleSummary> = {}): SampleSummary {
  return {
    id: '1',
    fileName: 'a.exe',
    userName: 'alice',
    computer: 'ws-1',
    domain: 'LAB',
    receivedOn: 0,
    submittedOn: null,
    submittedBy: null,
    status: 'quarantined',
    virus: null,
    analyzed: false,
    sampleState: null,
    definitionsNeeded: null,
    errors: 0,
    checksum: '0'.repeat(32),
    size: 1,
    priority: 0,
    changes: 1,
    ...overrides,
  };
}

describe('list columns', () => {
  it('are the guide’s table 4-2 for Internet-based servers', () => {
    expect(INTERNET_COLUMNS.map((c) => c.label)).toEqual([
      'File Name',
      'User Name',
      'Computer',
      'Analyzed',
      'Age',
      'Sample State',
      'Definitions Needed',
      'Sample Status',
      'Virus',
      'Sample errors',
    ]);
  });

  it('are the guide’s table 3-1 for email-based servers', () => {
    expect(EMAIL_COLUMNS.map((c) => c.label)).toEqual([
      'File Name',
      'User Name',
      'Computer',
      'Domain Name',
      'Received on',
      'Submitted on',
      'Submitted by',
      'Status',
      'Virus',
    ]);
  });

  it('show catalog labels and guide formats', () => {
    const row = sample({
      status: 'notinstalled',
      definitionsNeeded: 678,
      analyzed: true,
      errors: 2,
    });
    const text = Object.fromEntries(
      INTERNET_COLUMNS.map((c) => [c.id, c.text(row, 3 * 86_400_000 + 3_600_000)]),
    );
    expect(text).toMatchObject({
      status: 'Not installed',
      definitionsNeeded: '00000678',
      analyzed: 'Yes',
      age: '3 d 1 h',
      sampleErrors: '2',
    });
    expect(statusLabel('unheard-of')).toBe('unheard-of');
    expect(formatSequence(null)).toBe('');
    expect(formatAge(0, 30_000)).toBe('just now');
  });
});

describe('definitions set labels', () => {
  it.each([
    [
      { displayVersion: '2611270', certified: true, active: true },
      {},
      '00000007 · 2611270 · certified · active',
    ],
    [
      { displayVersion: '2611270', certified: false, active: false },
      {},
      '00000007 · 2611270 · not certified',
    ],
    [
      { displayVersion: '2611270', certified: true, active: true },
      { state: false },
      '00000007 · 2611270 · certified',
    ],
    // Whatever the row lacks, or holds in a form it should not, is left out.
    [{ displayVersion: '', certified: 'yes', active: 'true' }, {}, '00000007'],
    [undefined, {}, '00000007'],
  ])('%o %o → %s', (row, options, expected) => {
    expect(definitionsSetLabel(row, 7, options)).toBe(expected);
  });
});

describe('item actions', () => {
  it('are offered only when the contract has their method', () => {
    const offered = offeredActions();
    expect(offered.every((a) => isMethodName(a.method))).toBe(true);
    expect(offered.map((a) => a.method)).toEqual(
      expect.arrayContaining([
        'samples.delete',
        'samples.restore',
        'samples.release',
        'samples.hold',
      ]),
    );
    for (const action of SAMPLE_ACTIONS) {
      expect(offered.includes(action)).toBe(isMethodName(action.method));
    }
  });

  const action = (method: string) => SAMPLE_ACTIONS.find((a) => a.method === method)!;

  it('need a selection', () => {
    expect(selectionEligibility(action('samples.delete'), [], 0)).toEqual({
      allowed: false,
      reason: 'select one or more items first',
    });
  });

  it('are disabled with the lifecycle’s reason when no selected item allows them', () => {
    const result = selectionEligibility(
      action('samples.release'),
      [sample({ status: 'quarantined' })],
      1,
    );
    expect(result.allowed).toBe(false);
    if (!result.allowed)
      expect(result.reason).toMatch(/not possible while the sample is quarantined/);
  });

  it('are enabled when at least one selected item allows them', () => {
    const rows = [sample({ status: 'quarantined' }), sample({ id: '2', status: 'held' })];
    expect(selectionEligibility(action('samples.release'), rows, 2).allowed).toBe(true);
  });

  it('are left to the server when the selection is larger than what is loaded', () => {
    expect(selectionEligibility(action('samples.release'), [sample()], 50_000).allowed).toBe(true);
  });

  it('check the guide’s manual submission rule from the list row', () => {
    const queued = sample({ status: 'held', priority: 5 });
    const result = selectionEligibility(action('samples.queueForAnalysis'), [queued], 1);
    expect(result.allowed).toBe(false);
    if (!result.allowed) expect(result.reason).toContain('X-Sample-Priority');
    expect(summaryLookup(sample({ submittedOn: 0 }))('X-Date-Submitted')).toBeDefined();
  });
});

describe('server Properties form', () => {
  const config = redactConfig(createDefaultConfig()) as unknown as Record<string, unknown>;

  it('shows intervals the guide gives in minutes as minutes, and stores seconds', () => {
    expect(toFieldValue('samplePolicy.statusQueryIntervalSeconds', 3600)).toBe('60');
    expect(fromFieldValue('samplePolicy.statusQueryIntervalSeconds', '90', 3600)).toEqual({
      ok: true,
      value: 5400,
    });
    expect(toFieldValue('samplePolicy.queueCheckIntervalSeconds', 60)).toBe('60');
    expect(fromFieldValue('general.maxSizeMB', 'many', 500)).toEqual({
      ok: false,
      message: 'must be a number',
    });
    expect(fromFieldValue('general.maxSizeMB', '2.5', 500)).toEqual({
      ok: false,
      message: 'must be a whole number',
    });
  });

  it('edits lists one item per line', () => {
    expect(toFieldValue('alerting.smtp.to', ['a@x.test', 'b@x.test'])).toBe('a@x.test\nb@x.test');
    expect(fromFieldValue('alerting.smtp.to', 'a@x.test\n\n b@x.test ', [])).toEqual({
      ok: true,
      value: ['a@x.test', 'b@x.test'],
    });
  });

  it('sends only what changed', () => {
    const check = checkForm(config, {
      'general.maxSizeMB': '750',
      'general.port': '8847',
      'samplePolicy.statusQueryIntervalSeconds': '90',
    });
    expect(check.issues).toEqual({});
    expect(check.changed).toBe(2);
    expect(check.patch).toEqual({
      general: { maxSizeMB: 750 },
      samplePolicy: { statusQueryIntervalSeconds: 5400 },
    });
  });

  it.each([
    ['general.maxSizeMB', '0', 'must be at least 1'],
    ['webCommunication.gatewayUrl', 'ftp://gateway', 'http'],
    ['customerInformation.email', 'nobody', 'email'],
    ['setupType', 'email', 'cannot be changed'],
    ['firewall.proxyHost', 'proxy.example', 'required'],
  ])('refuses %s = %s with a message', (path, value, message) => {
    const check = checkForm(config, { [path]: value });
    const issues = Object.entries(check.issues);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.map(([p, m]) => `${p}: ${m}`).join('\n')).toContain(message);
  });

  it('keeps a masked secret when it comes back unchanged', () => {
    const withSecret = {
      ...config,
      firewall: { ...(config.firewall as object), proxyPassword: '********' },
    };
    expect(checkForm(withSecret, { 'firewall.proxyPassword': '********' }).changed).toBe(0);
  });

  it('lists a tab’s fields with labels and help from the field catalog', () => {
    const fields = tabFields(config, ['samplePolicy.']);
    expect(fields.map((f) => f.meta.label)).toContain('Automatic sample submission');
    expect(fields.every((f) => f.meta.help !== '')).toBe(true);
    expect(
      tabFields(config, ['alerting.']).some((f) => f.path.startsWith('alerting.events.')),
    ).toBe(false);
  });
});

describe('setup wizard', () => {
  const base = createDefaultConfig();
  const values: WizardValues = {
    setupType: 'internet',
    quarantineFolder: '',
    maxSizeMB: '500',
    company: 'Example Corp',
    account: '1',
    contactName: 'Alex',
    telephone: '555',
    email: 'alex@example.test',
    gatewayUrl: 'http://127.0.0.1:8848',
    submissionAddress: '',
    alertsEnabled: false,
    smtpHost: '',
  };

  it('builds the server.setup patch from the pages', () => {
    expect(wizardPatch(values)).toEqual({
      general: { quarantineFolder: '', maxSizeMB: 500 },
      customerInformation: {
        company: 'Example Corp',
        account: '1',
        contactName: 'Alex',
        telephone: '555',
        email: 'alex@example.test',
      },
      webCommunication: { gatewayUrl: 'http://127.0.0.1:8848' },
      alerting: { enabled: false, smtp: { host: '' } },
    });
    expect(
      wizardPatch({ ...values, setupType: 'email', submissionAddress: 'in@lab.test' }),
    ).toHaveProperty('email.submissionAddress', 'in@lab.test');
  });

  it('accepts complete pages', () => {
    for (let page = 0; page < 6; page++) expect(wizardPageIssues(page, values, base)).toEqual({});
  });

  it('requires every customer field', () => {
    const issues = wizardPageIssues(2, { ...values, company: ' ', telephone: '' }, base);
    expect(issues).toEqual({
      'customerInformation.company': 'required',
      'customerInformation.telephone': 'required',
    });
  });

  it('checks the disk space and the address of the chosen setup type', () => {
    expect(wizardPageIssues(1, { ...values, maxSizeMB: 'lots' }, base)).toHaveProperty(
      'general.maxSizeMB',
    );
    expect(wizardPageIssues(3, { ...values, setupType: 'email' }, base)).toHaveProperty(
      'email.submissionAddress',
    );
    expect(wizardPageIssues(3, { ...values, gatewayUrl: 'gateway' }, base)).toHaveProperty(
      'webCommunication.gatewayUrl',
    );
  });
});

describe('error messages', () => {
  it('are one readable line, never a stack trace', () => {
    expect(describeError({ code: 'login-failed', message: 'unknown user or wrong password' })).toBe(
      'Login refused: unknown user or wrong password',
    );
    const text = describeError({
      code: 'internal',
      message: 'boom\n    at x (file.js:1:1)\n    at y',
    });
    expect(text).toBe('The server could not complete the request: boom');
  });

  it('carry per-field issues when the server gave them', () => {
    expect(
      fieldIssues({
        code: 'invalid-request',
        message: 'x',
        details: { issues: [{ path: 'a.b', message: 'bad' }, 7] },
      }),
    ).toEqual([{ path: 'a.b', message: 'bad' }]);
    expect(fieldIssues({ code: 'internal', message: 'x' })).toEqual([]);
  });
});
