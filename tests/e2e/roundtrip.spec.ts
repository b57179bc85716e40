import { TECHNICIAN } from './depot.ts';
import { expect, test } from './fixtures.ts';

test('a click in the UI reaches the station core and its answer is rendered', async ({ page, station }, testInfo) => {
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));

  const info = await station['station.info'](undefined);
  // A simulated station trusts the DEMO key, but nobody prepared the demo bundle in this data folder.
  expect(info.demoBundlePath).toBeNull();
  await expect(page.getByTestId('station-meta')).toContainText(`v${info.version}`);
  await expect(page.getByTestId('station-meta')).toContainText(`Node ${info.runtime.node}`);
  await expect(page.getByTestId('station-meta')).toContainText('simulated fleet');

  await page.getByLabel('Operator ID').fill(TECHNICIAN.id);
  await page.getByLabel('PIN').fill(TECHNICIAN.pin);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation').getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('button', { name: 'Scan for handsets' }).click();
  const result = page.getByTestId('scan-result');
  await expect(result).toBeVisible();

  // What the UI shows must be what the core says about the (simulated) USB bus.
  const expected = await station['devices.scan'](undefined);
  for (const transport of expected.transports) {
    await expect(result.getByRole('list', { name: 'Transports' })).toContainText(transport.detail);
  }
  expect(expected.handsets.map((handset) => handset.serial)).toEqual(['LSIM0001', 'LSIM0002', 'LSIM0003', 'LSIM0004']);
  const rows = result.getByRole('table', { name: 'Handsets seen' }).getByRole('row');
  await expect(rows).toHaveCount(1 + expected.handsets.length);
  for (const handset of expected.handsets) {
    await expect(result.getByRole('row', { name: new RegExp(`${handset.serial}`) })).toContainText(handset.slot);
  }

  await page.screenshot({ path: testInfo.outputPath('roundtrip.png'), fullPage: true });
  await testInfo.attach('roundtrip', { path: testInfo.outputPath('roundtrip.png'), contentType: 'image/png' });
  expect(consoleErrors).toEqual([]);
});

test('the page runs under its Content-Security-Policy with no inline script allowed', async ({ page }) => {
  const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(policy).toContain("default-src 'none'");
  expect(policy).toContain("script-src 'self'");
  expect(policy).not.toContain('unsafe-inline');
  expect(policy).not.toContain('unsafe-eval');
  const inlineRan = await page.evaluate(() => {
    const marker = '__inlineScriptRan';
    const script = document.createElement('script');
    script.textContent = `window.${marker} = true;`;
    document.head.append(script);
    return Boolean((window as unknown as Record<string, unknown>)[marker]);
  });
  expect(inlineRan).toBe(false);
});

test('a request the API does not declare is refused by the core with a reason', async ({ page }) => {
  const answer = await page.evaluate(() =>
    (window as unknown as { __lockstepDispatch: (channel: string, payload: unknown) => Promise<unknown> }).__lockstepDispatch(
      'fuses.burnEverything',
      { all: true },
    ),
  );
  expect(answer).toEqual({ ok: false, error: { code: 'unknown-channel', failure: null, message: 'Unknown station API call: fuses.burnEverything' } });
});
