import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

// Debian's Chromium where it is installed (our machines and CI cannot download Playwright's own
// browser); elsewhere Playwright's browser from `npx playwright install chromium`.
const systemChromium = process.env['LOCKSTEP_CHROMIUM'] ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results',
  fullyParallel: false,
  // Two spec files at once: every test opens its own station, simulated fleet and temp dir, and every server
  // listens on a port the system picks, so no two tests share anything. Much of a test is waiting on the
  // simulated handsets' timing. Both runs of the whole suite with two workers on the loaded 2-core machine
  // passed (42 and 42); its time there is in docs/testing.md.
  workers: 2,
  forbidOnly: Boolean(process.env['CI']),
  reporter: [['list']],
  timeout: 60_000,
  use: {
    browserName: 'chromium',
    trace: 'retain-on-failure',
    launchOptions: {
      ...(existsSync(systemChromium) ? { executablePath: systemChromium } : {}),
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
});
