// The pipeline end to end against the virtual handset, in process: healthy handsets come out
// flashed, fused, locked and recorded; faulty ones stop in the right step with their reason, and
// their own command logs prove that nothing irreversible reached a handset that had not verified.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineSnapshot } from '../../../src/shared/pipeline.ts';
import { isValidImei } from '../../../src/shared/imei.ts';
import { parseScenario } from '../../../src/sim/index.ts';
import { bitsBurnedTwice, irreversibleBeforeVerify, isIrreversible, openTestStation, type TestStation } from './fixture.ts';

const HOSTILE = "=cmd|' /C calc'!A0^XA\u001b[2J\u202e";

const scenario = parseScenario({
  timing: { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 200 },
  devices: [
    { serial: 'GOOD0001' },
    { serial: 'GOOD0002' },
    { serial: 'FAILFLASH', faults: [{ kind: 'fail', command: 'flash:system', message: 'emmc write error', times: 'always' }] },
    { serial: 'FUSELIAR', faults: [{ kind: 'fuse-readback', bank: 3, word: 0, clearBits: 32 }] },
    { serial: 'WRONGPROD', product: 'other-phone' },
    { serial: 'LOWBATT', batteryVoltage: '3300' },
    { serial: 'LOCKED01', unlocked: false },
    { serial: 'SERIALUSB', getvarOverrides: { serialno: 'SOMEONE-ELSE' } },
    // A hostile serial (formula, ZPL, ESC, bidi override) the handset reports the same way everywhere.
    { serial: HOSTILE, getvarOverrides: { serialno: HOSTILE } },
  ],
});

let station: TestStation;
let final: PipelineSnapshot;

beforeAll(async () => {
  station = await openTestStation({ scenario, parallel: 4 });
  final = await station.settled();
}, 120_000);

afterAll(async () => {
  await station?.close();
});

const bySerial = (serial: string) => final.handsets.find((handset) => handset.serial === serial);
const handset = (serial: string) => station.handset(serial);

describe('a batch of virtual handsets', () => {
  it('provisions the healthy handsets: fuses burned by readback, locked, recorded with a valid IMEI and the bundle version', () => {
    for (const serial of ['GOOD0001', 'GOOD0002']) {
      expect(bySerial(serial)).toMatchObject({ phase: 'provisioned', reason: null });
      expect(handset(serial)?.fuseWord(3, 0)).toBe(0b11_0001);
      expect(handset(serial)?.unlocked).toBe(false);
      const seq = bySerial(serial)?.recordSeq as number;
      const record = station.records.log.get(seq);
      expect(record).toMatchObject({ outcome: 'provisioned', serial, locked: true, firmwareVersion: '1.0.0-demo', fusesBurned: ['CAMERA_DISABLE', 'GPS_DISABLE'] });
      expect(record?.fuseReadback).toEqual([{ bank: 3, word: 0, value: 0x31 }]);
      expect(isValidImei(record?.imei ?? '')).toBe(true);
      expect(record?.authorisationId).not.toBeNull();
    }
  });

  it.each([
    ['FAILFLASH', 'flash', 'DEVICE_REFUSED'],
    ['FUSELIAR', 'fuse', 'FUSE_READBACK_MISMATCH'],
    ['WRONGPROD', 'precheck', 'WRONG_PRODUCT'],
    ['LOWBATT', 'precheck', 'BATTERY_LOW'],
    ['LOCKED01', 'precheck', 'ARRIVES_LOCKED'],
    ['SERIALUSB', 'identify', 'SERIAL_MISMATCH'],
    [HOSTILE, 'identify', 'SERIAL_INVALID'],
  ])('stops %s at %s with %s and records it', (serial, step, code) => {
    expect(bySerial(serial)).toMatchObject({ phase: 'failed', step, reason: { code } });
    expect(bySerial(serial)?.reason?.action).toMatch(/\w/);
  });

  it('never sent a fuse or lock command to a handset that did not verify, and never programmed a bit twice', async () => {
    const verified = ['GOOD0001', 'GOOD0002', 'FUSELIAR'];
    for (const device of scenario.devices) {
      const commands = await station.fastboot(device.serial);
      if (!verified.includes(device.serial)) expect(commands.filter(isIrreversible), device.serial).toEqual([]);
      expect(irreversibleBeforeVerify(commands, ['boot_a', 'system_a']), device.serial).toEqual([]);
      expect(bitsBurnedTwice(commands), device.serial).toEqual([]);
    }
    expect(await station.fastboot('FUSELIAR')).not.toContain('flashing lock');
  });

  it('journals every step of a provisioned handset in lifecycle order, the irreversible ones under the authorisation', () => {
    const device = station.records.journal.findDevice(station.started.info.id, 'GOOD0001');
    const events = station.records.journal.stepEvents(device?.id as number).filter((event) => event.status !== 'started');
    expect(events.map((event) => event.step)).toEqual(['detect', 'identify', 'precheck', 'flash', 'verify', 'fuse', 'lock', 'reboot', 'checks', 'record', 'label']);
    for (const event of events.filter((candidate) => candidate.step === 'fuse' || candidate.step === 'lock')) expect(event.authorisation).toMatchObject({ authorised: true });
  });

  it('leaves each label unprinted for want of a printer (the station has none), as data in the journal and in the snapshot', () => {
    for (const serial of ['GOOD0001', 'GOOD0002']) {
      expect(bySerial(serial)).toMatchObject({ phase: 'provisioned', steps: { record: 'passed', label: 'skipped' }, unprintedLabel: 'no-printer' });
      const device = station.records.journal.findDevice(station.started.info.id, serial);
      const label = station.records.journal.stepEvents(device?.id as number).filter((event) => event.step === 'label' && event.status !== 'started');
      expect(label).toMatchObject([{ status: 'skipped', data: { unprinted: 'no-printer' } }]);
    }
    expect(bySerial('FAILFLASH')).toMatchObject({ steps: { label: 'waiting' }, unprintedLabel: null });
  });

  it("flashes the demo bundle's boot image, stored re-sparsed (its zero padding as FILL), so that each provisioned handset's boot partition hashes to the signed expanded content", async () => {
    const boot = station.started.bundle.manifest.partitions.find((partition) => partition.name === 'boot');
    expect(boot).toMatchObject({ sparse: true });
    expect(boot?.size).toBeLessThan(boot?.expanded.size ?? 0);
    for (const serial of ['GOOD0001', 'GOOD0002']) expect(await handset(serial).partitions.sha256('boot_a', boot?.expanded.size ?? 0)).toBe(boot?.expanded.sha256);
  });

  it('keeps the chain intact', () => {
    expect(station.records.checkIntegrity()).toMatchObject({ database: [], chain: { intact: true } });
  });
});
