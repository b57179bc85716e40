// The station grid at the bench (issue 20): hubs of 8, 16 and 32 ports with a hostile long serial, a
// flash failure with a long message and a fuse read-back alarm among healthy handsets, measured at
// 1366x768 and 1920x1080. No card scrolls inside or lets anything out; a failure's headline, next action
// and buttons are in its card; an 8-port hub fits one 1366x768 screen and a 16-port hub one 1920x1080.
import type { Page } from '@playwright/test';
import type { PipelineSnapshot } from '../../src/shared/pipeline.ts';
import { expect, uiTest as test, depotPerTest } from './fixtures.ts';
import { accessibilityViolations, LANGUAGE_MESSAGES, openAuthorisedBatch } from './ui-flow.ts';

const TIMING = { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 300 };
const SCREENS = { laptop: { width: 1366, height: 768 }, desktop: { width: 1920, height: 1080 } } as const;
/** Which screen a hub of this many ports must fit whole, cards and buttons, without scrolling. */
const FITS: Readonly<Record<number, readonly (keyof typeof SCREENS)[]>> = { 8: ['laptop', 'desktop'], 16: ['desktop'], 32: [] };

/** 65 printable characters and no space: too long to be a serial number, too long for a card's line. */
const LONG_SERIAL = `LONG${'W'.repeat(61)}`;
const FAILING = [
  { serial: LONG_SERIAL },
  { serial: 'FLASHFAIL', faults: [{ kind: 'fail', command: 'flash:', message: `eMMC write error 0x15 at block ${'7'.repeat(90)} after retries`, times: 'always' }] },
  { serial: 'FUSEALARM', faults: [{ kind: 'fuse-readback', bank: 3, word: 0, clearBits: 32 }] },
];

test.use({ locale: 'en-GB', viewport: SCREENS.laptop });
test.describe.configure({ timeout: 180_000 });

const openDepot = depotPerTest();

interface Overflow {
  readonly card: string;
  readonly what: string;
}

/** Every card's problems as the screen lays it out: inner scrolling, anything outside it, and (where it must fit) anything off screen. */
async function measure(page: Page, mustFit: boolean): Promise<{ cards: number; problems: Overflow[] }> {
  return page.getByRole('list', { name: 'Slots' }).evaluate((grid, fit) => {
    const problems: { card: string; what: string }[] = [];
    const cards = [...grid.querySelectorAll<HTMLElement>('article.slot-card')];
    for (const card of cards) {
      const name = card.getAttribute('aria-label') ?? '?';
      const box = card.getBoundingClientRect();
      if (card.scrollHeight > card.clientHeight + 1 || card.scrollWidth > card.clientWidth + 1) {
        problems.push({ card: name, what: `scrolls inside (${card.scrollWidth}x${card.scrollHeight} in ${card.clientWidth}x${card.clientHeight})` });
      }
      for (const element of card.querySelectorAll<HTMLElement>('*')) {
        // What shows of it: its box, cut by any box inside the card that clips (a shortened line, say).
        const inner = { ...element.getBoundingClientRect().toJSON() } as { left: number; right: number; top: number; bottom: number; width: number; height: number };
        for (let clip = element.parentElement; clip && clip !== card; clip = clip.parentElement) {
          if (getComputedStyle(clip).overflow === 'visible') continue;
          const by = clip.getBoundingClientRect();
          Object.assign(inner, { left: Math.max(inner.left, by.left), right: Math.min(inner.right, by.right), top: Math.max(inner.top, by.top), bottom: Math.min(inner.bottom, by.bottom) });
        }
        if (inner.width === 0 && inner.height === 0) continue;
        const outside = inner.left < box.left - 1 || inner.right > box.right + 1 || inner.top < box.top - 1 || inner.bottom > box.bottom + 1;
        const text = element.textContent?.slice(0, 40) ?? '';
        if (outside) problems.push({ card: name, what: `<${element.tagName.toLowerCase()} class="${element.className}"> "${text}" outside the card` });
        if (element.scrollWidth > element.clientWidth + 1 && getComputedStyle(element).overflowX === 'visible') {
          problems.push({ card: name, what: `<${element.tagName.toLowerCase()}> "${text}" overflows its box` });
        }
      }
      if (fit && (box.bottom > window.innerHeight || box.right > window.innerWidth)) problems.push({ card: name, what: `off screen (${box.right}, ${box.bottom})` });
    }
    if (document.documentElement.scrollWidth > window.innerWidth) problems.push({ card: '-', what: 'the page scrolls sideways' });
    return { cards: cards.length, problems };
  }, mustFit);
}

const HUBS = [8, 16, 32] as const;

test('hubs of 8, 16 and 32 ports with failures: every card whole, its failure and buttons in view', async ({ page, rendererUrl }, testInfo) => {
  const m = LANGUAGE_MESSAGES.en;
  const largest = HUBS[HUBS.length - 1] as number;
  const healthy = Array.from({ length: largest - FAILING.length }, (_, index) => ({ serial: `GRID${String(index + 1).padStart(2, '0')}` }));
  const depot = await openDepot({ devices: [...FAILING, ...healthy], timing: TIMING });
  const { station } = depot;
  await openAuthorisedBatch(page, depot, rendererUrl, largest, largest);
  const grid = page.getByRole('list', { name: m.grid.slots });
  const failures = grid.getByRole('article').filter({ has: page.locator('.reason') });

  // One station grows from an 8-port hub to a 32-port one: each hub's handsets are plugged in and finish, then it is measured.
  for (const ports of HUBS) {
    for (const handset of depot.fleet.handsets.slice(0, ports)) handset.plugIn();
    await expect
      .poll(async () => {
        const snapshot = (await station['pipeline.snapshot'](undefined)) as PipelineSnapshot;
        return snapshot.handsets.filter((handset) => handset.phase === 'provisioned' || handset.phase === 'failed').length;
      }, { timeout: 120_000 })
      .toBe(ports);
    await expect(grid.getByRole('article')).toHaveCount(ports);
    await expect(failures).toHaveCount(FAILING.length);

    for (const [screen, size] of Object.entries(SCREENS) as [keyof typeof SCREENS, (typeof SCREENS)[keyof typeof SCREENS]][]) {
      await page.setViewportSize(size);
      await page.evaluate(() => window.scrollTo(0, 0));
      const mustFit = FITS[ports]?.includes(screen) ?? false;
      await page.screenshot({ path: testInfo.outputPath(`${ports}-ports-${screen}.png`), fullPage: true });
      const { cards, problems } = await measure(page, mustFit);
      expect(cards).toBe(ports);
      expect(problems, `${ports} ports at ${size.width}x${size.height}`).toEqual([]);
      // The failures' colours and words pass WCAG 2.1 AA in both themes (the rest of the grid is scanned in the operator flow).
      if (ports === HUBS[0] && screen === 'laptop') {
        for (const colorScheme of ['light', 'dark'] as const) {
          await page.emulateMedia({ colorScheme });
          expect(await accessibilityViolations(page, colorScheme === 'dark'), `WCAG 2.1 AA, ${colorScheme}`).toEqual([]);
        }
        await page.emulateMedia({ colorScheme: 'light' });
      }
      // Each failure names itself, says what to do next and offers its buttons, all on screen once its card is.
      for (const card of await failures.all()) {
        await card.scrollIntoViewIfNeeded();
        for (const part of [card.locator('.reason-what'), card.locator('.reason-action'), ...(await card.getByRole('button').all())]) await expect(part).toBeInViewport({ ratio: 1 });
      }
    }
  }
});
