// Issue 20 #12: dates and times follow the system's full locale, not the UI language alone. An English
// station in Britain shows History's times as 5 Dec 2026, 14:14:47 (day first, 24-hour clock), one in the
// United States as Dec 5, 2026, 2:14:47 PM; both read the same English words everywhere else.
import { join } from 'node:path';
import { openStationRecords } from '../../src/main/records/station-records.ts';
import { BUNDLE_HASH, recordFor } from '../integration/records/fixture.ts';
import { ADMIN, TECHNICIAN } from './depot.ts';
import { depotPerTest, expect, uiTest as test } from './fixtures.ts';
import { LANGUAGE_MESSAGES, openSignedIn } from './ui-flow.ts';

const TIMING = { linkBytesPerSecond: 40_000_000, flashBytesPerSecond: 80_000_000, rebootMs: 1_000 };
const openDepot = depotPerTest();

/** One record as an earlier shift left it, written before the UI opens. */
function seedRecord(dataDir: string): void {
  const records = openStationRecords(dataDir);
  try {
    const batch = records.startBatch({ name: 'earlier shift', product: 'lockstep-ref', bundleHash: BUNDLE_HASH, bundleVersion: 'LSR-14.2.0', operatorId: TECHNICIAN.id });
    const device = records.registerDevice({ batchId: batch.id, serial: 'DATE0001', identity: {} });
    records.commitProvisioningRecord(recordFor(device.id));
  } finally {
    records.close();
  }
}

// Chromium's ICU may put a narrow no-break space before AM/PM: \s matches it.
const SHAPES = {
  'en-GB': { shown: /^\d{1,2} [A-Z][a-z]{2} \d{4},? \d{2}:\d{2}:\d{2}$/, never: /\b[AP]M\b|[A-Z][a-z]{2} \d{1,2}, \d{4}/ },
  'en-US': { shown: /^[A-Z][a-z]{2} \d{1,2}, \d{4},? \d{1,2}:\d{2}:\d{2}\s[AP]M$/, never: /\b\d{1,2} [A-Z][a-z]{2} \d{4}/ },
} as const;

for (const [locale, shape] of Object.entries(SHAPES)) {
  test.describe(`an English station in ${locale}`, () => {
    test.use({ locale, viewport: { width: 1366, height: 768 } });

    test('History shows the record time in the region\'s own date and clock', async ({ page, rendererUrl }) => {
      const m = LANGUAGE_MESSAGES.en;
      const depot = await openDepot({ devices: [{ serial: 'IDLE0001', usbPort: '1-1.1' }], timing: TIMING });
      seedRecord(join(depot.dir, 'station'));
      const problems = await openSignedIn(page, depot.station, rendererUrl, m, ADMIN);
      await page.getByRole('navigation').getByRole('button', { name: m.nav.history }).click();
      const row = page.getByRole('table', { name: m.history.table }).locator('tbody tr').first();
      await expect(row).toContainText('DATE0001');
      // The second cell, after the record's number.
      const time = row.getByRole('cell').nth(1);
      await expect(time).toHaveText(shape.shown);
      await expect(time).not.toHaveText(shape.never);
      expect(problems).toEqual([]);
    });
  });
}
