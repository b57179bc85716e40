// The pipeline end to end against the virtual handset, in process: healthy handsets come out
// flashed, fused, locked and recorded; faulty ones stop in the right step with their reason, and
// their own command logs prove that nothing irreversible reached a handset that had not verified.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoBundle } from '../../../src/main/bundle/demo.ts';
import { HandsetRegistry } from '../../../src/main/discovery/registry.ts';
import { SimSerialBackend } from '../../../src/main/discovery/sim-serial-backend.ts';
import { UsbBackend } from '../../../src/main/discovery/usb-backend.ts';
import { openStationRecords, type StationRecords } from '../../../src/main/records/station-records.ts';
import { startProvisioning, type StartedBatch } from '../../../src/main/station/provisioning.ts';
import type { PipelineSnapshot } from '../../../src/shared/pipeline.ts';
import { isValidImei } from '../../../src/shared/imei.ts';
import { createSimFleet, parseScenario, readCommandLog, type SimFleet } from '../../../src/sim/index.ts';

const ADMIN = { id: 'admin', pin: '4711235' };
const SUPERVISOR = { id: 'sup.kowalski', pin: '90210044' };
const TECHNICIAN = { id: 'tech.ng', pin: '55550001' };

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
  ],
});

let dir: string;
let fleet: SimFleet;
let records: StationRecords;
let registry: HandsetRegistry;
let started: StartedBatch;
let final: PipelineSnapshot;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-pipeline-'));
  const bundle = join(dir, 'bundle');
  await generateDemoBundle({ out: bundle });
  records = openStationRecords(join(dir, 'station'));
  records.operators.createFirstAdmin({ id: ADMIN.id, displayName: 'Depot Admin', pin: ADMIN.pin });
  records.operators.add(ADMIN, { id: SUPERVISOR.id, displayName: 'A. Kowalski', role: 'supervisor', pin: SUPERVISOR.pin });
  records.operators.add(ADMIN, { id: TECHNICIAN.id, displayName: 'T. Ng', role: 'technician', pin: TECHNICIAN.pin });
  fleet = await createSimFleet({ scenario, stateDir: join(dir, 'sim') });
  registry = new HandsetRegistry([new UsbBackend(fleet.usb, 'Simulated USB'), new SimSerialBackend(fleet.serial)]);
  await registry.start();
  started = await startProvisioning({
    records,
    registry,
    bundlePath: bundle,
    trustDirs: [],
    demo: true,
    operator: TECHNICIAN,
    supervisor: SUPERVISOR,
    deviceCap: scenario.devices.length,
    parallel: 4,
    continueBatch: false,
  });
  final = await new Promise<PipelineSnapshot>((resolve) => {
    const stop = started.batch.subscribe((snapshot) => {
      const done = snapshot.handsets.length === scenario.devices.length && snapshot.handsets.every((handset) => ['provisioned', 'failed'].includes(handset.phase));
      if (done) queueMicrotask(() => (stop(), resolve(snapshot)));
    });
  });
}, 120_000);

afterAll(async () => {
  await started?.batch.stop();
  await registry?.stop();
  await fleet?.close();
  records?.close();
  rmSync(dir, { recursive: true, force: true });
});

const bySerial = (serial: string) => final.handsets.find((handset) => handset.serial === serial);
const handset = (serial: string) => fleet.handsets.find((candidate) => candidate.serial === serial);

describe('a batch of virtual handsets', () => {
  it('provisions the healthy handsets: fuses burned by readback, locked, recorded with a valid IMEI and the bundle version', () => {
    for (const serial of ['GOOD0001', 'GOOD0002']) {
      expect(bySerial(serial)).toMatchObject({ phase: 'provisioned', reason: null });
      expect(handset(serial)?.fuseWord(3, 0)).toBe(0b11_0001);
      expect(handset(serial)?.unlocked).toBe(false);
      const seq = bySerial(serial)?.recordSeq as number;
      const record = records.log.get(seq);
      expect(record).toMatchObject({ outcome: 'provisioned', deviceSerial: serial, locked: true, firmwareVersion: '1.0.0-demo', fusesBurned: ['CAMERA_DISABLE', 'GPS_DISABLE'] });
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
  ])('stops %s at %s with %s and records it', (serial, step, code) => {
    expect(bySerial(serial)).toMatchObject({ phase: 'failed', step, reason: { code } });
    expect(bySerial(serial)?.reason?.action).toMatch(/\w/);
  });

  it('never sent a fuse or lock command to a handset that did not verify, and never programmed a bit twice', async () => {
    for (const device of scenario.devices) {
      const log = await readCommandLog(join(dir, 'sim'), device.serial);
      const commands = log.filter((entry) => entry.channel === 'fastboot').map((entry) => entry.command);
      const irreversible = commands.filter((command) => command.startsWith('oem fuse prog') || command === 'flashing lock');
      const verified = commands.some((command) => command.startsWith('oem sha256 system_a'));
      if (!verified) expect(irreversible, device.serial).toEqual([]);
      expect(commands.filter((command) => command.startsWith('oem fuse prog')).length, device.serial).toBeLessThanOrEqual(1);
    }
    const liar = (await readCommandLog(join(dir, 'sim'), 'FUSELIAR')).map((entry) => entry.command);
    expect(liar).not.toContain('flashing lock');
  });

  it('journals every step of a provisioned handset in lifecycle order, the irreversible ones under the authorisation', () => {
    const device = records.journal.findDevice(started.info.id, 'GOOD0001');
    const events = records.journal.stepEvents(device?.id as number).filter((event) => event.status !== 'started');
    expect(events.map((event) => event.step)).toEqual(['detect', 'identify', 'precheck', 'flash', 'verify', 'fuse', 'lock', 'reboot', 'checks', 'record', 'label']);
    for (const event of events.filter((candidate) => candidate.step === 'fuse' || candidate.step === 'lock')) expect(event.authorisation).toMatchObject({ authorised: true });
  });

  it('keeps the chain intact', () => {
    expect(records.checkIntegrity()).toMatchObject({ database: [], chain: { intact: true } });
  });
});
