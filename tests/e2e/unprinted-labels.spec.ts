// Labels the printer did not take, in Chromium through the real station core: the slot card says so,
// History lists them with the printer's answer, and once an admin names a working printer a reprint
// (with its reason) takes the handset off the list.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStationLabels } from '../../src/main/station/label-setup.ts';
import { openStationRecords } from '../../src/main/records/station-records.ts';
import { SETTINGS_FILE } from '../../src/main/station/settings.ts';
import { recordFor, TECHNICIAN } from '../integration/records/fixture.ts';
import { ADMIN, SUPERVISOR } from './depot.ts';
import { expect, uiTest as test, depotPerTest } from './fixtures.ts';
import { expectFocusTrapped, fill, LANGUAGE_MESSAGES, openSignedIn, setFilePrinter, shoot } from './ui-flow.ts';

const TIMING = { linkBytesPerSecond: 40_000_000, flashBytesPerSecond: 80_000_000, rebootMs: 1_000 };
const SERIALS = ['UNP0001', 'UNP0002'];

test.use({ viewport: { width: 1366, height: 768 }, locale: 'en-GB' });
test.describe.configure({ timeout: 180_000 });

const openDepot = depotPerTest();

/** Provisioned, tagged handsets whose first label went to a printer path no file can be written at. */
async function seedUnprinted(dataDir: string): Promise<void> {
  const records = openStationRecords(dataDir);
  try {
    const batch = records.startBatch({ name: 'unprinted', product: 'lockstep-ref', bundleHash: recordFor(0).bundleHash, bundleVersion: 'LSR-14.2.0', operatorId: TECHNICIAN.id, assetTagPattern: 'UL-{seq:04}' });
    const unwritable = `file:${join(records.databasePath, 'labels', 'label.png')}`;
    writeFileSync(join(dataDir, SETTINGS_FILE), JSON.stringify({ labelPrinter: { address: unwritable, format: 'png', template: '2x1-203' } }));
    const labels = await openStationLabels({ databasePath: records.databasePath });
    for (const serial of SERIALS) {
      const device = records.registerDevice({ batchId: batch.id, serial, identity: {} });
      const record = records.commitProvisioningRecord(recordFor(device.id, { outcome: 'provisioned', failedStep: null, failureCode: null, failureReason: null }));
      await labels.labelStep().label(record, new AbortController().signal);
    }
    await labels.service.idle();
  } finally {
    records.close();
  }
}

test('the card and History show unprinted labels, and a reprint to a working printer takes one off', async ({ page, rendererUrl }, testInfo) => {
  const m = LANGUAGE_MESSAGES.en;
  const depot = await openDepot({ devices: [{ serial: 'UNPDEV1', usbPort: '1-1.1' }], timing: TIMING });
  await seedUnprinted(join(depot.dir, 'station'));
  const problems = await openSignedIn(page, depot.station, rendererUrl, m, ADMIN);
  const nav = page.getByRole('navigation');

  // A handset provisioned while the printer cannot take its label: its card says so.
  await page.getByRole('button', { name: m.setup.verify }).click();
  await expect(page.getByTestId('bundle-facts')).toContainText(m.setup.verified);
  await page.getByLabel(m.setup.expected).fill('1');
  await page.getByRole('button', { name: m.setup.start }).click();
  const gate = page.getByRole('dialog', { name: m.gate.title });
  await gate.getByLabel(m.gate.supervisorId).fill(SUPERVISOR.id);
  await gate.getByLabel(m.gate.supervisorPin).fill(SUPERVISOR.pin);
  await gate.getByRole('button', { name: m.gate.authorise }).click();
  await expect(gate).toBeHidden();
  depot.handset('UNPDEV1').plugIn();
  const card = page.getByRole('article', { name: fill(m.grid.slotNumber, { number: 1 }), exact: true });
  await expect(card).toContainText(m.phase.provisioned, { timeout: 90_000 });
  await expect(card).toContainText(m.grid.labelNotPrinted);
  await shoot(page, testInfo, 'en', '12-label-not-printed');

  await nav.getByRole('button', { name: m.nav.history }).click();
  const section = page.getByRole('region', { name: fill(m.unprinted.title_other, { count: 3 }) });
  const table = section.getByRole('table', { name: m.unprinted.table });
  await expect(table.locator('tbody tr')).toHaveCount(3);
  const refused = m.unprinted.failed.slice(0, m.unprinted.failed.indexOf('{{'));
  for (const serial of SERIALS) await expect(table.locator('tbody tr', { hasText: serial })).toContainText(refused);
  await shoot(page, testInfo, 'en', '13-unprinted-labels');

  // A working printer: one file per tag, so the reprint's own file can be looked for.
  const labelFile = join(depot.dir, 'label-{tag}.png');
  await nav.getByRole('button', { name: m.nav.settings }).click();
  await setFilePrinter(page, m, `file:${labelFile}`);

  await nav.getByRole('button', { name: m.nav.history }).click();
  const openReprint = page.getByRole('button', { name: fill(m.unprinted.reprintLabel, { serial: 'UNP0001' }) });
  await openReprint.click();
  const dialog = page.getByRole('dialog');
  await expectFocusTrapped(page, dialog, dialog.getByLabel(m.labels.reprintReason));
  await dialog.getByLabel(m.labels.reprintReason).fill('printer path was wrong');
  await dialog.getByRole('button', { name: m.labels.reprint }).click();
  await expect(dialog.getByRole('status')).toBeVisible();
  await expect.poll(() => existsSync(labelFile.replace('{tag}', 'UL-0001'))).toBe(true);
  await dialog.getByRole('button', { name: m.common.close }).click();

  // The list is read on closing and on every visit; the printer's answer is recorded just after the file.
  await expect(async () => {
    await nav.getByRole('button', { name: m.nav.station }).click();
    await nav.getByRole('button', { name: m.nav.history }).click();
    await expect(page.getByRole('region', { name: fill(m.unprinted.title_other, { count: 2 }) })).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  const rows = page.getByRole('table', { name: m.unprinted.table }).locator('tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText('UNP0002');
  await expect(rows.last()).toContainText('UNPDEV1');
  expect(problems).toEqual([]);
});
