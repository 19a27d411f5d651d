/**
 * Email Scan and Deliver end to end: an embedded server set up for email with a real SMTP
 * capture; two forwarded samples (code and data only) walk the wizard from the item menu —
 * analysis and its override, the strip preview, the exact messages, a send that fails on a
 * closed SMTP port and changes nothing, and the retry after fixing the server that delivers.
 */
import path from 'node:path';
import type { Locator } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  closedPort,
  startSmtpCapture,
  type ReceivedMail,
} from '../fixtures/email/email-fixtures.js';
import { tempDir } from '../helpers/temp.js';
import {
  ctl,
  EXAMPLE_CUSTOMER,
  forwardFile,
  openConsoleSession,
  poll,
  screenshot,
  shareConsoleSession,
} from './support/console-harness.js';

let work: string;
let smtp: { port: number; received: ReceivedMail[] };
let codeId: string;
let dataId: string;

const grid = (): Locator => session.page.getByRole('grid', { name: /Quarantined items/ });
const wizard = (title: string): Locator =>
  session.page.getByRole('dialog', { name: `Submit by email: ${title}` });
const button = (name: string): Locator =>
  session.page.getByRole('dialog').getByRole('button', { name, exact: true });

async function statusOf(id: string): Promise<string> {
  const detail = (await ctl(session.proc.socket, 'samples.get', { id })) as {
    sample: { status: string };
  };
  return detail.sample.status;
}

const session = shareConsoleSession(async () => {
  smtp = await startSmtpCapture();
  work = tempDir('cq-e2e-email-wizard-');
  return openConsoleSession(path.join(work, 'data'), async (proc) => {
    await ctl(proc.socket, 'server.setup', {
      setupType: 'email',
      patch: {
        // Samples wait for the administrator (held) instead of being released automatically.
        samplePolicy: { automaticSubmission: false },
        customerInformation: EXAMPLE_CUSTOMER,
        email: {
          submissionAddress: 'samples@av.example.test',
          smtp: { host: '127.0.0.1', port: smtp.port, secure: false, user: '', password: '' },
        },
      },
    });
    codeId = await forwardFile(
      proc.intake,
      work,
      'tool.exe',
      `MZ${'\0'.repeat(62)}program code ${Date.now()}`,
    );
    dataId = await forwardFile(proc.intake, work, 'notes.dat', `plain notes ${Date.now()}`);
  });
});

beforeAll(async () => {
  await grid().waitFor();
});

describe('console: Scan and Deliver wizard (email)', () => {
  it('walks the wizard, fails readably on a closed SMTP port, and delivers on retry', async () => {
    await grid()
      .getByRole('row', { name: /tool\.exe/ })
      .click();
    await grid()
      .getByRole('row', { name: /notes\.dat/ })
      .click({ modifiers: ['Control'] });
    await poll(() => session.page.getByRole('contentinfo').textContent()).toContain('2 selected');
    await session.page.keyboard.press('Shift+F10');
    const menu = session.page.getByRole('menu', { name: 'Item actions' });
    const entry = menu.getByRole('menuitem', { name: 'Submit by email…' });
    await poll(() => entry.getAttribute('aria-disabled')).not.toBe('true');
    await entry.click();

    // (1) the selected items
    const items = wizard('Selected items');
    await items.waitFor();
    await poll(() => items.getByRole('list', { name: 'Selected items' }).textContent()).toMatch(
      /tool\.exe.*notes\.dat|notes\.dat.*tool\.exe/,
    );
    expect(await button('Back').isDisabled()).toBe(true);
    await screenshot(session.page, 'email-wizard-items');
    await button('Next').click();

    // (2) analysis: code is to be submitted, data only is not, unless overridden
    const analysis = wizard('Analysis');
    await analysis.waitFor();
    const list = analysis.getByRole('list', { name: 'Analysis' });
    await list.waitFor();
    const dataItem = list.getByRole('listitem').filter({ hasText: 'notes.dat' });
    await poll(() => dataItem.textContent()).toMatch(/Submission not needed: .*data only/);
    await poll(() =>
      list.getByRole('listitem').filter({ hasText: 'tool.exe' }).textContent(),
    ).toContain('Recommendation');
    // Back once keeps the analysis.
    await button('Back').click();
    await items.waitFor();
    await button('Next').click();
    await analysis.waitFor();
    const override = analysis.getByRole('checkbox', { name: /Submit anyway/ });
    await override.check();
    await screenshot(session.page, 'email-wizard-analysis');
    await button('Next').click();

    // (3) options: strip preview, then a custom SMTP server on a closed port
    const options = wizard('Options');
    await options.waitFor();
    await options.getByRole('checkbox', { name: /Strip file content/ }).check();
    const strip = options.getByRole('list', { name: 'Strip preview' });
    await poll(() =>
      strip.getByRole('listitem').filter({ hasText: 'notes.dat' }).textContent(),
    ).toContain('cannot be stripped');
    await poll(() =>
      strip.getByRole('listitem').filter({ hasText: 'tool.exe' }).textContent(),
    ).toMatch(/method \S+/);
    await options.getByRole('checkbox', { name: /Use a custom SMTP server/ }).check();
    const host = options.getByRole('textbox', { name: 'SMTP host' });
    const port = options.getByRole('textbox', { name: 'SMTP port' });
    // An empty host keeps Next disabled, with the reason.
    await poll(() => button('Next').isDisabled()).toBe(true);
    await options.getByText('Correct the custom SMTP server first.', { exact: false }).waitFor();
    await host.fill('127.0.0.1');
    await port.fill('99999');
    await poll(() => button('Next').isDisabled()).toBe(true);
    await port.fill(String(await closedPort()));
    await poll(() => button('Next').isDisabled()).toBe(false);
    await screenshot(session.page, 'email-wizard-options');
    await button('Next').click();

    // (4) contact details from Customer Information
    const contact = wizard('Contact details');
    await contact.waitFor();
    expect(await contact.getByRole('textbox', { name: 'Company' }).inputValue()).toBe(
      'Example Corp',
    );
    const phone = contact.getByRole('textbox', { name: 'Contact telephone' });
    await phone.fill('');
    await poll(() => button('Next').isDisabled()).toBe(true);
    await phone.fill('+1 555 0199');
    await button('Next').click();

    // (5) review of the exact messages
    const review = wizard('Review');
    await review.waitFor();
    const messages = review.getByRole('list', { name: 'Messages to send' });
    await messages.waitFor();
    await poll(() => messages.getByRole('listitem').count()).toBe(2);
    const text = (await messages.textContent()) ?? '';
    expect(text).toContain('samples@av.example.test');
    expect(text).toContain('X-Sample-Checksum');
    expect(text).toContain('attributes.txt');
    expect(text).toContain(`sample-${dataId}.zip`);
    await screenshot(session.page, 'email-wizard-review');
    await button('Send').click();

    // (6, 7) the send fails readably; nothing changed
    const result = wizard('Result');
    await result.waitFor();
    await poll(() => result.getByRole('alert').textContent()).toMatch(/Nothing was sent\. .+/);
    expect(await button('Finish').isDisabled()).toBe(true);
    expect(smtp.received.length).toBe(0);
    expect(await statusOf(codeId)).not.toBe('submitted');
    await screenshot(session.page, 'email-wizard-failed');

    // Back to the options, fix the SMTP server, and send again.
    await button('Back').click();
    await review.waitFor();
    await button('Back').click();
    await contact.waitFor();
    await button('Back').click();
    await options.waitFor();
    await options.getByRole('textbox', { name: 'SMTP port' }).fill(String(smtp.port));
    await button('Next').click();
    await contact.waitFor();
    await button('Next').click();
    await review.waitFor();
    await poll(() => review.getByRole('list', { name: 'Messages to send' }).isVisible()).toBe(true);
    await button('Send').click();
    await result.waitFor();
    const sent = result.getByRole('list', { name: 'Sent messages' });
    await sent.waitFor();
    await poll(() => smtp.received.length).toBe(2);
    const ids = smtp.received.map((m) => m.parsed.messageId ?? '');
    const sentText = (await sent.textContent()) ?? '';
    for (const id of ids) expect(sentText).toContain(id);
    expect(smtp.received.every((m) => m.envelopeTo.includes('samples@av.example.test'))).toBe(true);
    expect(smtp.received.some((m) => (m.parsed.text ?? '').includes('+1 555 0199'))).toBe(true);
    await screenshot(session.page, 'email-wizard-sent');
    await button('Finish').click();
    await result.waitFor({ state: 'detached' });
    await poll(() => statusOf(codeId)).toBe('submitted');
    await poll(() => statusOf(dataId)).toBe('submitted');
    expect(session.problems.errors).toEqual([]);
  });

  it('cancels with Escape', async () => {
    await forwardFile(session.proc.intake, work, 'other.exe', `MZ${'\0'.repeat(62)}other`);
    const row = grid().getByRole('row', { name: /other\.exe/ });
    await row.click();
    await session.page.keyboard.press('Shift+F10');
    await session.page
      .getByRole('menu', { name: 'Item actions' })
      .getByRole('menuitem', { name: 'Submit by email…' })
      .click();
    const items = wizard('Selected items');
    await items.waitFor();
    await session.page.keyboard.press('Escape');
    await items.waitFor({ state: 'detached' });
  });
});
