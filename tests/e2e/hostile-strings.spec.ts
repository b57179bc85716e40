// Strings from a handset are hostile: a serial number carrying markup and terminal escapes is shown
// as escaped text on its card and in the handset detail, never parsed as HTML, and escaped exactly
// once: the card, the detail's title, its identity readback and the failure reason write it alike.
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

  const escaped = '<img src=x onerror="window.__pwned=1">\\x1B[31m\\u202E';
  await card.getByRole('button', { name: 'Details' }).click();
  const detail = page.getByTestId('handset-detail');
  await expect(detail.getByRole('region', { name: 'Identity before (bootloader)' })).toContainText(`Serial number${escaped}`);
  await expect(detail).toContainText(`serial number ${escaped} is not 1-64 printable characters`);
  await expect(page.getByRole('dialog')).toContainText(`Handset ${escaped}`);
  // Escaped twice (a doubled backslash) or as the UTF-8 bytes of U+202E, it would be written another way.
  const shown = await detail.innerText();
  expect(shown).not.toContain('\\\\');
  expect(shown).not.toMatch(/\\x(E2|e2|80|AE|ae)/);
  await expect(page.locator('img')).toHaveCount(0);

  // The detail in words (issue 20 #13): labels, not field ids; the lock once; a heading per part, none empty.
  expect(shown).not.toMatch(/serialNumber|hwRevision|lockState|unlocked\s+true/);
  await expect(detail.getByRole('region', { name: 'Identity before (bootloader)' })).toContainText('Bootloaderunlocked');
  await expect(detail.getByRole('heading', { name: 'Provisioning record' })).toBeVisible();
  await expect(detail.getByRole('heading', { name: 'Checks' })).toHaveCount(0);
  await expect(detail.getByRole('heading', { name: 'Identity after (booted system)' })).toHaveCount(0);
});
