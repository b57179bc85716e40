import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keepWindowState, loadWindowState, placeWindow, WINDOW_STATE_FILE, type Rect, type TrackedWindow } from '../../../src/main/shell/window-state.ts';

const LAPTOP: Rect = { x: 0, y: 0, width: 1366, height: 738 };
const RIGHT_MONITOR: Rect = { x: 1366, y: 0, width: 1920, height: 1050 };

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-window-'));
  file = join(dir, WINDOW_STATE_FILE);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('placing the window', () => {
  it('opens centred at the default size the first time, shrunk to a small screen', () => {
    expect(placeWindow(null, [{ x: 0, y: 0, width: 2560, height: 1400 }])).toEqual({ bounds: { width: 1280, height: 800 }, maximised: false });
    expect(placeWindow(null, [LAPTOP])).toEqual({ bounds: { width: 1280, height: 738 }, maximised: false });
  });

  it('returns where it was on a display that is still there, maximised if it was', () => {
    const saved = { bounds: { x: 1500, y: 40, width: 1400, height: 900 }, maximised: true };
    expect(placeWindow(saved, [LAPTOP, RIGHT_MONITOR])).toEqual(saved);
  });

  it('moves a window whose display was unplugged back onto the screen there is', () => {
    const saved = { bounds: { x: 1500, y: 40, width: 1400, height: 900 }, maximised: false };
    expect(placeWindow(saved, [LAPTOP])).toEqual({ bounds: { width: 1366, height: 738 }, maximised: false });
  });

  it('treats a window with only a sliver on screen as lost, and pulls a partly visible one inside its display', () => {
    expect(placeWindow({ bounds: { x: 1300, y: 100, width: 1000, height: 700 }, maximised: false }, [LAPTOP]).bounds).toEqual({ width: 1000, height: 700 });
    expect(placeWindow({ bounds: { x: 900, y: -20, width: 1000, height: 700 }, maximised: false }, [LAPTOP]).bounds).toEqual({ x: 366, y: 0, width: 1000, height: 700 });
  });

  it('never opens smaller than the minimum the screens are laid out for', () => {
    expect(placeWindow({ bounds: { x: 10, y: 10, width: 200, height: 100 }, maximised: false }, [LAPTOP]).bounds).toEqual({ x: 10, y: 10, width: 960, height: 600 });
  });
});

describe('the saved state', () => {
  it('is absent without complaint the first time, and refused with a reason when tampered with or corrupt', async () => {
    expect(await loadWindowState(file)).toEqual({ state: null, problem: null });
    writeFileSync(file, '{"bounds":{"x":0,"y":0,"width":1e9,"height":5},"maximised":false}');
    expect((await loadWindowState(file)).problem).toMatch(/window state .* is not valid:\n {2}bounds\.width: /);
    writeFileSync(file, JSON.stringify({ bounds: { x: 0, y: 0, width: 1000, height: 700 }, maximised: false, preload: '/tmp/evil.js' }));
    expect((await loadWindowState(file)).state).toBeNull();
    writeFileSync(file, '{"bounds":');
    expect((await loadWindowState(file)).problem).toMatch(/is not valid JSON.*; using the default/);
  });

  it('is saved when the window stops moving and when it closes, keeping the unmaximised size, and read back the same', async () => {
    class Window extends EventEmitter implements TrackedWindow {
      bounds: Rect = { x: 100, y: 50, width: 1200, height: 780 };
      maximised = false;
      getNormalBounds = (): Rect => this.bounds;
      isMaximized = (): boolean => this.maximised;
      isDestroyed = (): boolean => false;
    }
    const window = new Window();
    const problems: string[] = [];
    const keeper = keepWindowState(window, file, (problem) => problems.push(problem), 20);
    window.bounds = { x: 140, y: 60, width: 1250.4, height: 790 };
    window.emit('move');
    await expect.poll(async () => (await loadWindowState(file)).state, { timeout: 2_000 }).toEqual({ bounds: { x: 140, y: 60, width: 1250, height: 790 }, maximised: false });
    window.maximised = true;
    window.emit('maximize');
    window.emit('close');
    await keeper.flush();
    expect((await loadWindowState(file)).state).toEqual({ bounds: { x: 140, y: 60, width: 1250, height: 790 }, maximised: true });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveProperty('maximised', true);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(problems).toEqual([]);
  });
});
