// The one rule for a test that needs a Debian tool: skipped with the reason on a developer's machine,
// failed in CI; and only commands of resources/build/debian-packages.ts may be required.
import type { TestContext } from 'vitest';
import { describe, expect, it, vi } from 'vitest';
import { inCi, missingTools, skipOrFail } from '../../support/tools.ts';

/** A test context whose skip records its note and stops the test, as vitest's does. */
function recordingContext(): { context: Pick<TestContext, 'skip'>; notes: (string | undefined)[] } {
  const notes: (string | undefined)[] = [];
  const skip = (note?: string): never => {
    notes.push(note);
    throw new Error('skipped');
  };
  return { context: { skip: skip as TestContext['skip'] }, notes };
}

describe('a test that needs a Debian tool', () => {
  it('is told which tools are missing, each with its Debian package', () => {
    const nothing = (): null => null;
    expect(missingTools(['zbarimg', 'pdftoppm'], nothing)).toBe('zbarimg is missing (Debian package zbar-tools); pdftoppm is missing (Debian package poppler-utils)');
    expect(missingTools(['zbarimg', '/usr/sbin/cupsd'], (command) => (command === 'zbarimg' ? '/usr/bin/zbarimg' : null))).toBe(
      '/usr/sbin/cupsd is missing (Debian package cups)',
    );
    expect(missingTools(['lp', 'lpstat', 'zbarimg'], nothing)).toBe('lp, lpstat are missing (Debian package cups-client); zbarimg is missing (Debian package zbar-tools)');
    expect(missingTools(['zbarimg'], () => '/usr/bin/zbarimg')).toBeNull();
  });

  it('may only require a command of the Debian package list', () => {
    expect(() => missingTools(['convert'], () => '/usr/bin/convert')).toThrow('convert is not a command of resources/build/debian-packages.ts; add it there first');
  });

  it('is skipped with the reason outside CI, the reason printed too', () => {
    const { context, notes } = recordingContext();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      expect(() => skipOrFail(context, 'zbarimg is missing (Debian package zbar-tools)', false)).toThrow('skipped');
      expect(warn.mock.calls).toEqual([['skipped: zbarimg is missing (Debian package zbar-tools); npm test installs it']]);
    } finally {
      warn.mockRestore();
    }
    expect(notes).toEqual(['zbarimg is missing (Debian package zbar-tools); npm test installs it']);
  });

  it('fails with the reason in CI, never skipped', () => {
    const { context, notes } = recordingContext();
    expect(() => skipOrFail(context, 'zbarimg is missing (Debian package zbar-tools)', true)).toThrow(
      /^zbarimg is missing \(Debian package zbar-tools\): in CI every test must run/,
    );
    expect(notes).toEqual([]);
  });

  it('counts as in CI where CI is set to anything but empty, false or 0', () => {
    expect(inCi({ CI: 'true' })).toBe(true);
    expect(inCi({ CI: '1' })).toBe(true);
    expect([inCi({}), inCi({ CI: '' }), inCi({ CI: 'false' }), inCi({ CI: '0' })]).toEqual([false, false, false, false]);
  });
});
