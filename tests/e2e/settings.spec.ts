// Issue 11's settings, edited in Chromium through the real station core: an admin names a slot (the
// live grid shows the name), sets a file: label printer and tests its state, and adds a technician,
// who can then sign in and cannot change any of it; an admin disables a technician and enables them
// again, and resets their PIN, each change journaled with who made it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN, TECHNICIAN } from './depot.ts';
import { expect, uiTest as test, depotPerTest } from './fixtures.ts';
import type { Page, TestInfo } from '@playwright/test';
import { escapeRegExp, expectFocusTrapped, fill, LANGUAGE_MESSAGES, openSignedIn, setFilePrinter, shoot, signIn, untranslated } from './ui-flow.ts';

const TIMING = { linkBytesPerSecond: 40_000_000, flashBytesPerSecond: 80_000_000, rebootMs: 1_000 };
const NEWCOMER = { id: 'tech.new', pin: '13572468', name: 'N. Newcomer' };

test.use({ viewport: { width: 1366, height: 768 }, locale: 'en-GB' });
test.describe.configure({ timeout: 180_000 });

const openDepot = depotPerTest();

test('an admin names a slot, sets a file: printer and adds a technician who can then sign in', async ({ page, rendererUrl }, testInfo) => {
  const m = LANGUAGE_MESSAGES.en;
  const depot = await openDepot({ devices: [{ serial: 'SET0001', usbPort: '1-1.1' }], timing: TIMING });
  const dataDir = join(depot.dir, 'station');
  const problems = await openSignedIn(page, depot.station, rendererUrl, m, ADMIN);

  // A batch runs, so the grid is on screen while its slots are named.
  await page.getByLabel(m.setup.bundlePath).fill(depot.bundlePath);
  await page.getByRole('button', { name: m.setup.verify }).click();
  await expect(page.getByTestId('bundle-facts')).toContainText(m.setup.verified);
  await page.getByLabel(m.setup.expected).fill('1');
  await page.getByRole('button', { name: m.setup.start }).click();
  const gate = page.getByRole('dialog', { name: m.gate.title });
  await gate.getByRole('button', { name: m.common.cancel }).click();
  const nav = page.getByRole('navigation');

  // Slot names: a bad slot is refused naming the field, then 1-1.1 is named A4.
  await nav.getByRole('button', { name: m.nav.settings }).click();
  const slotForm = page.getByRole('form', { name: m.settings.nameSlot });
  await slotForm.getByLabel(m.settings.slotPath).fill('1-1.999');
  await slotForm.getByLabel(m.settings.slotName).fill('A4');
  await slotForm.getByRole('button', { name: m.settings.saveSlotName }).click();
  await expect(page.getByRole('alert')).toContainText('at slot');
  await slotForm.getByLabel(m.settings.slotPath).fill('1-1.1');
  await slotForm.getByLabel(m.settings.slotName).fill('A4');
  await slotForm.getByRole('button', { name: m.settings.saveSlotName }).click();
  await expect(page.getByRole('status').filter({ hasText: fill(m.settings.slotNameSaved, { slot: '1-1.1', name: 'A4' }) })).toBeVisible();
  await expect(page.getByRole('table', { name: m.settings.slotNames })).toContainText('A4');
  await expect(page.getByRole('button', { name: fill(m.settings.clearSlot, { slot: '1-1.1' }) })).toBeVisible();

  // The label printer: a file, PNG, a shipped template; its state asked now.
  const labelFile = join(depot.dir, 'label.png');
  await setFilePrinter(page, m, `file:${labelFile}`);
  await page.getByRole('button', { name: m.settings.testPrinter }).click();
  await expect(page.getByTestId('printer-state')).toHaveText(new RegExp(escapeRegExp(fill(m.labels.unknown, { address: `file:${labelFile}` }))));

  // Operators: the admin's own PIN proves the change; the initial PIN is typed twice.
  await page.getByLabel(m.settings.adminPin).fill(ADMIN.pin);
  const addForm = page.getByRole('form', { name: m.settings.addOperator });
  await addForm.getByLabel(m.settings.operatorId).fill(NEWCOMER.id);
  await addForm.getByLabel(m.settings.operatorName).fill(NEWCOMER.name);
  await addForm.getByLabel(m.settings.role).selectOption('technician');
  await addForm.getByLabel(m.settings.newPin, { exact: true }).fill(NEWCOMER.pin);
  await addForm.getByLabel(m.settings.newPinRepeat).fill(NEWCOMER.pin);
  await addForm.getByRole('button', { name: m.settings.addOperatorButton }).click();
  await expect(page.getByRole('status').filter({ hasText: fill(m.settings.operatorAdded, { id: NEWCOMER.id, name: NEWCOMER.name }) })).toBeVisible();
  const operators = page.getByRole('table', { name: m.settings.operators });
  await expect(operators.locator('tbody tr')).toHaveCount(4);
  await expect(operators).toContainText(NEWCOMER.name);
  await expect(page.getByLabel(m.settings.adminPin)).toHaveValue('');
  await shoot(page, testInfo, 'en', '11-settings-edited');

  // The grid shows the name at once: the empty slot, then the handset plugged into it.
  await nav.getByRole('button', { name: m.nav.station }).click();
  const slot = page.getByRole('article', { name: 'A4', exact: true });
  await expect(slot).toBeVisible();
  depot.handset('SET0001').plugIn();
  await expect(slot).toContainText('SET0001', { timeout: 60_000 });

  // Written to the data folder, the depot's file and the labels subsystem agree.
  const written = JSON.parse(readFileSync(join(dataDir, 'station-settings.json'), 'utf8')) as Record<string, unknown>;
  expect(written).toMatchObject({ slotNames: { '1-1.1': 'A4' }, labelPrinter: { address: `file:${labelFile}`, format: 'png', template: '2x1-203' } });

  // The new technician signs in, and can change none of it.
  await page.getByRole('button', { name: m.nav.signOut }).click();
  await signIn(page, m, NEWCOMER);
  await expect(page.getByTestId('operator')).toContainText(NEWCOMER.name);
  await nav.getByRole('button', { name: m.nav.settings }).click();
  await expect(page.getByRole('heading', { name: m.settings.trust })).toBeVisible();
  await expect(page.getByRole('heading', { name: m.settings.operators })).toHaveCount(0);
  await expect(page.getByRole('form', { name: m.settings.nameSlot })).toHaveCount(0);
  await expect(page.getByRole('form', { name: m.settings.setPrinter })).toHaveCount(0);
  await expect(page.getByRole('table', { name: m.settings.slotNames })).toContainText('A4');
  expect(problems).toEqual([]);
});

for (const language of ['en', 'zh-CN'] as const) {
  test.describe(`operator changes in ${language}`, () => {
    test.use({ locale: language === 'en' ? 'en-GB' : 'zh-CN' });
    test('an admin disables and re-enables a technician and resets their PIN; the journal names the admin', async ({ page, rendererUrl }, testInfo) => {
      await operatorChanges(page, rendererUrl, language, testInfo);
    });
  });
}

/** English UI text on the page, less what is the admin's display name ("Depot Admin"): data, not UI. */
async function untranslatedUi(page: Page, language: keyof typeof LANGUAGE_MESSAGES): Promise<string[]> {
  return (await untranslated(page, language)).filter((fragment) => !ADMIN.name.includes(fragment));
}

async function operatorChanges(page: Page, rendererUrl: string, language: keyof typeof LANGUAGE_MESSAGES, testInfo: TestInfo): Promise<void> {
  const m = LANGUAGE_MESSAGES[language];
  const depot = await openDepot({ devices: [{ serial: 'IDLE0001', usbPort: '1-1.1' }], timing: TIMING });
  const newPin = '86420975';
  const problems = await openSignedIn(page, depot.station, rendererUrl, m, ADMIN);
  const nav = page.getByRole('navigation');
  await nav.getByRole('button', { name: m.nav.settings }).click();
  const operators = page.getByRole('table', { name: m.settings.operators });
  const technicianRow = operators.locator('tbody tr').filter({ hasText: TECHNICIAN.id });
  const status = (text: string) => page.getByRole('status').filter({ hasText: text });

  // Disabled, then enabled again, each confirmed by the admin's own PIN.
  await page.getByLabel(m.settings.adminPin).fill(ADMIN.pin);
  await page.getByRole('button', { name: fill(m.settings.disableOperator, { id: TECHNICIAN.id }) }).click();
  await expect(status(fill(m.settings.disabledDone, { id: TECHNICIAN.id }))).toBeVisible();
  await expect(technicianRow).toContainText(m.settings.disabled);
  const enable = page.getByRole('button', { name: fill(m.settings.enableOperator, { id: TECHNICIAN.id }) });
  await expect(enable).toBeDisabled();
  await page.getByLabel(m.settings.adminPin).fill(ADMIN.pin);
  await enable.click();
  await expect(status(fill(m.settings.enabledDone, { id: TECHNICIAN.id }))).toBeVisible();
  await expect(technicianRow).toContainText(m.settings.active);

  // PIN reset in its dialog: the PINs must agree, the policy is the station's, the admin's PIN confirms it.
  const openReset = page.getByRole('button', { name: fill(m.settings.resetPinOperator, { id: TECHNICIAN.id }) });
  await openReset.click();
  const dialog = page.getByRole('dialog', { name: fill(m.settings.resetPinTitle, { id: TECHNICIAN.id }) });
  await expectFocusTrapped(page, dialog, dialog.getByLabel(m.settings.adminPin));
  await dialog.getByLabel(m.settings.adminPin).fill(ADMIN.pin);
  await dialog.getByLabel(m.settings.resetPinNew, { exact: true }).fill(newPin);
  await dialog.getByLabel(m.settings.resetPinRepeat).fill('86420976');
  await expect(dialog.getByRole('alert')).toHaveText(m.settings.pinsDiffer);
  await expect(dialog.getByRole('button', { name: m.settings.resetPinButton })).toBeDisabled();
  await dialog.getByLabel(m.settings.resetPinNew, { exact: true }).fill('1234');
  await dialog.getByLabel(m.settings.resetPinRepeat).fill('1234');
  await dialog.getByRole('button', { name: m.settings.resetPinButton }).click();
  await expect(dialog.getByRole('alert')).toContainText(m.errors.PIN_INVALID);
  await expect(dialog.getByLabel(m.settings.adminPin)).toHaveValue('');
  expect(await untranslatedUi(page, language)).toEqual([]);
  await dialog.getByLabel(m.settings.adminPin).fill(ADMIN.pin);
  await dialog.getByLabel(m.settings.resetPinNew, { exact: true }).fill(newPin);
  await dialog.getByLabel(m.settings.resetPinRepeat).fill(newPin);
  await dialog.getByRole('button', { name: m.settings.resetPinButton }).click();
  await expect(dialog).toHaveCount(0);
  await expect(openReset).toBeFocused();
  await expect(status(fill(m.settings.pinResetDone, { id: TECHNICIAN.id }))).toBeVisible();

  // The journal: newest first, what and by whom, never a PIN.
  const journal = page.getByRole('table', { name: m.settings.changes });
  const entries = journal.locator('tbody tr').filter({ hasText: TECHNICIAN.id });
  await expect(entries.nth(0)).toContainText(m.settings.change['pin-reset']);
  await expect(entries.nth(1)).toContainText(m.settings.change.enabled);
  await expect(entries.nth(2)).toContainText(m.settings.change.disabled);
  for (const row of await entries.all()) await expect(row).toContainText(ADMIN.id);
  await expect(journal).not.toContainText(newPin);
  expect(await untranslatedUi(page, language)).toEqual([]);
  await shoot(page, testInfo, language, '11-settings-operator-changes');

  // The old PIN no longer signs in; the new one does.
  await page.getByRole('button', { name: m.nav.signOut }).click();
  await signIn(page, m, TECHNICIAN);
  await expect(page.getByRole('alert')).toContainText(m.errors.SIGN_IN_FAILED);
  await signIn(page, m, { id: TECHNICIAN.id, pin: newPin });
  await expect(page.getByTestId('operator')).toContainText(TECHNICIAN.name);
  expect(problems).toEqual([]);
}
