// What the installers ship that no Electron binary is needed to check: the fuses the afterPack hook
// flips (on a file carrying a fuse wire laid out as Electron's is), the hook's place in the
// electron-builder config, and the udev rule against the device profiles it must cover.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FuseState, FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import afterPack, { STATION_FUSES } from '../../../resources/build/after-pack.ts';
import { loadProfiles } from '../../../src/main/profiles/profile-store.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Option indices of the fuse wire in the order Electron lays it out. */
const FUSES = Object.values(FuseV1Options).filter((value): value is number => typeof value === 'number');
/** Electron's own defaults, as an unpacked binary carries them (RunAsNode on, cookie encryption off, …). */
const ELECTRON_DEFAULTS = '101100011';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-packaging-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in executable: arbitrary bytes around a version-1 fuse wire, as Electron embeds it. */
function writeBinary(path: string, wire: string): void {
  writeFileSync(path, Buffer.concat([randomBytes(4096), Buffer.from(SENTINEL), Buffer.from([1, wire.length]), Buffer.from(wire), randomBytes(4096)]));
}

describe('the Electron fuses', () => {
  it('are all set explicitly, closing the doors a station does not use', () => {
    expect(STATION_FUSES.strictlyRequireAllFuses).toBe(true);
    for (const option of FUSES) expect(typeof STATION_FUSES[option as FuseV1Options]).toBe('boolean');
    expect(STATION_FUSES).toMatchObject({
      [FuseV1Options.RunAsNode]: false,
      [FuseV1Options.EnableCookieEncryption]: true,
      [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
      [FuseV1Options.EnableNodeCliInspectArguments]: false,
      [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
      [FuseV1Options.OnlyLoadAppFromAsar]: true,
    });
  });

  it('are flipped by the afterPack hook in the packaged Linux executable', async () => {
    const binary = join(dir, 'lockstep');
    writeBinary(binary, ELECTRON_DEFAULTS);
    await afterPack({ appOutDir: dir, electronPlatformName: 'linux', packager: { executableName: 'lockstep', appInfo: { productFilename: 'Lockstep' } } });
    const wire = await getCurrentFuseWire(binary);
    for (const option of FUSES) {
      expect([option, wire[option as FuseV1Options]]).toEqual([option, STATION_FUSES[option as FuseV1Options] ? FuseState.ENABLE : FuseState.DISABLE]);
    }
  });

  it('stop the build when Electron carries a fuse nobody has decided on yet', async () => {
    const binary = join(dir, 'Lockstep.exe');
    writeBinary(binary, `${ELECTRON_DEFAULTS}1`);
    await expect(afterPack({ appOutDir: dir, electronPlatformName: 'win32', packager: { appInfo: { productFilename: 'Lockstep' } } })).rejects.toThrow(/strictlyRequireAllFuses/);
  });

  it('are wired into electron-builder as its afterPack hook', () => {
    const config = readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8');
    expect(config).toMatch(/^afterPack: \.\/resources\/build\/after-pack\.ts$/m);
    expect(config).toMatch(/^asar: true$/m);
  });
});

interface Rule {
  readonly subsystem: string;
  readonly vendor: string;
  readonly product: string | null;
  readonly assignments: string;
}

function udevRules(): Rule[] {
  const text = readFileSync(join(ROOT, 'resources/udev/70-lockstep.rules'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => ({
      subsystem: /SUBSYSTEM=="([a-z]+)"/.exec(line)?.[1] ?? '',
      vendor: /ATTRS?\{idVendor\}=="([0-9a-f]{4})"/.exec(line)?.[1] ?? '',
      product: /ATTRS?\{idProduct\}=="([0-9a-f]{4})"/.exec(line)?.[1] ?? null,
      assignments: line.replace(/\S+=="[^"]*",?\s*/g, '').trim(),
    }));
}

describe('the udev rule', () => {
  it("grants the station's users every profiled handset's fastboot device and AT serial port, and nothing more", async () => {
    const hex4 = (id: number): string => id.toString(16).padStart(4, '0');
    const ids = (await loadProfiles()).profiles.flatMap(({ profile }) => profile.match.usb.map((usb) => ({ vendor: hex4(usb.vendorId), product: hex4(usb.productId) })));
    expect(ids.length).toBeGreaterThan(0);
    const rules = udevRules();
    const usb = rules.filter((rule) => rule.subsystem === 'usb').map((rule) => ({ vendor: rule.vendor, product: rule.product }));
    const tty = rules.filter((rule) => rule.subsystem === 'tty').map((rule) => rule.vendor);
    expect(usb).toEqual(expect.arrayContaining(ids));
    expect(ids).toEqual(expect.arrayContaining(usb));
    expect(new Set(tty)).toEqual(new Set(ids.map((id) => id.vendor)));
    expect(rules).toHaveLength(usb.length + tty.length);
    for (const rule of rules) expect(rule.assignments).toBe('MODE="0660", GROUP="plugdev", TAG+="uaccess"');
  });

  it('is installed by the Debian package where udev reads packaged rules', () => {
    const config = readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8');
    expect(config).toContain('- resources/udev/70-lockstep.rules=/usr/lib/udev/rules.d/70-lockstep.rules');
  });
});
