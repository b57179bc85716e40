import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';

const electronDir = resolve(import.meta.dirname, '../../node_modules/electron');
// electron >= 42 downloads its binary on first run and records it in path.txt; build machines
// without internet never get one.
const hasElectronBinary = existsSync(resolve(electronDir, 'path.txt'));

test('the packaged Electron window starts sandboxed and shows the station', async () => {
  const reason = 'No Electron binary on this machine (electron fetches it from the internet on first run); the window is covered by the Chromium tests via the test bridge.';
  if (!hasElectronBinary) process.stdout.write(`skipped: ${reason}\n`);
  test.skip(!hasElectronBinary, reason);
  const { readFileSync } = await import('node:fs');
  const binary = resolve(electronDir, 'dist', readFileSync(resolve(electronDir, 'path.txt'), 'utf8'));
  const app = await electron.launch({ executablePath: binary, args: [resolve(import.meta.dirname, '../..')] });
  const window = await app.firstWindow();
  await expect(window.getByRole('heading', { name: 'Lockstep' })).toBeVisible();
  const exposed = await window.evaluate(() => ({
    require: typeof (window as unknown as Record<string, unknown>)['require'],
    process: typeof (window as unknown as Record<string, unknown>)['process'],
    bridge: Object.keys((window as unknown as Record<string, object>)['lockstep'] ?? {}).sort(),
  }));
  expect(exposed.require).toBe('undefined');
  expect(exposed.process).toBe('undefined');
  expect(exposed.bridge.length).toBeGreaterThan(0);
  await app.close();
});
