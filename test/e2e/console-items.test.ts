/**
 * The Quarantined Items pane end to end: samples forwarded with `cq forward` appear live; sort
 * and filter run on the server; item Properties shows attributes (double-click for the
 * description), history and errors; delete and restore ask first; the keyboard drives it all.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { getAttributeSpec } from '../../src-shared/catalog/attributes.js';
import { tempDir } from '../helpers/temp.js';
import {
  forwardFile,
  openConsoleSession,
  poll,
  screenshot,
  setUpServer,
  shareConsoleSession,
} from './support/console-harness.js';

let work: string;

const grid = (): Locator => session.page.getByRole('grid', { name: /Quarantined items/ });
const dataRow = (name: string | RegExp): Locator => grid().getByRole('row', { name });
const rowAt = (index: number): Locator =>
  grid().locator(`[role="row"][aria-rowindex="${index + 2}"]`);

const session = shareConsoleSession(async () => {
  work = tempDir('cq-e2e-items-');
  return openConsoleSession(path.join(work, 'data'), (proc) => setUpServer(proc.socket));
});

beforeAll(async () => {
  await grid().waitFor();
});

describe('console: quarantined items', () => {
  it('shows samples forwarded with cq forward as they arrive', async () => {
    await poll(() =>
      session.page.getByText('No items are quarantined on this server.').count(),
    ).toBe(1);
    await forwardFile(
      session.proc.intake,
      work,
      'beta.exe',
      'beta content',
      'ws-beta.example.test',
    );
    await dataRow(/beta\.exe/).waitFor();
    await forwardFile(
      session.proc.intake,
      work,
      'alpha.exe',
      'alpha content',
      'ws-alpha.example.test',
    );
    await forwardFile(
      session.proc.intake,
      work,
      'gamma.doc',
      'gamma content',
      'ws-gamma.example.test',
    );
    await dataRow(/alpha\.exe/).waitFor();
    await dataRow(/gamma\.doc/).waitFor();
    await poll(() => session.page.getByRole('contentinfo').textContent()).toContain('3 items');
    // The Internet-based columns of the guide's table 4-2.
    const headers = await grid().getByRole('columnheader').allTextContents();
    expect(headers.map((h) => h.replace(/[▲▼]/g, ''))).toEqual([
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
    await screenshot(session.page, 'items-live');
  });

  it('sorts on the server by the clicked column, both ways', async () => {
    const header = grid().getByRole('columnheader', { name: /File Name/ });
    await header.getByRole('button').click();
    await poll(() => header.getAttribute('aria-sort')).toBe('ascending');
    await poll(() => rowAt(0).textContent()).toContain('alpha.exe');
    await poll(() => rowAt(2).textContent()).toContain('gamma.doc');
    await header.getByRole('button').click();
    await poll(() => header.getAttribute('aria-sort')).toBe('descending');
    await poll(() => rowAt(0).textContent()).toContain('gamma.doc');
    const computer = grid().getByRole('columnheader', { name: /Computer/ });
    await computer.getByRole('button').click();
    await poll(() => computer.getAttribute('aria-sort')).toBe('ascending');
    await poll(() => rowAt(0).textContent()).toContain('ws-alpha');
    await screenshot(session.page, 'items-sorted');
  });

  it('filters by text and by status', async () => {
    const filter = session.page.getByRole('searchbox', { name: /Filter/ });
    await filter.fill('gamma');
    await poll(() => grid().getByRole('row').count()).toBe(2); // header + one item
    await poll(() => rowAt(0).textContent()).toContain('gamma.doc');
    await filter.fill('');
    await poll(() => grid().getByRole('row').count()).toBe(4);
    const status = session.page.getByRole('combobox', { name: /Status/ });
    await status.selectOption({ label: 'Installed' });
    await session.page.getByText('No items match the filter.').waitFor();
    // The server processes items on its own (scan, submission), so filter by what one shows now.
    await status.selectOption({ label: 'All statuses' });
    await poll(() => grid().getByRole('row').count()).toBe(4);
    const shown = (await rowAt(0).getByRole('gridcell').nth(7).textContent()) ?? '';
    await status.selectOption({ label: shown });
    const statusCells = grid().locator('.lv-body [role="gridcell"][aria-colindex="8"]');
    await poll(async () => {
      const texts = await statusCells.allTextContents();
      return texts.length > 0 && texts.every((text) => text === shown);
    }).toBe(true);
    await status.selectOption({ label: 'All statuses' });
  });

  it('opens item Properties with attributes, their descriptions, history and errors', async () => {
    await dataRow(/alpha\.exe/).dblclick();
    const dialog = session.page.getByRole('dialog', { name: /alpha\.exe Properties/ });
    await dialog.waitFor();
    await poll(() => dialog.getByRole('tabpanel').textContent()).toContain('ws-alpha.example.test');
    // Fix coverage (coverage.get): one endpoint reported this content.
    await poll(() => dialog.getByRole('tabpanel').textContent()).toMatch(
      /\b1 endpoint (that reported this content runs sequence|reported this content)/,
    );
    const tabs = await dialog.getByRole('tab').allTextContents();
    expect(tabs).toEqual(['General', 'Sample Attributes', 'Actions', 'Errors (0)']);

    await dialog.getByRole('tab', { name: 'Sample Attributes' }).click();
    const attributes = dialog.getByRole('grid', { name: 'Sample attributes' });
    const statusRow = attributes.getByRole('row', { name: /X-Sample-Status/ });
    await statusRow.dblclick();
    const description = dialog.getByRole('region', { name: 'Attribute description' });
    const expected = getAttributeSpec('X-Sample-Status')?.description ?? '';
    expect(expected).not.toBe('');
    await poll(() => description.textContent()).toContain(expected);
    // The keyboard equivalent: move to the next attribute and press Enter.
    await statusRow.press('ArrowDown');
    await session.page.keyboard.press('Enter');
    await poll(() => description.textContent()).not.toContain(expected);
    await screenshot(session.page, 'item-attributes');

    await dialog.getByRole('tab', { name: 'Actions' }).click();
    const history = dialog.getByRole('table', { name: 'History' });
    await poll(() => history.textContent()).toContain('intake');
    await dialog.getByRole('button', { name: 'Hold' }).click();
    await poll(() => history.textContent()).toContain('Held');
    // Held items cannot be held again; the button says why.
    const hold = dialog.getByRole('button', { name: 'Hold' });
    await poll(() => hold.isDisabled()).toBe(true);
    expect(await hold.getAttribute('title')).toMatch(/not possible while the sample is held/);
    await screenshot(session.page, 'item-actions');

    await dialog.getByRole('tab', { name: /Errors/ }).click();
    await dialog.getByText('No errors were recorded for this item.').waitFor();
    await session.page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await poll(() => dataRow(/alpha\.exe/).textContent()).toContain('Held');
  });

  it('deletes only after confirmation', async () => {
    await dataRow(/gamma\.doc/).click();
    await grid().press('Delete');
    const confirm = session.page.getByRole('alertdialog', { name: /Delete 1 item/ });
    await confirm.waitFor();
    await screenshot(session.page, 'delete-confirm');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    expect(await dataRow(/gamma\.doc/).count()).toBe(1);

    await dataRow(/gamma\.doc/).click({ button: 'right' });
    await session.page
      .getByRole('menu', { name: 'Item actions' })
      .getByRole('menuitem', { name: /Delete/ })
      .click();
    await confirm.waitFor();
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await dataRow(/gamma\.doc/).waitFor({ state: 'detached' });
    await poll(() =>
      session.page.getByRole('contentinfo').getByRole('status').textContent(),
    ).toContain('Delete: 1 item done');
  });

  it('restores to a folder the administrator confirms, never a relative path', async () => {
    const destination = tempDir('cq-e2e-restore-');
    await dataRow(/beta\.exe/).click({ button: 'right' });
    await session.page
      .getByRole('menu', { name: 'Item actions' })
      .getByRole('menuitem', { name: /Restore/ })
      .click();
    const dialog = session.page.getByRole('alertdialog', { name: /Restore 1 item/ });
    await dialog.waitFor();
    const folder = dialog.getByRole('textbox', { name: /Destination folder/ });
    await folder.fill('relative/folder');
    await dialog.getByText('destination must be an absolute folder path').waitFor();
    expect(await dialog.getByRole('button', { name: 'Restore' }).isDisabled()).toBe(true);
    await folder.fill(destination);
    await screenshot(session.page, 'restore-destination');
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await poll(() => fs.readdirSync(destination)).toEqual(['beta.exe']);
    expect(fs.readFileSync(path.join(destination, 'beta.exe'), 'utf8')).toBe('beta content');

    // A second restore to the same folder does not overwrite unless asked.
    await dataRow(/beta\.exe/).click({ button: 'right' });
    await session.page
      .getByRole('menu', { name: 'Item actions' })
      .getByRole('menuitem', { name: /Restore/ })
      .click();
    await dialog.getByRole('textbox', { name: /Destination folder/ }).fill(destination);
    await dialog.getByRole('button', { name: 'Restore' }).click();
    const refused = session.page.getByRole('dialog', { name: /some items were refused/ });
    await refused.waitFor();
    await refused.getByRole('button', { name: 'Close', exact: true }).click();
  });

  it('is driven by the keyboard: tree and list arrows, Enter, Delete and the menu key', async () => {
    const tree = session.page.getByRole('tree', { name: 'Servers' });
    const root = tree.getByRole('treeitem', { name: /Central Quarantine/ });
    await root.click();
    await poll(() => root.getAttribute('aria-selected'), 'root selected by a click').toBe('true');
    await session.page.keyboard.press('ArrowDown');
    const server = tree.getByRole('treeitem', { level: 2 }).first();
    await poll(() => server.getAttribute('aria-selected'), 'server selected by Down').toBe('true');
    await session.page.getByRole('region', { name: /^Server / }).waitFor();
    await session.page.keyboard.press('ArrowLeft'); // collapse the server
    await poll(() => server.getAttribute('aria-expanded'), 'server collapsed by Left').toBe(
      'false',
    );
    await session.page.keyboard.press('ArrowRight'); // expand again
    await poll(() => server.getAttribute('aria-expanded'), 'server expanded by Right').toBe('true');
    await session.page.keyboard.press('ArrowRight'); // into its first folder
    const items = tree.getByRole('treeitem', { name: 'Quarantined Items' });
    await poll(() => items.getAttribute('aria-selected'), 'first folder by Right').toBe('true');
    await session.page.keyboard.press('ArrowDown');
    await poll(() =>
      tree.getByRole('treeitem', { name: 'Definitions' }).getAttribute('aria-selected'),
    ).toBe('true');
    await session.page.keyboard.press('ArrowUp');
    await poll(() => items.getAttribute('aria-selected'), 'items again by Up').toBe('true');

    await rowAt(0).waitFor();
    await grid().focus();
    // The list may redraw once more after the folder changed; the keys need the grid focused.
    await poll(() =>
      session.page.evaluate(
        'document.activeElement && document.activeElement.getAttribute("role")',
      ),
    ).toBe('grid');
    await session.page.keyboard.press('Home');
    await poll(() => rowAt(0).getAttribute('aria-selected'), 'first row by Home').toBe('true');
    await session.page.keyboard.press('Shift+ArrowDown');
    await poll(() => rowAt(1).getAttribute('aria-selected'), 'second row added by Shift+Down').toBe(
      'true',
    );
    await poll(() => session.page.getByRole('contentinfo').textContent()).toContain('2 selected');
    await session.page.keyboard.press('ArrowDown');
    await session.page.keyboard.press('ArrowUp');
    await poll(() => rowAt(1).getAttribute('aria-selected')).toBe('false');
    await poll(() => rowAt(0).getAttribute('aria-selected'), 'first row alone by Up').toBe('true');

    await session.page.keyboard.press('Enter');
    const properties = session.page.getByRole('dialog', { name: /Properties/ });
    await properties.waitFor();
    await session.page.keyboard.press('Escape');
    await properties.waitFor({ state: 'detached' });
    await poll(() =>
      session.page.evaluate(
        'document.activeElement && document.activeElement.getAttribute("role")',
      ),
    ).toBe('grid');

    await session.page.keyboard.press('Delete');
    const confirm = session.page.getByRole('alertdialog', { name: /Delete/ });
    await confirm.waitFor();
    await session.page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });

    // The second item was never held, so releasing it is not possible, and the menu says why.
    await session.page.keyboard.press('ArrowDown');
    await poll(() => rowAt(1).getAttribute('aria-selected'), 'second row by Down').toBe('true');
    await session.page.keyboard.press('Shift+F10');
    const menu = session.page.getByRole('menu', { name: 'Item actions' });
    await menu.waitFor();
    const release = menu.getByRole('menuitem', { name: 'Release for analysis' });
    expect(
      await release.getAttribute('aria-disabled'),
      `release offered for a sample that was never held: ${await rowAt(1).textContent()}`,
    ).toBe('true');
    expect(await release.getAttribute('title')).toMatch(/not possible while the sample is \w+/);
    await screenshot(session.page, 'context-menu');
    await session.page.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });
    await session.page.keyboard.press('ContextMenu');
    await menu.waitFor();
    await session.page.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });

    // Ctrl+A selects everything the filter shows; Delete then asks about all of it.
    await session.page.keyboard.press('Control+a');
    await poll(() => session.page.getByRole('contentinfo').textContent()).toContain('2 selected');
    await session.page.keyboard.press('Delete');
    await session.page.getByRole('alertdialog', { name: 'Delete 2 items' }).waitFor();
    await session.page.keyboard.press('Escape');
    // Ctrl+click adds to and removes from the selection.
    await rowAt(0).click();
    await poll(() => session.page.getByRole('contentinfo').textContent()).toContain('1 selected');
    await rowAt(1).click({ modifiers: ['Control'] });
    await poll(() => session.page.getByRole('contentinfo').textContent()).toContain('2 selected');
    await rowAt(0).click({ modifiers: ['Control'] });
    await poll(() => rowAt(0).getAttribute('aria-selected')).toBe('false');
    await poll(() => session.page.getByRole('contentinfo').textContent()).toContain('1 selected');
  });

  it('follows the light or dark theme of the system', async () => {
    const background = (p: Page): Promise<string> =>
      p.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    const light = await background(session.page);
    const dark = await session.browser.newContext({
      viewport: { width: 1280, height: 800 },
      colorScheme: 'dark',
    });
    const darkPage = await dark.newPage();
    await darkPage.goto(session.proc.url);
    await darkPage
      .getByRole('grid', { name: /Quarantined items/ })
      .getByRole('row', { name: /alpha\.exe/ })
      .waitFor();
    expect(await background(darkPage)).not.toBe(light);
    await screenshot(darkPage, 'items-dark');
    await dark.close();
  });

  it('resizes and reorders columns, and opens them as they were left', async () => {
    const header = (name: string): Locator =>
      grid().getByRole('columnheader', { name: new RegExp(`^${name}`) });
    const headerNames = async (): Promise<string[]> =>
      (await grid().getByRole('columnheader').allTextContents()).map((t) =>
        t.replace(/[▲▼]/g, '').trim(),
      );
    const widthOf = async (name: string): Promise<number> =>
      Math.round((await header(name).boundingBox())!.width);

    const before = await widthOf('File Name');
    const grip = grid().getByRole('separator', { name: 'Resize File Name' });
    const box = (await grip.boundingBox())!;
    await session.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await session.page.mouse.down();
    await session.page.mouse.move(box.x + box.width / 2 + 80, box.y + box.height / 2, { steps: 5 });
    await session.page.mouse.up();
    await poll(() => widthOf('File Name')).toBe(before + 80);
    // The grip is a focusable separator: the arrow keys resize too.
    await grip.focus();
    await session.page.keyboard.press('ArrowRight');
    await poll(() => grip.getAttribute('aria-valuenow')).toBe(String(before + 90));

    expect((await headerNames())[0]).toBe('File Name');
    await header('Computer').dragTo(header('File Name'), { targetPosition: { x: 5, y: 10 } });
    await poll(async () => (await headerNames()).slice(0, 2)).toEqual(['Computer', 'File Name']);
    // Cells follow their headers.
    expect(
      await dataRow(/alpha\.exe/)
        .getByRole('gridcell')
        .first()
        .textContent(),
    ).toBe('ws-alpha.example.test');
    // From the keyboard: Alt with an arrow key on a grip moves its column, and the grip keeps
    // the focus so that the move can be repeated.
    const third = (await headerNames())[2]!;
    const firstThree = async (): Promise<string[]> => (await headerNames()).slice(0, 3);
    const computerGrip = grid().getByRole('separator', { name: 'Resize Computer' });
    // Keys the grip does not use do not reach the list: Delete and Enter on it neither ask to
    // delete nor open the selected item. Each is followed by a resize, which only happens if
    // the focus is still on the grip (a dialog would have taken it).
    await dataRow(/alpha\.exe/).click();
    await poll(() => dataRow(/alpha\.exe/).getAttribute('aria-selected')).toBe('true');
    await computerGrip.focus();
    let computerWidth = Number(await computerGrip.getAttribute('aria-valuenow'));
    for (const key of ['Delete', 'Enter']) {
      await session.page.keyboard.press(key);
      await session.page.keyboard.press('Shift+ArrowRight');
      computerWidth += 50;
      await poll(() => computerGrip.getAttribute('aria-valuenow'), `resized after ${key}`).toBe(
        String(computerWidth),
      );
      expect(await session.page.getByRole('alertdialog').count()).toBe(0);
      expect(await session.page.getByRole('dialog').count()).toBe(0);
    }
    await session.page.keyboard.press('Alt+ArrowRight');
    await poll(firstThree).toEqual(['File Name', 'Computer', third]);
    await session.page.keyboard.press('Alt+ArrowRight');
    await poll(firstThree).toEqual(['File Name', third, 'Computer']);
    expect(
      await session.page.evaluate(
        'document.activeElement && document.activeElement.getAttribute("aria-label")',
      ),
    ).toBe('Resize Computer');
    await session.page.keyboard.press('Alt+ArrowLeft');
    await session.page.keyboard.press('Alt+ArrowLeft');
    await poll(firstThree).toEqual(['Computer', 'File Name', third]);
    // Already first: nothing moves (read once a later key has visibly been handled).
    await session.page.keyboard.press('Alt+ArrowLeft');
    await session.page.keyboard.press('Shift+ArrowLeft');
    computerWidth -= 50;
    await poll(() => computerGrip.getAttribute('aria-valuenow')).toBe(String(computerWidth));
    expect(await firstThree()).toEqual(['Computer', 'File Name', third]);

    await session.page.reload();
    await grid().waitFor();
    await poll(async () => (await headerNames()).slice(0, 2)).toEqual(['Computer', 'File Name']);
    expect(await widthOf('File Name')).toBe(before + 90);
    await screenshot(session.page, 'items-columns');

    // Reset columns brings back the default order and widths, also after a reload.
    await session.page.getByRole('button', { name: 'Reset columns' }).click();
    await poll(async () => (await headerNames()).slice(0, 2)).toEqual(['File Name', 'User Name']);
    expect(await widthOf('File Name')).toBe(before);
    expect(await session.page.getByRole('button', { name: 'Reset columns' }).count()).toBe(0);
    await session.page.reload();
    await grid().waitFor();
    await poll(async () => (await headerNames()).slice(0, 2)).toEqual(['File Name', 'User Name']);
    expect(await widthOf('File Name')).toBe(before);
  });

  it('reported no script errors or policy violations', () => {
    expect(session.problems.errors).toEqual([]);
  });
});
