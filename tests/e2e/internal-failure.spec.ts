// Issue 20 #5 for the one failure no finding names: an error in the station's own code at a handset (INTERNAL). The
// test harness gives one handset's USB transport a bug (transport-bug.ts) that throws when its flash begins; the card
// must say, in English and in Chinese, that the station itself failed, with the next action (set it aside, keep the
// log), and the handset's details must carry the code with the station's own sentence, which in Chinese stays behind
// the disclosure. Every screen of it passes the accessibility scan and, in Chinese, the untranslated-string check.
import type { Locator } from '@playwright/test';
import { depotPerTest, expect, uiTest as test } from './fixtures.ts';
import { BUG_MESSAGE } from './transport-bug.ts';
import { fill, LANGUAGE_LOCALES, LANGUAGE_MESSAGES, openAuthorisedBatch, shoot, untranslated } from './ui-flow.ts';

const BUGGY = 'BUGGY001';
const DEVICES = [{ serial: 'HEALTHY01' }, { serial: BUGGY }];
const TIMING = { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 300 };

test.use({ viewport: { width: 1366, height: 768 } });
test.describe.configure({ timeout: 120_000 });

const openDepot = depotPerTest();

for (const [language, locale] of LANGUAGE_LOCALES) {
  test.describe(`in ${language}`, () => {
    test.use({ locale });

    test('a bug of the station at a handset: INTERNAL on the card with its next action, and in its details', async ({ page, rendererUrl }, testInfo) => {
      const m = LANGUAGE_MESSAGES[language];
      const depot = await openDepot({ devices: DEVICES, timing: TIMING, transportBug: BUGGY });
      await openAuthorisedBatch(page, depot, rendererUrl, DEVICES.length);
      for (const handset of depot.fleet.handsets) handset.plugIn();

      const grid = page.getByRole('list', { name: m.grid.slots });
      const cardOf = (serial: string): Locator => grid.getByRole('article').filter({ hasText: serial });
      const card = cardOf(BUGGY);
      await expect(card).toContainText(fill(m.phase.failed, { step: m.steps.flash }), { timeout: 60_000 });
      await expect(card.locator('.reason-what')).toContainText(m.failure.INTERNAL.what);
      await expect(card.locator('.reason-what .code')).toHaveText('INTERNAL');
      await expect(card.locator('.reason-action')).toContainText(m.failure.INTERNAL.action);
      // The bug's own words are the station's English: on the card in English only.
      if (language === 'en') await expect(card).toContainText(BUG_MESSAGE);
      else await expect(card).not.toContainText(BUG_MESSAGE);
      await expect(cardOf('HEALTHY01')).toContainText(m.phase.provisioned, { timeout: 60_000 });
      await shoot(page, testInfo, language, 'station-internal', { scan: true });
      expect(await untranslated(page, language)).toEqual([]);

      const position = await card.getAttribute('aria-label');
      await card.getByRole('button', { name: fill(m.grid.detailsLabel, { slot: position ?? '' }) }).click();
      const detail = page.getByRole('dialog', { name: fill(m.detail.title, { serial: BUGGY }) });
      const failed = detail.getByRole('definition').filter({ has: page.locator('.code', { hasText: /^INTERNAL$/ }) });
      await expect(failed).toHaveCount(1);
      await expect(failed).toContainText(m.steps.flash);
      await expect(failed).toContainText(m.failure.INTERNAL.what);
      if (language === 'en') {
        await expect(failed).toContainText(BUG_MESSAGE);
      } else {
        // The station's sentence, in English, is there on request, under a heading that says what it is.
        const original = failed.locator('details.station-original');
        await expect(original.locator('summary')).toHaveText(m.stationOriginal);
        await expect(original.locator('[data-station-words]')).not.toBeVisible();
        await original.locator('summary').click();
        await expect(original.locator('[data-station-words]')).toContainText(BUG_MESSAGE);
        await original.locator('summary').click();
      }
      await shoot(page, testInfo, language, 'handset-detail-internal', { scan: true });
      expect(await untranslated(page, language)).toEqual([]);
      await detail.getByRole('button', { name: m.common.close }).click();
    });
  });
}
