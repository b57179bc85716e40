import { describe, expect, it } from 'vitest';
import { applicationMenu, type MenuEntry } from '../../../src/main/shell/app-menu.ts';

function roles(entries: readonly MenuEntry[]): string[] {
  return entries.flatMap((entry) => ('role' in entry ? [entry.role, ...roles(entry.submenu ?? [])] : []));
}

describe('the application menu', () => {
  it('holds role items and separators only, so the platform supplies every label in the system language', () => {
    const all = (entries: readonly MenuEntry[]): MenuEntry[] => entries.flatMap((entry) => [entry, ...('role' in entry ? all(entry.submenu ?? []) : [])]);
    const shapes = new Set(all(applicationMenu({ platform: 'darwin', development: true })).map((entry) => Object.keys(entry).sort().join()));
    expect([...shapes].sort()).toEqual(['role', 'role,submenu', 'type']);
  });

  it('offers no reload and no developer tools in an installed station, but keeps zoom', () => {
    const installed = roles(applicationMenu({ platform: 'linux', development: false }));
    expect(installed).not.toContain('reload');
    expect(installed).not.toContain('toggleDevTools');
    expect(installed).toEqual(expect.arrayContaining(['fileMenu', 'editMenu', 'zoomIn', 'zoomOut', 'resetZoom', 'windowMenu']));
    expect(roles(applicationMenu({ platform: 'linux', development: true }))).toEqual(expect.arrayContaining(['reload', 'toggleDevTools']));
  });

  it('has the application menu on macOS only', () => {
    expect(roles(applicationMenu({ platform: 'darwin', development: false }))[0]).toBe('appMenu');
    expect(roles(applicationMenu({ platform: 'win32', development: false }))).not.toContain('appMenu');
  });
});
