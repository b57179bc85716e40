// The Electron shell itself, where the Electron binary exists (a machine that could download it):
// the window's sandbox, the single-instance lock and the kept window state. Build machines without
// internet skip it, CI included: the binary is no Debian package the preflight could install, so this
// skip does not go through tests/support/tools.ts. The screens are covered in Chromium through the
// test bridge, and the shell's logic by tests/unit/shell under plain Node.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { _electron as electron, expect, test, type ElectronApplication } from '@playwright/test';
import type { StationBridge } from '../../src/shared/api.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const electronDir = resolve(ROOT, 'node_modules/electron');
// electron >= 42 downloads its binary on first run and records it in path.txt; build machines
// without internet never get one.
const hasElectronBinary = existsSync(resolve(electronDir, 'path.txt'));
const reason = 'No Electron binary on this machine (electron fetches it from the internet on first run); the window is covered by the Chromium tests via the test bridge.';

test.describe('the Electron shell', () => {
  test.skip(!hasElectronBinary, reason);
  if (!hasElectronBinary) process.stdout.write(`skipped: ${reason}\n`);

  let dir: string;
  let args: string[];
  let env: Record<string, string>;
  let binary: string;

  test.beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lockstep-electron-'));
    binary = resolve(electronDir, 'dist', readFileSync(resolve(electronDir, 'path.txt'), 'utf8'));
    args = [ROOT, '--demo', `--user-data-dir=${join(dir, 'profile')}`];
    env = { ...(process.env as Record<string, string>), LOCKSTEP_DATA_DIR: join(dir, 'station') };
  });
  test.afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const launch = (): Promise<ElectronApplication> => electron.launch({ executablePath: binary, args, env });

  test('starts sandboxed and exposes the typed bridge and the file dialogs and nothing else', async () => {
    const app = await launch();
    const window = await app.firstWindow();
    await expect(window).toHaveTitle('Lockstep');
    const exposed = await window.evaluate(() => ({
      require: typeof (window as unknown as Record<string, unknown>)['require'],
      process: typeof (window as unknown as Record<string, unknown>)['process'],
      bridge: Object.keys((window as unknown as Record<string, object>)['lockstep'] ?? {}).sort(),
      shell: Object.keys((window as unknown as Record<string, object>)['lockstepShell'] ?? {}).sort(),
    }));
    expect(exposed.require).toBe('undefined');
    expect(exposed.process).toBe('undefined');
    expect(exposed.bridge).toContain('subscribe');
    expect(exposed.bridge).toContain('pipeline.snapshot');
    expect(exposed.shell).toEqual(['pickOpenPath', 'pickSavePath']);
    // `--demo` prepared the demo bundle in the demo's data folder, and the station offers it to the setup screen.
    const info = await window.evaluate(() => (window as unknown as { lockstep: StationBridge }).lockstep['station.info'](undefined));
    expect(info).toMatchObject({ ok: true, value: { demoBundlePath: expect.stringMatching(/demo-station[\\/]demo[\\/]bundle-/u) } });
    await app.close();
  });

  test('a second launch hands over to the running window and exits', async () => {
    const app = await launch();
    await app.firstWindow();
    const second = spawn(binary, args, { env, stdio: 'ignore' });
    const code = await new Promise<number | null>((done) => second.on('exit', done));
    expect(code).toBe(0);
    expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
    await app.close();
  });

  test('keeps the window size for the next start', async () => {
    const app = await launch();
    await app.firstWindow();
    await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.setBounds({ width: 1100, height: 700 }));
    await app.close();
    const saved = JSON.parse(readFileSync(join(dir, 'profile', 'window-state.json'), 'utf8')) as { bounds: { width: number; height: number } };
    expect(saved.bounds).toMatchObject({ width: 1100, height: 700 });
  });
});
