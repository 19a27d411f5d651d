/**
 * The Definitions pane end to end: a package built with `cq defs build` is imported through the
 * Import definitions dialog and listed as the active set; a bad path or a file that is not a
 * package shows a readable error and leaves the list as it was.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Locator } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCq } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import {
  openConsoleSession,
  poll,
  screenshot,
  setUpServer,
  shareConsoleSession,
} from './support/console-harness.js';

let work: string;
let packagePath: string;

const pane = (): Locator => session.page.getByRole('region', { name: 'Definitions' });
const table = (): Locator => pane().getByRole('table', { name: 'Definitions' });

/** The listed sets as "sequence:active", in list order (newest first). */
async function setRows(): Promise<string[]> {
  const headers = await table().getByRole('columnheader').allTextContents();
  const sequence = headers.indexOf('Sequence');
  const active = headers.indexOf('Active');
  const rows: string[] = [];
  for (const row of await table().locator('tbody tr').all()) {
    const cells = await row.getByRole('cell').allTextContents();
    rows.push(`${cells[sequence]}:${cells[active]}`);
  }
  return rows;
}
const importDialog = (): Locator =>
  session.page.getByRole('dialog', { name: 'Import definitions' });

/** Open the dialog, import `file`, and leave the dialog open on its outcome. */
async function importThroughDialog(file: string): Promise<void> {
  await pane().getByRole('button', { name: 'Import definitions…' }).click();
  await importDialog().waitFor();
  await importDialog().getByRole('textbox', { name: 'Path on the server' }).fill(file);
  await importDialog().getByRole('button', { name: 'Import' }).click();
}

const session = shareConsoleSession(async () => {
  work = tempDir('cq-e2e-defs-');
  const source = path.join(work, 'signatures');
  fs.mkdirSync(source);
  // One MD5 signature for the single byte "x": tiny, but a valid .hdb line.
  fs.writeFileSync(
    path.join(source, 'tiny.hdb'),
    '9dd4e461268c8034f5c8564e155c67a6:1:Test.Tiny.Byte\n',
  );
  packagePath = path.join(work, 'defs-2.zip');
  const built = await runCq([
    'defs',
    'build',
    '--sequence',
    '2',
    '--from',
    source,
    '--out',
    packagePath,
  ]);
  if (built.code !== 0) throw new Error(`cq defs build failed: ${built.stderr}`);
  return openConsoleSession(path.join(work, 'data'), (proc) => setUpServer(proc.socket));
});

beforeAll(async () => {
  const tree = session.page.getByRole('tree', { name: 'Servers' });
  await tree.getByRole('treeitem', { name: 'Definitions' }).first().click();
  await table().waitFor();
});

describe('console: definitions', () => {
  it('lists the starter set as the active one', async () => {
    await poll(setRows).toEqual(['1:Yes']);
  });

  it('shows a readable error for a bad path and leaves the list unchanged', async () => {
    const before = await setRows();
    await importThroughDialog(path.join(work, 'missing.zip'));
    const alert = importDialog().getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/\w+: .+/);
    expect(await alert.textContent()).not.toMatch(/\bat \S+ \(/);
    await importDialog().getByRole('button', { name: 'Close', exact: true }).click();
    await poll(() => importDialog().count()).toBe(0);
    expect(await setRows()).toEqual(before);
  });

  it('shows a readable error for a file that is not a package', async () => {
    const before = await setRows();
    const notPackage = path.join(work, 'notes.zip');
    fs.writeFileSync(notPackage, 'these are not definitions');
    await importThroughDialog(notPackage);
    const alert = importDialog().getByRole('alert');
    await alert.waitFor();
    expect((await alert.textContent())?.length).toBeGreaterThan(10);
    await session.page.keyboard.press('Escape');
    await poll(() => importDialog().count()).toBe(0);
    expect(await setRows()).toEqual(before);
  });

  it('imports a package built with cq defs build and lists sequence 2 as active', async () => {
    await importThroughDialog(packagePath);
    const status = importDialog().getByRole('status');
    await status.waitFor();
    expect(await status.textContent()).toContain('Sequence 00000002');
    await importDialog().getByRole('button', { name: 'Close', exact: true }).click();
    await poll(async () => (await setRows()).length).toBe(2);
    await poll(setRows).toEqual(['2:Yes', '1:No']);
    await poll(() => pane().textContent()).toContain('sequence 00000002');
    await screenshot(session.page, 'definitions-imported');
    expect(session.problems.errors).toEqual([]);
  });

  it('activates a selected set from the pane, after asking', async () => {
    // The pane's live region is there, empty, before anything is said in it.
    expect(await pane().getByRole('status').textContent()).toBe('');
    const chooser = pane().getByRole('combobox', { name: 'Definitions set' });
    const labels = await chooser.locator('option').allTextContents();
    expect(labels).toHaveLength(2);
    expect(labels[0]).toMatch(/^00000002 · \d{6}\w · (not )?certified · active$/);
    expect(labels[1]).toMatch(/^00000001 · \d{6}\w · (not )?certified$/);
    await chooser.selectOption('1');
    const confirm = session.page.getByRole('alertdialog', { name: 'Activate definitions' });
    // Cancelled, nothing changes.
    await pane().getByRole('button', { name: 'Activate…' }).click();
    expect(await confirm.textContent()).toContain('Make set 00000001 · ');
    await poll(() =>
      session.page.evaluate('document.activeElement && document.activeElement.textContent'),
    ).toBe('Cancel');
    await session.page.keyboard.press('Enter');
    await poll(() => confirm.count()).toBe(0);
    expect(await setRows()).toEqual(['2:Yes', '1:No']);
    // Confirmed, the set becomes the active one.
    await pane().getByRole('button', { name: 'Activate…' }).click();
    await confirm.getByRole('button', { name: 'Activate', exact: true }).click();
    await poll(() => pane().getByRole('status').textContent()).toContain(
      'Sequence 00000001 2026.01.01.001 is active.',
    );
    await poll(setRows).toEqual(['2:No', '1:Yes']);
    expect(session.problems.errors).toEqual([]);
  });
});
