import { describe, expect, it } from 'vitest';
import type { BundleManifest } from '../../../src/shared/bundle.ts';
import { checkBundleFits, compareVersions } from '../../../src/main/bundle/fit.ts';

const manifest = {
  schemaVersion: 2,
  products: ['lockstep-ref', 'lockstep-ref-eu'],
  hardwareRevisions: ['B1', 'B2'],
  version: '2.0.0',
  buildId: 'b1',
  createdAt: '2026-01-01T00:00:00.000Z',
  minBootloaderVersion: 'LSBL-1.10.0',
  rollbackIndex: 7,
  partitions: [],
  policy: { fuses: ['CAMERA_DISABLE'], lockBootloader: true },
} as unknown as BundleManifest;

const handset = { product: 'lockstep-ref', hwRevision: 'B2', bootloaderVersion: 'LSBL-1.10.0', rollbackIndex: 7 };

describe('checkBundleFits', () => {
  it('fits a handset of a listed product and revision with a new enough bootloader and no rollback', () => {
    expect(checkBundleFits(manifest, handset)).toEqual({ fits: true });
    expect(checkBundleFits(manifest, { ...handset, rollbackIndex: undefined, bootloaderVersion: 'LSBL-1.10.1' })).toEqual({ fits: true });
    expect(checkBundleFits({ ...manifest, hardwareRevisions: 'any', minBootloaderVersion: null }, { ...handset, hwRevision: 'Z9', bootloaderVersion: '' })).toEqual({ fits: true });
  });

  it('reports every reason at once, each with its code', () => {
    const result = checkBundleFits(manifest, { product: 'other', hwRevision: 'A1', bootloaderVersion: 'LSBL-1.9.9', rollbackIndex: 8 });
    expect(result.fits).toBe(false);
    expect(result.fits ? [] : result.problems.map((problem) => problem.code)).toEqual(['WRONG_PRODUCT', 'WRONG_HARDWARE_REVISION', 'BOOTLOADER_TOO_OLD', 'ROLLBACK']);
  });

  it('shows hostile handset strings escaped and capped, never raw', () => {
    const result = checkBundleFits(manifest, { ...handset, product: `\u001b[2J=cmd|' /C calc'!A0${'x'.repeat(10_000)}` });
    const message = result.fits ? '' : (result.problems[0]?.message ?? '');
    expect(message).toContain('\\x1B[2J');
    expect(message).not.toContain('\u001b');
    expect(message).toContain('[truncated');
    expect(message.length).toBeLessThan(400);
  });
});

describe('compareVersions', () => {
  it.each([
    ['1.9', '1.10', -1],
    ['1.10', '1.9', 1],
    ['LSBL-1.4.2', 'LSBL-1.4.2', 0],
    ['2.0-rc1', '2.0-rc2', -1],
    ['1.0', '1.0.1', -1],
    ['007', '7', 0],
    [`1.${'9'.repeat(100)}`, `1.${'9'.repeat(99)}`, 1],
  ])('case %#: %s', (a, b, expected) => {
    expect(Math.sign(compareVersions(a, b))).toBe(expected);
  });
});
