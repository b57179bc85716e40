// The second device profile end to end: Kestrel K2 handsets, whose bootloader and OS speak another
// vendor's dialect (src/sim/models/kestrel.ts implements it in code, never from the profile), are
// provisioned by a bundle built for kestrel-k2: fused by the Kestrel fuse map (bank 1 word 2 bits 9
// and 12), locked with `oem lock`, and checked over AT in the Kestrel's commands.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBundle } from '../../../src/main/bundle/create.ts';
import { generateDemoBundle } from '../../../src/main/bundle/demo.ts';
import { demoKey } from '../../../src/main/bundle/demo-key.ts';
import { imagePathFor } from '../../../src/main/bundle/layout.ts';
import { isValidImei } from '../../../src/shared/imei.ts';
import type { PipelineSnapshot } from '../../../src/shared/pipeline.ts';
import { parseScenario } from '../../../src/sim/index.ts';
import { bitsBurnedTwice, bySerial, irreversibleBeforeVerify, isIrreversible, openTestStation, type TestStation } from './fixture.ts';

const VERSION = '2.4.0-k2';
const KESTRELS = ['KES0001', 'KES0002', 'KESNOISE'];
const CAMERA_AND_GPS = (1 << 9) | (1 << 12);

const scenario = parseScenario({
  devices: [
    { serial: 'KES0001', model: 'kestrel-k2' },
    { serial: 'KES0002', model: 'kestrel-k2' },
    { serial: 'KESNOISE', model: 'kestrel-k2', faults: [{ kind: 'at-noise' }] },
    { serial: 'REFHANDSET' },
  ],
});

/** The demo images (the system image names VERSION as its build), in a bundle for kestrel-k2 revision R3 signed by the demo key. */
async function kestrelBundle(dir: string): Promise<string> {
  const images = join(dir, 'images-source');
  await generateDemoBundle({ out: images, product: 'kestrel-k2', version: VERSION });
  const out = join(dir, 'kestrel-bundle');
  await createBundle({
    products: ['kestrel-k2'],
    hardwareRevisions: ['R3'],
    version: VERSION,
    buildId: 'KESTREL-TEST',
    minBootloaderVersion: 'KBL-2.0.0',
    rollbackIndex: 1,
    partitions: [
      { name: 'boot', path: join(images, imagePathFor('boot')), bootSlot: 'active' },
      { name: 'system', path: join(images, imagePathFor('system')), sparse: true, bootSlot: 'active' },
    ],
    fuses: ['CAMERA_DISABLE', 'GPS_DISABLE'],
    lockBootloader: true,
    signingKeys: [demoKey().privateKey],
    out,
    demo: true,
  });
  return out;
}

let station: TestStation;
let final: PipelineSnapshot;

beforeAll(async () => {
  station = await openTestStation({ scenario, bundle: kestrelBundle, prefix: 'lockstep-kestrel-' });
  final = await station.settled();
}, 60_000);

afterAll(async () => {
  await station?.close();
});

describe('a batch of Kestrel K2 handsets', () => {
  it('is a batch for kestrel-k2 only', () => {
    expect(station.started.info).toMatchObject({ products: ['kestrel-k2'], bundleVersion: VERSION, fuses: ['CAMERA_DISABLE', 'GPS_DISABLE'], lockBootloader: true });
    expect(bySerial(final, 'REFHANDSET')).toMatchObject({ phase: 'failed', step: 'precheck', reason: { code: 'WRONG_PRODUCT' }, profile: 'lockstep-ref' });
  });

  it.each(KESTRELS)('provisions %s under its own profile: fuses by the Kestrel map, locked, recorded', (serial) => {
    expect(bySerial(final, serial)).toMatchObject({ phase: 'provisioned', profile: 'kestrel-k2', reason: null });
    const handset = station.handset(serial);
    expect(handset.fuseWord(1, 2)).toBe(CAMERA_AND_GPS);
    expect(handset.fuseWord(0, 0)).toBe(1);
    expect(handset.fuseWord(3, 0)).toBe(0);
    expect(handset.unlocked).toBe(false);
    const record = station.records.log.get(bySerial(final, serial)?.recordSeq as number);
    expect(record).toMatchObject({
      outcome: 'provisioned',
      serial,
      product: 'kestrel-k2',
      hwRevision: 'R3',
      bootloaderVersion: 'KBL-2.0.1',
      firmwareVersion: VERSION,
      locked: true,
      fusesBurned: ['CAMERA_DISABLE', 'GPS_DISABLE'],
      fuseReadback: [{ bank: 1, word: 2, value: CAMERA_AND_GPS }],
    });
    expect(isValidImei(record?.imei ?? '')).toBe(true);
  });

  it.each(KESTRELS)('spoke the Kestrel fastboot dialect to %s: its variables, hash, efuse and oem lock, and never the reference commands', async (serial) => {
    const commands = await station.fastboot(serial);
    for (const variable of ['serialno', 'product', 'hwrev', 'blversion', 'device-state', 'battery-mv']) expect(commands).toContain(`getvar:${variable}`);
    expect(commands).toContain(`oem hash sha256 boot_a ${2 * 1024 * 1024}`);
    expect(commands).toContain(`oem hash sha256 system_a ${16 * 1024 * 1024}`);
    expect(commands).toContain('oem efuse read b1w2');
    expect(commands.filter(isIrreversible)).toEqual(['oem efuse blow b1w2 0x1200', 'oem lock']);
    expect(commands.filter((command) => /^(oem sha256|oem fuse|flashing )/.test(command))).toEqual([]);
    expect(irreversibleBeforeVerify(commands, ['boot_a', 'system_a'])).toEqual([]);
    expect(bitsBurnedTwice(commands)).toEqual([]);
  });

  it.each(KESTRELS)('passed every AT check of %s in the Kestrel dialect', async (serial) => {
    const at = await station.at(serial);
    for (const command of ['AT+GSN', 'AT+GMR', 'AT$CAPS?', 'AT$GNSS=ON', 'AT$BOOTSTATE?']) expect(at).toContain(command);
    expect(at.filter((command) => /^AT\+(CGSN|CGMR|XCAPS|CGPS|XBLSTATE)/i.test(command))).toEqual([]);
    const device = station.records.journal.findDevice(station.started.info.id, serial);
    const checks = station.records.journal.stepEvents(device?.id as number).findLast((event) => event.step === 'checks');
    expect(checks).toMatchObject({ status: 'passed', data: { checks: ['imei', 'firmware-version', 'camera-absent', 'gps-absent', 'gps-power-on-refused', 'bootloader-locked'].map((id) => ({ id, passed: true })) } });
    expect(checks?.detail).toBe('imei=pass firmware-version=pass camera-absent=pass gps-absent=pass gps-power-on-refused=pass bootloader-locked=pass');
  });

  it('sent the reference handset nothing that writes', async () => {
    const commands = await station.fastboot('REFHANDSET');
    expect(commands.filter((command) => /^(download:|flash:|erase:)/.test(command) || isIrreversible(command))).toEqual([]);
    expect(station.handset('REFHANDSET').fuseWord(3, 0)).toBe(1);
  });
});
