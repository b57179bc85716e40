// Issue 20 #17 as the operator meets it, in English and Chinese: a failed AT check gives one next action,
// right for what the checks found on a handset already fused and locked, and the same on the card, in
// the detail view and in the record (whose text says what failed, never a second, different action).
// An IMEI the handset did not give: retry the checks (and Retry provisions it, nothing flashed again);
// an invalid IMEI: the repair bench; a camera the burned fuse should have disabled: an alarm, quarantined.
import type { Locator, Page } from '@playwright/test';
import type { RecordList } from '../../src/shared/api.ts';
import { depotPerTest, expect, uiTest as test } from './fixtures.ts';
import { fill, LANGUAGE_LOCALES, LANGUAGE_MESSAGES, openAuthorisedBatch, untranslated, type Messages } from './ui-flow.ts';

const DEVICES = [
  { serial: 'CHKRETRY1', faults: [{ kind: 'fail', on: 'at', command: 'AT+CGSN', message: '+CME ERROR: 10', times: 1 }] },
  { serial: 'CHKIMEI02', imei: '490154203237519' },
  { serial: 'CHKCAM003', faults: [{ kind: 'capability-lie', capability: 'camera' }] },
];
const TIMING = { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 300 };
/** What each handset's checks found, as its failure code. */
const CODES = { CHKRETRY1: 'CHECK_FAILED', CHKIMEI02: 'HANDSET_FAULTY', CHKCAM003: 'CHECK_ALARM' } as const;
/** Advice the profiles' failure texts used to carry, which contradicted the card: never in a record again. */
const OTHER_ADVICE = /flash step|retry|repair bench|quarantine|set it aside/i;

test.use({ viewport: { width: 1366, height: 768 } });
test.describe.configure({ timeout: 150_000 });

const openDepot = depotPerTest();

/** The handset's detail: its failed step and record text, and the next action the card gave, checked against one another. */
async function expectOneAction(page: Page, m: Messages, card: Locator, position: number, serial: keyof typeof CODES): Promise<void> {
  const code = CODES[serial];
  await expect(card).toContainText(m.failure[code].what);
  await expect(card.locator('.reason-action')).toContainText(code === 'CHECK_ALARM' ? m.quarantine.action : m.failure[code].action);
  await card.getByRole('button', { name: fill(m.grid.detailsLabel, { slot: fill(m.grid.slotNumber, { number: position }) }) }).click();
  const detail = page.getByRole('dialog', { name: fill(m.detail.title, { serial }) });
  // The record's failed step: the failure in words with its code beside it (and the station's own sentence).
  const failed = detail.getByRole('definition').filter({ has: page.locator('.code', { hasText: new RegExp(`^${code}$`) }) });
  await expect(failed).toHaveCount(1);
  await expect(failed).not.toContainText(OTHER_ADVICE);
  await detail.getByRole('button', { name: m.common.close }).click();
}

for (const [language, locale] of LANGUAGE_LOCALES) {
  test.describe(`in ${language}`, () => {
    test.use({ locale });

    test('failed AT checks: one next action each, the same on the card and in the record; Retry re-runs only the checks', async ({ page, rendererUrl }) => {
      const m = LANGUAGE_MESSAGES[language];
      const depot = await openDepot({ devices: DEVICES, timing: TIMING });
      const { station } = depot;
      await openAuthorisedBatch(page, depot, rendererUrl, DEVICES.length);
      const grid = page.getByRole('list', { name: m.grid.slots });
      const cardOf = (serial: string): Locator => grid.getByRole('article').filter({ hasText: serial });

      // One at a time, so each takes the next place of the grid.
      for (const [index, device] of DEVICES.entries()) {
        depot.handset(device.serial).plugIn();
        await expect(cardOf(device.serial)).toHaveAttribute('aria-label', fill(m.grid.slotNumber, { number: index + 1 }));
      }
      const retrying = cardOf('CHKRETRY1');
      await expect(retrying).toContainText(fill(m.phase.failed, { step: m.steps.checks }), { timeout: 90_000 });
      await expect(cardOf('CHKIMEI02')).toContainText(fill(m.phase.failed, { step: m.steps.checks }), { timeout: 90_000 });
      await expect(cardOf('CHKCAM003').locator('.slot-head .badge-text')).toHaveText(m.quarantine.state, { timeout: 90_000 });

      await expectOneAction(page, m, retrying, 1, 'CHKRETRY1');
      await expectOneAction(page, m, cardOf('CHKIMEI02'), 2, 'CHKIMEI02');
      await expectOneAction(page, m, cardOf('CHKCAM003'), 3, 'CHKCAM003');
      await expect(cardOf('CHKCAM003').getByRole('button', { name: fill(m.grid.retryLabel, { slot: fill(m.grid.slotNumber, { number: 3 }) }) })).toBeDisabled();
      expect(await untranslated(page, language)).toEqual([]);

      // The next action on the card is what Retry does: the checks run again on the booted handset and it is provisioned.
      const records = async (): Promise<number> => ((await station['records.list']({ limit: 50 })) as RecordList).total;
      const before = await records();
      await retrying.getByRole('button', { name: fill(m.grid.retryLabel, { slot: fill(m.grid.slotNumber, { number: 1 }) }) }).click();
      await expect(retrying).toContainText(m.phase.provisioned, { timeout: 60_000 });
      expect(await records()).toBe(before + 1);
    });
  });
}
