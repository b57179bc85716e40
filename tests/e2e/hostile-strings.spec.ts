// Strings from a handset are hostile: a serial number carrying markup and terminal escapes is shown
// as escaped text on its card and in the handset detail, never parsed as HTML.
import { TECHNICIAN } from './depot.ts';
import { attachStation, expect, uiTest as test, depotPerTest } from './fixtures.ts';

const HOSTILE = '<img src=x onerror="window.__pwned=1">\u001b[31m\u202e';

test.use({ viewport: { width: 1366, height: 768 }, locale: 'en-GB' });

const openDepot = depotPerTest();

test('a serial number with markup, escapes and a bidi override is shown escaped', async ({ page, rendererUrl }) => {
  const depot = await openDepot({ devices: [{ serial: HOSTILE }], timing: { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 500 } });
  await depot.station['session.signIn'](TECHNICIAN);
  await depot.station['batch.start']({ bundlePath: depot.bundlePath, expectedCount: 1 });
  await attachStation(page, depot.station);
  await page.goto(rendererUrl);
  depot.fleet.handsets[0]?.plugIn();
  const card = page.getByRole('article', { name: 'Slot 1', exact: true });
  await expect(card).toContainText('<img src=x onerror="window.__pwned=1">\\x1B[31m\\u202E', { timeout: 30_000 });
  await expect(card).toContainText('Failed at Identify');
  await expect(page.locator('img')).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
});
