/**
 * Server Properties end to end: every tab of SPEC §11 is there, a bad value is refused with a
 * message as it is typed, good values are applied, and they are still there after the console
 * and its embedded server restart. The restart also recovers an item whose stored content went
 * missing, which then shows on the item's Errors tab and in General Errors.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Locator } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';
import {
  ctl,
  forwardFile,
  openConsolePage,
  openConsoleSession,
  poll,
  screenshot,
  setUpServer,
  shareConsoleSession,
  startConsole,
} from './support/console-harness.js';

let work: string;
let dataDir: string;
let sampleId: string;

async function openServerProperties(): Promise<Locator> {
  const server = session.page
    .getByRole('tree', { name: 'Servers' })
    .getByRole('treeitem', { level: 2 })
    .first();
  await server.click();
  await session.page
    .getByRole('toolbar', { name: 'Commands' })
    .getByRole('button', { name: 'Properties' })
    .click();
  const dialog = session.page.getByRole('dialog', { name: /Properties$/ });
  await dialog.getByRole('tab', { name: 'General', exact: true }).waitFor();
  return dialog;
}

function allFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? allFiles(full) : [full];
  });
}

const session = shareConsoleSession(async () => {
  work = tempDir('cq-e2e-settings-');
  dataDir = path.join(work, 'data');
  return openConsoleSession(dataDir, async (proc) => {
    await setUpServer(proc.socket);
    sampleId = await forwardFile(proc.intake, work, 'lost.bin', 'content that will go missing');
  });
});

describe('console: server properties', () => {
  it('has every tab of the server Properties', async () => {
    const dialog = await openServerProperties();
    const tabs = await dialog.getByRole('tab').allTextContents();
    expect(tabs).toEqual([
      'General',
      'Web Communication',
      'Firewall',
      'Sample Policy',
      'Definition Policy',
      'Install Definitions',
      'Customer Information',
      'Alerting',
      'General Errors',
    ]);
    await dialog.getByRole('tab', { name: 'Customer Information' }).click();
    await poll(() => dialog.getByRole('textbox', { name: 'Company' }).inputValue()).toBe(
      'Example Corp',
    );
    await dialog.getByRole('tab', { name: 'Definition Policy' }).click();
    // The active sequence is shown but cannot be edited.
    expect(
      await dialog
        .getByRole('textbox', { name: 'Active sequence number' })
        .getAttribute('readonly'),
    ).not.toBeNull();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('refuses a bad value with a message as it is typed, and applies good ones', async () => {
    const dialog = await openServerProperties();
    const maxSize = dialog.getByRole('textbox', { name: 'Maximum size', exact: true });
    await poll(() => maxSize.inputValue()).toBe('500');
    await maxSize.fill('0');
    await dialog.getByText('must be at least 1').waitFor();
    await dialog
      .getByRole('alert')
      .getByText(/1 setting needs correcting/)
      .waitFor();
    expect(await dialog.getByRole('button', { name: 'Apply' }).isDisabled()).toBe(true);
    expect(await dialog.getByRole('button', { name: 'OK' }).isDisabled()).toBe(true);
    await maxSize.fill('lots');
    await dialog.getByText('must be a number').waitFor();
    await screenshot(session.page, 'server-properties-refused');
    await maxSize.fill('750');
    await poll(() => dialog.getByText('must be').count()).toBe(0);
    await dialog.getByRole('button', { name: 'Apply' }).click();
    await dialog.getByText('Changes applied.').waitFor();

    await dialog.getByRole('tab', { name: 'Sample Policy' }).click();
    const statusQuery = dialog.getByRole('textbox', { name: 'Status query interval' });
    await poll(() => statusQuery.inputValue()).toBe('60'); // minutes, as the guide gives it
    await statusQuery.fill('90');

    await dialog.getByRole('tab', { name: 'Alerting' }).click();
    const timeout = dialog.getByRole('textbox', {
      name: 'Unable to connect to the Gateway: timeout in minutes',
    });
    await timeout.fill('15');
    await dialog
      .getByRole('checkbox', { name: 'Unable to connect to the Gateway: email' })
      .uncheck();
    await screenshot(session.page, 'server-properties-alerting');
    await dialog.getByRole('button', { name: 'OK' }).click();
    await dialog.waitFor({ state: 'detached' });

    const { config } = (await ctl(session.proc.socket, 'config.get')) as {
      config: {
        general: { maxSizeMB: number };
        samplePolicy: { statusQueryIntervalSeconds: number };
        alerting: {
          events: { gatewayUnreachable: { timeoutSeconds: number; channels: { email: boolean } } };
        };
      };
    };
    expect(config.general.maxSizeMB).toBe(750);
    expect(config.samplePolicy.statusQueryIntervalSeconds).toBe(5400);
    expect(config.alerting.events.gatewayUnreachable.timeoutSeconds).toBe(900);
    expect(config.alerting.events.gatewayUnreachable.channels.email).toBe(false);
  });

  it('keeps the settings across a restart of the console and its server', async () => {
    await session.context.close();
    expect(await session.proc.stop()).toBe(0);
    // The embedded server stopped with the console: its data folder lock is released.
    expect(fs.existsSync(path.join(dataDir, 'server.lock'))).toBe(false);
    // Lose the item's stored content while nothing runs; the next start must flag it.
    const blobs = allFiles(path.join(dataDir, 'quarantine', 'blobs'));
    expect(blobs.length).toBe(1);
    fs.rmSync(blobs[0]!);

    session.proc = await startConsole(dataDir);
    Object.assign(session, await openConsolePage(session.browser, session.proc.url));
    const dialog = await openServerProperties();
    await poll(() =>
      dialog.getByRole('textbox', { name: 'Maximum size', exact: true }).inputValue(),
    ).toBe('750');
    await dialog.getByRole('tab', { name: 'Sample Policy' }).click();
    await poll(() =>
      dialog.getByRole('textbox', { name: 'Status query interval' }).inputValue(),
    ).toBe('90');
    await dialog.getByRole('tab', { name: 'Alerting' }).click();
    await poll(() =>
      dialog
        .getByRole('textbox', { name: 'Unable to connect to the Gateway: timeout in minutes' })
        .inputValue(),
    ).toBe('15');
    await dialog.getByRole('tab', { name: 'General Errors' }).click();
    await poll(() => dialog.getByRole('table', { name: 'General errors' }).textContent()).toContain(
      'missing',
    );
    await screenshot(session.page, 'server-properties-errors');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it("shows the recovered item's error on its Errors tab", async () => {
    await session.page
      .getByRole('tree', { name: 'Servers' })
      .getByRole('treeitem', { name: 'Quarantined Items' })
      .click();
    const row = session.page
      .getByRole('grid', { name: /Quarantined items/ })
      .getByRole('row', { name: /lost\.bin/ });
    await row.dblclick();
    const dialog = session.page.getByRole('dialog', { name: /lost\.bin Properties/ });
    await dialog.getByRole('tab', { name: /^Errors \([1-9]/ }).click();
    const errors = dialog.getByRole('table', { name: 'Errors' });
    await poll(() => errors.textContent()).toContain('lost');
    expect(await errors.textContent()).toContain('recovery');
    await screenshot(session.page, 'item-errors');
    await session.page.keyboard.press('Escape');
    expect(sampleId).toMatch(/^\d+$/);
  });

  it('reported no script errors or policy violations', () => {
    expect(session.problems.errors).toEqual([]);
  });
});
