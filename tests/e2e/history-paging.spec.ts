// History a page at a time: a station with more records than a page shows the newest page, and
// "Show older records" adds the next until the last; a scanned serial finds its one record among
// them, and search text that is SQL or a LIKE pattern finds nothing it should not.
import { join } from 'node:path';
import { openStationRecords } from '../../src/main/records/station-records.ts';
import { BUNDLE_HASH, recordFor } from '../integration/records/fixture.ts';
import { ADMIN, TECHNICIAN } from './depot.ts';
import { depotPerTest, expect, uiTest as test } from './fixtures.ts';
import { fill, LANGUAGE_MESSAGES, openSignedIn } from './ui-flow.ts';

const TIMING = { linkBytesPerSecond: 40_000_000, flashBytesPerSecond: 80_000_000, rebootMs: 1_000 };
const RECORDS = 120;
const PAGE = 50;

test.use({ viewport: { width: 1366, height: 768 }, locale: 'en-GB' });
test.describe.configure({ timeout: 180_000 });

const openDepot = depotPerTest();

/** Records as an earlier shift left them, written to the station's database before the UI opens. */
function seedRecords(dataDir: string): void {
  const records = openStationRecords(dataDir);
  try {
    const batch = records.startBatch({ name: 'earlier shift', product: 'lockstep-ref', bundleHash: BUNDLE_HASH, bundleVersion: 'LSR-14.2.0', operatorId: TECHNICIAN.id });
    for (let n = 1; n <= RECORDS; n += 1) {
      const device = records.registerDevice({ batchId: batch.id, serial: `PG${String(n).padStart(4, '0')}`, identity: {} });
      records.commitProvisioningRecord(recordFor(device.id));
    }
  } finally {
    records.close();
  }
}

test('History shows the newest page of records and older pages on request; a scanned serial finds its record', async ({ page, rendererUrl }) => {
  const m = LANGUAGE_MESSAGES.en;
  const depot = await openDepot({ devices: [{ serial: 'IDLE0001', usbPort: '1-1.1' }], timing: TIMING });
  seedRecords(join(depot.dir, 'station'));
  const problems = await openSignedIn(page, depot.station, rendererUrl, m, ADMIN);
  await page.getByRole('navigation').getByRole('button', { name: m.nav.history }).click();

  const table = page.getByRole('table', { name: m.history.table });
  const rows = table.locator('tbody tr');
  const older = page.getByRole('button', { name: m.history.loadMore });
  const count = (shown: number) => page.getByRole('status').filter({ hasText: fill(m.history.count, { shown, total: RECORDS }) });
  await expect(rows).toHaveCount(PAGE);
  await expect(rows.first()).toContainText('PG0120');
  await expect(count(PAGE)).toBeVisible();

  await older.click();
  await expect(rows).toHaveCount(2 * PAGE);
  await expect(rows.nth(PAGE)).toContainText('PG0070');
  await older.click();
  await expect(rows).toHaveCount(RECORDS);
  await expect(rows.last()).toContainText('PG0001');
  await expect(older).toHaveCount(0);
  await expect(page.getByText(m.history.allShown)).toBeVisible();

  // A scanner types the serial and presses Enter: one record, no older page.
  const search = page.getByRole('searchbox', { name: m.history.search });
  await search.click();
  await page.keyboard.type('PG0042');
  await page.keyboard.press('Enter');
  await expect(rows).toHaveCount(1);
  await expect(table).toContainText('PG0042');
  await expect(older).toHaveCount(0);

  // A substring pages like the whole list; SQL and LIKE patterns are only text.
  await search.fill('PG00');
  await search.press('Enter');
  await expect(rows).toHaveCount(PAGE);
  await older.click();
  await expect(rows).toHaveCount(99);
  for (const hostile of ["' OR 1=1 --", '%', 'PG_0']) {
    await search.fill(hostile);
    await search.press('Enter');
    await expect(rows).toHaveCount(0);
  }
  expect(problems).toEqual([]);
});
