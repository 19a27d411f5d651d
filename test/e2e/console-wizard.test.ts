/**
 * First-run setup end to end: a fresh embedded server opens the setup wizard by itself; every
 * page is checked before Next, Back keeps what was typed, and Finish sets the server up.
 */
import path from 'node:path';
import type { Locator } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';
import {
  ctl,
  openConsoleSession,
  poll,
  screenshot,
  shareConsoleSession,
} from './support/console-harness.js';

const wizard = (title: string): Locator =>
  session.page.getByRole('dialog', { name: new RegExp(`^Set up .*: ${title}$`) });
const button = (name: string): Locator =>
  session.page.getByRole('dialog').getByRole('button', { name, exact: true });

const session = shareConsoleSession(async () => {
  return openConsoleSession(path.join(tempDir('cq-e2e-wizard-'), 'data'));
});

describe('console: first-run setup wizard', () => {
  it('opens by itself on a server that is not set up', async () => {
    await wizard('Setup type').waitFor();
    const internet = session.page.getByRole('radio', { name: /Internet-based \(recommended\)/ });
    expect(await internet.isChecked()).toBe(true);
    expect(await button('Back').isDisabled()).toBe(true);
    await screenshot(session.page, 'wizard-type');
  });

  it('checks each page before going on, and Back keeps what was typed', async () => {
    await session.page.getByRole('radio', { name: /Email-based/ }).check();
    await button('Next').click();

    const storage = wizard('Quarantine storage');
    await storage.waitFor();
    const size = storage.getByRole('textbox', { name: 'Maximum disk space' });
    await poll(() => size.inputValue()).toBe('500');
    await size.fill('plenty');
    await storage.getByText('must be a whole number').waitFor();
    await button('Next').click();
    await storage
      .getByRole('alert')
      .getByText(/Complete the fields/)
      .waitFor();
    await size.fill('600');
    await button('Next').click();

    const customer = wizard('Customer information');
    await customer.waitFor();
    await button('Next').click();
    await customer
      .getByRole('alert')
      .getByText(/Complete the fields/)
      .waitFor();
    await poll(() => customer.getByText('required', { exact: true }).count()).toBe(5);
    await screenshot(session.page, 'wizard-customer-required');
    await customer.getByRole('textbox', { name: 'Company' }).fill('Example Corp');
    await customer.getByRole('textbox', { name: 'Account number' }).fill('A-1000');
    await customer.getByRole('textbox', { name: 'Contact name' }).fill('Alex Admin');
    await customer.getByRole('textbox', { name: 'Contact telephone' }).fill('+1 555 0100');
    await customer.getByRole('textbox', { name: 'Contact email' }).fill('not an address');
    await customer.getByText('must be a valid email address').waitFor();
    await customer.getByRole('textbox', { name: 'Contact email' }).fill('alex@example.test');
    await button('Next').click();

    const mailbox = wizard('Analysis gateway');
    await mailbox.getByRole('textbox', { name: 'Analysis mailbox' }).waitFor();
    await button('Back').click();
    await customer.waitFor();
    await poll(() => customer.getByRole('textbox', { name: 'Company' }).inputValue()).toBe(
      'Example Corp',
    );
    await button('Next').click();
    await mailbox
      .getByRole('textbox', { name: 'Analysis mailbox' })
      .fill('samples@analysis.example.test');
    await button('Next').click();

    const alerts = wizard('Alerts');
    await alerts.waitFor();
    await alerts.getByRole('checkbox', { name: 'Enable alerts' }).check();
    await alerts
      .getByRole('textbox', { name: 'SMTP server for alert mail' })
      .fill('mail.example.test');
    await button('Next').click();

    const ready = wizard('Ready to set up');
    await ready.waitFor();
    const summary = (await ready.textContent()) ?? '';
    expect(summary).toContain('Email-based');
    expect(summary).toContain('600 MB');
    expect(summary).toContain('samples@analysis.example.test');
    await screenshot(session.page, 'wizard-ready');
  });

  it('sets the server up on Finish', async () => {
    await button('Finish').click();
    await session.page.getByRole('dialog').waitFor({ state: 'detached' });
    await poll(() =>
      session.page.getByRole('contentinfo').getByRole('status').textContent(),
    ).toContain('The server is set up.');
    const info = (await ctl(session.proc.socket, 'server.info')) as {
      setupComplete: boolean;
      setupType: string;
    };
    expect(info).toMatchObject({ setupComplete: true, setupType: 'email' });
    const { config } = (await ctl(session.proc.socket, 'config.get')) as {
      config: {
        general: { maxSizeMB: number };
        email: { submissionAddress: string };
        alerting: { enabled: boolean; smtp: { host: string } };
        customerInformation: { company: string };
      };
    };
    expect(config.general.maxSizeMB).toBe(600);
    expect(config.email.submissionAddress).toBe('samples@analysis.example.test');
    expect(config.alerting).toMatchObject({ enabled: true, smtp: { host: 'mail.example.test' } });
    expect(config.customerInformation.company).toBe('Example Corp');
    // An email-based server lists its items with the guide's table 3-1 columns.
    const headers = session.page
      .getByRole('grid', { name: /Quarantined items/ })
      .getByRole('columnheader');
    await poll(async () =>
      (await headers.allTextContents()).map((h) => h.replace(/[▲▼]/g, '')),
    ).toEqual([
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
    await screenshot(session.page, 'wizard-done');
  });

  it('reported no script errors or policy violations', () => {
    expect(session.problems.errors).toEqual([]);
  });
});
