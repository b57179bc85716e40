// Issue 22 (6) as the operator meets it, in English and Chinese: a handset whose partition hash stalls
// shows on its card what it waits on and the time the station still gives it, counting down on the
// page from the deadline its snapshot carries; when that runs out the card shows the timeout failure.
// Among seven healthy handsets, an 8-port hub still fits 1366x768 while it counts down.
import type { PipelineSnapshot } from '../../src/shared/pipeline.ts';
import { depotPerTest, expect, uiTest as test } from './fixtures.ts';
import { escapeRegExp, LANGUAGE_LOCALES, LANGUAGE_MESSAGES, openAuthorisedBatch, shoot, untranslated } from './ui-flow.ts';

const STALLED = 'HASHSTALL';
const DEVICES = [
  { serial: STALLED, faults: [{ kind: 'stall', command: 'oem sha256', times: 'always' }] },
  ...Array.from({ length: 7 }, (_, index) => ({ serial: `WAITOK0${index + 1}` })),
];
const TIMING = { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 300 };
/** A hash gets 15 s plus its bytes at the profile's minimum rate: long enough to watch and scan, short enough to wait out. */
const TIMEOUTS = { commandMs: 10_000, hashMs: 15_000, rebootMs: 6_000, atCommandMs: 6_000 };

test.use({ viewport: { width: 1366, height: 768 } });
test.describe.configure({ timeout: 120_000 });

const openDepot = depotPerTest();

for (const [language, locale] of LANGUAGE_LOCALES) {
  test.describe(`in ${language}`, () => {
    test.use({ locale });

    test('a stalled hash: the card counts down to the deadline, then shows the timeout', async ({ page, rendererUrl }, testInfo) => {
      const m = LANGUAGE_MESSAGES[language];
      const depot = await openDepot({ devices: DEVICES, timing: TIMING, timeouts: TIMEOUTS });
      const { station } = depot;
      await openAuthorisedBatch(page, depot, rendererUrl, DEVICES.length);
      const waiting = new Promise<PipelineSnapshot>((resolve) => {
        const stop = station.subscribe('pipeline.snapshot', (snapshot) => {
          if (!snapshot.handsets.some((handset) => handset.serial === STALLED && handset.wait?.kind === 'hash')) return;
          queueMicrotask(() => stop());
          resolve(snapshot);
        });
      });
      for (const handset of depot.fleet.handsets) handset.plugIn();

      // The snapshot carries the deadline as data: what the handset waits on and when the station gives up.
      const wait = (await waiting).handsets.find((handset) => handset.serial === STALLED)?.wait;
      expect(wait).toMatchObject({ kind: 'hash' });
      const partition = wait?.partition ?? '';
      expect(partition).toMatch(/^[a-z]/);

      const card = page.getByRole('list', { name: m.grid.slots }).getByRole('article').filter({ hasText: STALLED });
      const shown = escapeRegExp(m.grid.wait.hash.replace('{{partition}}', partition)).replace(escapeRegExp('{{time}}'), '\\d+:\\d\\d');
      const countdown = card.getByRole('timer');
      await expect(countdown).toHaveText(new RegExp(`^${shown}$`), { timeout: 30_000 });
      // It counts down on the page, between snapshots.
      const first = await countdown.textContent();
      await expect.poll(() => countdown.textContent(), { timeout: 15_000 }).not.toBe(first);
      expect(await untranslated(page, language)).toEqual([]);
      // The countdown takes no more room than the card has: no card scrolls inside, all eight are on screen.
      const problems = await page.getByRole('list', { name: m.grid.slots }).evaluate((grid) =>
        [...grid.querySelectorAll<HTMLElement>('article.slot-card')].flatMap((card) => {
          const box = card.getBoundingClientRect();
          const scrolls = card.scrollHeight > card.clientHeight + 1 || card.scrollWidth > card.clientWidth + 1;
          const off = box.bottom > window.innerHeight || box.right > window.innerWidth;
          return scrolls || off ? [`${card.getAttribute('aria-label')}: ${scrolls ? 'scrolls inside' : 'off screen'}`] : [];
        }),
      );
      expect(problems).toEqual([]);
      expect(await page.getByRole('list', { name: m.grid.slots }).locator('article.slot-card').count()).toBe(DEVICES.length);
      await shoot(page, testInfo, language, 'station-waiting', { scan: true });

      // The deadline passes: the handset fails with the timeout, and the countdown is gone.
      await expect(card).toContainText(m.failure.TIMEOUT.what, { timeout: 30_000 });
      await expect(card).toContainText('TIMEOUT');
      // The finding names the hash and the deadline it missed, in the operator's language.
      const finding = escapeRegExp(m.failureDetail.TIMEOUT_UNFINISHED)
        .replace(escapeRegExp('{{command}}'), `oem sha256 ${escapeRegExp(partition)} 0x[0-9a-f]+`)
        .replace(escapeRegExp('{{seconds}}'), '\\d+(\\.\\d)?');
      await expect(card.locator('.reason-detail')).toHaveText(new RegExp(`^${finding}$`));
      await expect(countdown).toHaveCount(0);
    });
  });
}
