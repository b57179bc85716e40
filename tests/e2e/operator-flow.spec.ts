// Acceptance of issue 11 in Chromium: the operator's whole story in English and in Simplified
// Chinese, each against its own station core and simulated fleet, at 1366x768.
import { uiTest as test, depotPerTest } from './fixtures.ts';
import { FLOW_DEVICES, runOperatorFlow } from './ui-flow.ts';

/** Fast enough for CI, slow enough that flashing shows its progress bar. */
const TIMING = { linkBytesPerSecond: 40_000_000, flashBytesPerSecond: 80_000_000, rebootMs: 1_000 };

test.use({ viewport: { width: 1366, height: 768 } });
test.describe.configure({ timeout: 240_000 });

const openDepot = depotPerTest();

test.describe('in English', () => {
  test.use({ locale: 'en-GB' });
  test('sign in, set up a batch, supervisor gate, five handsets provisioned, history and CSV export', async ({ page, rendererUrl }, testInfo) => {
    const depot = await openDepot({ devices: FLOW_DEVICES, timing: TIMING });
    await runOperatorFlow(page, depot, rendererUrl, 'en', testInfo);
  });
});

test.describe('in Simplified Chinese', () => {
  test.use({ locale: 'zh-CN' });
  test('the same flow, every operator-facing string in Chinese', async ({ page, rendererUrl }, testInfo) => {
    const depot = await openDepot({ devices: FLOW_DEVICES, timing: TIMING });
    await runOperatorFlow(page, depot, rendererUrl, 'zh-CN', testInfo);
  });
});
