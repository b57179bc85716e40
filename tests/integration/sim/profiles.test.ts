// The device profiles in resources/profiles against the simulator's models, which implement the
// dialects in code: every operation a profile names is run through the station's own profiled
// fastboot and AT code, so a profile that gets a command, a variable or a pattern wrong fails here.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AtClient, streamLink } from '../../../src/main/at/client.ts';
import { FastbootClient } from '../../../src/main/fastboot/client.ts';
import { openUsb } from '../../../src/main/fastboot/usb-transport.ts';
import { readAtSerial, runAtChecks, syncAt } from '../../../src/main/handset/at-checks.ts';
import { ProfiledFastboot } from '../../../src/main/handset/fastboot-ops.ts';
import { readProfile } from '../../../src/main/profiles/profile-store.ts';
import type { DeviceProfile } from '../../../src/shared/profile.ts';
import { createSimFleet, parseScenario, type SimFleet, type SimHandset } from '../../../src/sim/index.ts';

const PROFILES = resolve(import.meta.dirname, '../../../resources/profiles');
const VERSION = '3.1.4-test';
const work = mkdtempSync(join(tmpdir(), 'lockstep-profiles-'));
const fleets: SimFleet[] = [];

afterAll(async () => {
  await Promise.all(fleets.map((fleet) => fleet.close()));
  rmSync(work, { recursive: true, force: true });
});

async function fleetOf(model: string, faults: unknown[] = []): Promise<SimFleet> {
  const scenario = parseScenario({ devices: [{ serial: `${model.toUpperCase()}-${fleets.length}`, model, faults }] });
  const fleet = await createSimFleet({ scenario, stateDir: join(work, String(fleets.length)), timing: { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 50 } });
  fleets.push(fleet);
  return fleet;
}

async function profiled(fleet: SimFleet, profile: DeviceProfile): Promise<ProfiledFastboot> {
  const [device] = await fleet.usb.getDevices();
  if (!device) throw new Error('no handset in fastboot');
  return new ProfiledFastboot(new FastbootClient(await openUsb(device)), profile);
}

/** Reboots through the profile's command and opens the station's AT client on the port that appears. */
async function rebootToAt(fastboot: ProfiledFastboot, handset: SimHandset, fleet: SimFleet): Promise<AtClient> {
  const booted = new Promise<void>((done) => handset.onModeChange((mode) => mode === 'booted' && done()));
  await fastboot.reboot();
  await fastboot.client.close();
  await booted;
  const [port] = fleet.serial.list();
  return new AtClient(streamLink(fleet.serial.open(port?.path ?? '')), port?.path ?? '');
}

function fuseMask(profile: DeviceProfile, ...names: string[]): { bank: number; word: number; mask: number } {
  const bits = names.map((name) => profile.fuses[name] as { bank: number; word: number; bit: number });
  return { bank: bits[0]?.bank ?? -1, word: bits[0]?.word ?? -1, mask: bits.reduce((mask, fuse) => (mask | (1 << fuse.bit)) >>> 0, 0) };
}

describe.each(['lockstep-ref', 'kestrel-k2'])('profile %s against the simulated handset', (model) => {
  it('identifies, hashes, burns, locks and reboots by the profile, and every AT check passes on the provisioned handset', async () => {
    const profile = await readProfile(join(PROFILES, `${model}.json`));
    for (const faults of [[], [{ kind: 'at-noise' }]]) {
      const fleet = await fleetOf(model, faults);
      const handset = fleet.handsets[0] as SimHandset;
      const fastboot = await profiled(fleet, profile);

      const identity = await fastboot.readIdentity();
      expect(identity).toMatchObject({ serial: handset.serial, product: model, unlocked: true });
      expect(profile.match.products).toContain(identity.product);
      expect(profile.match.usb).toContainEqual({ vendorId: handset.usbDevice?.vendorId, productId: handset.usbDevice?.productId });
      expect(Number(identity.batteryMillivolts)).toBeGreaterThan(profile.batteryFloorMillivolts);

      const system = Buffer.concat([Buffer.from(`ro.build.display.id=${VERSION}\n`), randomBytes(64 * 1024)]);
      await fastboot.client.download(system, system.length);
      await fastboot.client.flash('system_a');
      expect(await fastboot.partitionHash('system_a', system.length)).toBe(createHash('sha256').update(system).digest('hex'));

      const secure = fuseMask(profile, 'SECURE_BOOT');
      expect((await fastboot.readFuseWord(secure.bank, secure.word)) & secure.mask).toBe(secure.mask);
      const disable = fuseMask(profile, 'CAMERA_DISABLE', 'GPS_DISABLE');
      await fastboot.programFuse(disable.bank, disable.word, disable.mask);
      expect((await fastboot.readFuseWord(disable.bank, disable.word)) & disable.mask).toBe(disable.mask);
      await fastboot.lock();
      expect((await fastboot.readIdentity()).unlocked).toBe(false);

      const at = await rebootToAt(fastboot, handset, fleet);
      try {
        await syncAt(at, profile);
        expect(await readAtSerial(at, profile)).toBe(handset.serial);
        const results = await runAtChecks(at, profile, { bundleVersion: VERSION });
        expect(results.filter((result) => !result.passed).map((result) => result.reason)).toEqual([]);
        expect(results.find((result) => result.records === 'imei')?.value).toBe(handset.device.imei);
      } finally {
        await at.close();
      }
    }
  });

  it('fails the AT checks of a handset that was not provisioned, each for its own reason', async () => {
    const profile = await readProfile(join(PROFILES, `${model}.json`));
    const fleet = await fleetOf(model);
    const at = await rebootToAt(await profiled(fleet, profile), fleet.handsets[0] as SimHandset, fleet);
    try {
      await syncAt(at, profile);
      const results = await runAtChecks(at, profile, { bundleVersion: VERSION });
      expect(results.filter((result) => !result.passed).map((result) => result.id)).toEqual(['firmware-version', 'camera-absent', 'gps-absent', 'gps-power-on-refused', 'bootloader-locked']);
    } finally {
      await at.close();
    }
  });
});
