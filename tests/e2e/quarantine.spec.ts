// Issue 20 #4 as the operator meets it, in English and Chinese: a fuse read-back alarm quarantines the
// handset, and its card says so in its own words and icon (not "Failed at Fuse"), keeps the alarm, and
// offers no Retry, saying why. A retry sent anyway (as a stale window or a script would) is refused by
// the station before anything runs: no new record, the card unchanged. History, the record and the
// handset's detail keep the alarm as a quarantine too.
import type { PipelineSnapshot } from '../../src/shared/pipeline.ts';
import type { RecordList } from '../../src/shared/api.ts';
import { depotPerTest, expect, uiTest as test } from './fixtures.ts';
import { escapeRegExp, fill, LANGUAGE_LOCALES, LANGUAGE_MESSAGES, openAuthorisedBatch, shoot, untranslated } from './ui-flow.ts';

const ALARM = 'FUSEALARM';
const DEVICES = [{ serial: 'QGOOD001' }, { serial: ALARM, faults: [{ kind: 'fuse-readback', bank: 3, word: 0, clearBits: 32 }] }];
const TIMING = { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 300 };

test.use({ viewport: { width: 1366, height: 768 } });
test.describe.configure({ timeout: 120_000 });

const openDepot = depotPerTest();

for (const [language, locale] of LANGUAGE_LOCALES) {
  test.describe(`in ${language}`, () => {
    test.use({ locale });

    test('a quarantined handset: its own state on the card, Retry off with the reason, a retry refused with no record, the alarm kept in History and detail', async ({ page, rendererUrl }, testInfo) => {
      const m = LANGUAGE_MESSAGES[language];
      const depot = await openDepot({ devices: DEVICES, timing: TIMING });
      const { station } = depot;
      await openAuthorisedBatch(page, depot, rendererUrl, DEVICES.length);
      for (const handset of depot.fleet.handsets) handset.plugIn();

      const grid = page.getByRole('list', { name: m.grid.slots });
      const card = grid.getByRole('article').filter({ hasText: ALARM });
      // Its own state: the quarantine's icon and words, never the routine failure's badge.
      const badge = card.locator('.slot-head .badge');
      await expect(badge.locator('.badge-text')).toHaveText(m.quarantine.state, { timeout: 60_000 });
      const icon = (await badge.locator('.badge-icon').textContent()) ?? '';
      expect(icon).not.toBe('');
      expect(['✕', '▲']).not.toContain(icon);
      await expect(card).not.toContainText(fill(m.phase.failed, { step: m.steps.fuse }));
      await expect(card).toContainText(m.failure.FUSE_READBACK_MISMATCH.what);
      await expect(card).toContainText('FUSE_READBACK_MISMATCH');
      await expect(card).toContainText(m.quarantine.action);
      const retry = card.getByRole('button', { name: fill(m.grid.retryLabel, { slot: fill(m.grid.slotNumber, { number: 2 }) }) });
      await expect(retry).toBeDisabled();
      await expect(retry).toHaveAccessibleDescription(new RegExp(escapeRegExp(m.quarantine.action)));
      await expect(grid.getByRole('article').filter({ hasText: 'QGOOD001' })).toContainText(m.phase.provisioned);
      await shoot(page, testInfo, language, 'station-quarantined', { scan: true });
      expect(await untranslated(page, language)).toEqual([]);

      // A retry sent anyway, through the same bridge the button uses: refused by the station, nothing recorded.
      const records = async (): Promise<number> => ((await station['records.list']({ limit: 50 })) as RecordList).total;
      const before = await records();
      const refused = await page.evaluate(
        (serial) => (window as unknown as { lockstep: Record<string, (payload: unknown) => Promise<unknown>> }).lockstep['handset.retry']?.({ serial }),
        ALARM,
      );
      expect(refused).toMatchObject({ ok: false, error: { failure: 'QUARANTINED' } });
      expect(await records()).toBe(before);
      const snapshot = (await station['pipeline.snapshot'](undefined)) as PipelineSnapshot;
      expect(snapshot.handsets.find((handset) => handset.serial === ALARM)).toMatchObject({ phase: 'failed', step: 'fuse', quarantine: { code: 'FUSE_READBACK_MISMATCH' } });
      await expect(card).not.toContainText(fill(m.phase.failed, { step: m.steps.identify }));
      await expect(card).toContainText(m.failure.FUSE_READBACK_MISMATCH.what);

      // The detail view names the alarm above everything else.
      await card.getByRole('button', { name: fill(m.grid.detailsLabel, { slot: fill(m.grid.slotNumber, { number: 2 }) }) }).click();
      const detail = page.getByRole('dialog', { name: fill(m.detail.title, { serial: ALARM }) });
      const quarantine = detail.getByRole('region', { name: m.quarantine.detailHeading });
      await expect(quarantine).toContainText(m.quarantine.state);
      await expect(quarantine).toContainText(m.failure.FUSE_READBACK_MISMATCH.what);
      await expect(quarantine).toContainText(fill(m.quarantine.raisedAt, { step: m.steps.fuse }));
      await expect(detail).toContainText(`${m.quarantine.outcome}: ${m.steps.fuse}`);
      // The alarm's finding in the station's English: as it is to an English reader, behind the disclosure to another.
      const original = quarantine.locator('[lang="en"]');
      if (language === 'en') await expect(original).toBeVisible();
      else await expect(original).toBeHidden();
      await shoot(page, testInfo, language, 'detail-quarantined', { scan: true });
      await detail.getByRole('button', { name: m.common.close }).click();

      // History lists the alarm's record as a quarantine, and it is the handset's only record.
      await page.getByRole('navigation').getByRole('button', { name: m.nav.history }).click();
      const rows = page.getByRole('table', { name: m.history.table }).locator('tbody tr', { hasText: ALARM });
      await expect(rows).toHaveCount(1);
      await expect(rows.locator('.badge-text')).toHaveText(`${m.quarantine.outcome}: ${m.steps.fuse}`);
      await expect(rows.locator('.badge-icon')).toHaveText(icon);
      expect(await untranslated(page, language)).toEqual([]);
    });
  });
}
