// resources/scenarios/fault-fleet.json (one handset per fault, healthy ones and a Kestrel K2) through
// the whole pipeline in process, at test speed and with short profile timeouts: every faulty handset
// stops in the step its fault belongs to, with its code; the healthy ones, the noisy one and the one
// unplugged mid-flash are provisioned; and the handsets' own command logs prove that nothing
// irreversible reached a handset that had not verified, and that no fuse bit was burned twice, also
// after the operator recovers the hung and the stalled handsets.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isValidImei } from '../../../src/shared/imei.ts';
import type { PipelineSnapshot } from '../../../src/shared/pipeline.ts';
import { loadScenario, type Scenario } from '../../../src/sim/index.ts';
import { bitsBurnedTwice, bySerial, irreversibleBeforeVerify, isIrreversible, openTestStation, SHORT_TIMEOUTS, type TestStation } from './fixture.ts';

const FLEET_FILE = join(import.meta.dirname, '../../../resources/scenarios/fault-fleet.json');
const WRITTEN = ['boot_a', 'system_a'];

/** Provisioned in the end: healthy, noisy on AT, and unplugged mid-flash then plugged back in. */
const PROVISIONED = ['HEALTHY01', 'HEALTHY02', 'HEALTHY03', 'DETACH04', 'ATNOISE09'];

/** serial, the step it stops at, its code, whether its verify passed (so fuse and lock may have reached it). */
const FAILURES: readonly (readonly [string, string, string, boolean])[] = [
  ['FLASHFAIL05', 'flash', 'DEVICE_REFUSED', false],
  ['HASHSTALL06', 'verify', 'TIMEOUT', false],
  ['FUSEREAD07', 'fuse', 'FUSE_READBACK_MISMATCH', true],
  ['REBOOTHANG08', 'reboot', 'REBOOT_TIMEOUT', true],
  // The running system reports the camera its burned fuse disables: an alarm. A bad IMEI is a fault of the handset.
  ['CAMLIE10', 'checks', 'CHECK_ALARM', true],
  ['WRONGPROD11', 'precheck', 'WRONG_PRODUCT', false],
  ['LOWBATT12', 'precheck', 'BATTERY_LOW', false],
  ['OLDBL13', 'precheck', 'BOOTLOADER_TOO_OLD', false],
  ['LOCKED14', 'precheck', 'ARRIVES_LOCKED', false],
  ['SERIALMIS15', 'identify', 'SERIAL_MISMATCH', false],
  ['BADIMEI16', 'checks', 'HANDSET_FAULTY', true],
  // The demo bundle is for lockstep-ref only: the Kestrel is identified in its own dialect and refused before any write.
  ['KESTREL17', 'precheck', 'WRONG_PRODUCT', false],
];

let scenario: Scenario;
let station: TestStation;
let first: PipelineSnapshot;

beforeAll(async () => {
  scenario = await loadScenario(FLEET_FILE);
  station = await openTestStation({ scenario, timeouts: SHORT_TIMEOUTS, parallel: 4, prefix: 'lockstep-fault-fleet-' });
  first = await station.settled(undefined, 80_000);
}, 90_000);

afterAll(async () => {
  await station?.close();
});

const journal = (serial: string) => {
  const device = station.records.journal.findDevice(station.started.info.id, serial);
  return device ? station.records.journal.stepEvents(device.id) : [];
};

describe('the fault fleet', () => {
  it('has the handsets this test expects, one per fault', () => {
    expect(scenario.devices.map((device) => device.serial).sort()).toEqual([...PROVISIONED, ...FAILURES.map(([serial]) => serial)].sort());
    expect(first.handsets).toHaveLength(scenario.devices.length);
  });

  it('provisions every healthy handset, the one with AT noise and the one unplugged mid-flash: fused by readback, locked, recorded', () => {
    for (const serial of PROVISIONED) {
      expect(bySerial(first, serial), serial).toMatchObject({ phase: 'provisioned', reason: null });
      expect(station.handset(serial).fuseWord(3, 0), serial).toBe(0x31);
      expect(station.handset(serial).unlocked, serial).toBe(false);
      const record = station.records.log.get(bySerial(first, serial)?.recordSeq as number);
      expect(record, serial).toMatchObject({ outcome: 'provisioned', serial, locked: true, firmwareVersion: '1.0.0-demo', fusesBurned: ['CAMERA_DISABLE', 'GPS_DISABLE'] });
      expect(isValidImei(record?.imei ?? ''), serial).toBe(true);
    }
  });

  it.each(FAILURES)('stops %s at %s with %s, with an action for the technician and a failed record', (serial, step, code) => {
    const handset = bySerial(first, serial);
    expect(handset).toMatchObject({ phase: 'failed', step, reason: { code } });
    expect(handset?.reason?.action).toMatch(/\w/);
    const record = station.records.log.get(handset?.recordSeq as number);
    expect(record).toMatchObject({ outcome: 'failed', failedStep: step, failureCode: code, serial });
  });

  it('resumes the handset unplugged mid-flash when it comes back, rewrites what the download lost, and writes one record', async () => {
    const steps = journal('DETACH04').map((event) => `${event.step}:${event.status}`);
    expect(steps).toContain('flash:failed');
    expect(journal('DETACH04').find((event) => event.step === 'flash' && event.status === 'failed')?.code).toBe('DISCONNECTED');
    // The station has no printer: the label is left unprinted (skipped), the handset provisioned.
    expect(steps.at(-1)).toBe('label:skipped');
    const records = station.records.log.latest({ batchId: station.started.info.id }, 1000).filter((record) => record.serial === 'DETACH04');
    expect(records.map((record) => record.outcome)).toEqual(['provisioned']);
    const commands = await station.fastboot('DETACH04');
    // The first attempt's download died at 1 MiB; the second attempt erased and flashed boot_a again.
    expect(commands.filter((command) => command === 'erase:boot_a').length).toBe(2);
    expect(commands.filter((command) => command === 'flash:boot_a').length).toBe(1);
  });

  it('fails the camera liar and the bad IMEI on their own checks, having run and reported every check', () => {
    // The checks step journals its summary (id=pass|FAIL for each check), then the failure with its reason.
    // The checks' outcomes are the failed event's data: every check ran and was judged on its own.
    const checks = (serial: string) => {
      const event = journal(serial).findLast((candidate) => candidate.step === 'checks' && candidate.status === 'failed');
      expect(event?.code).toBe(FAILURES.find(([failed]) => failed === serial)?.[2]);
      return Object.fromEntries(((event?.data ?? { checks: [] }) as { checks: { id: string; passed: boolean }[] }).checks.map((check) => [check.id, check.passed]));
    };
    expect(checks('CAMLIE10')).toMatchObject({ 'camera-absent': false, imei: true, 'gps-absent': true });
    expect(checks('BADIMEI16')).toMatchObject({ imei: false, 'camera-absent': true });
    expect(bySerial(first, 'CAMLIE10')?.reason?.message).toMatch(/camera/i);
  });

  it('passed the AT-noise handset through the same checks in spite of the noise', () => {
    expect(journal('ATNOISE09').findLast((event) => event.step === 'checks')).toMatchObject({ status: 'passed' });
  });

  it('sent no fuse or lock command to a handset whose verify did not pass, nothing at all to those refused before flashing, and burned no bit twice', async () => {
    for (const device of scenario.devices) {
      const commands = await station.fastboot(device.serial);
      const failure = FAILURES.find(([serial]) => serial === device.serial);
      const verified = failure === undefined || failure[3];
      expect(journal(device.serial).some((event) => event.step === 'verify' && event.status === 'passed'), device.serial).toBe(verified);
      if (!verified) expect(commands.filter(isIrreversible), device.serial).toEqual([]);
      if (failure && ['precheck', 'identify'].includes(failure[1])) {
        expect(commands.filter((command) => /^(download:|flash:|erase:|oem (fuse prog|efuse blow) |flashing lock$|oem lock$)/.test(command)), device.serial).toEqual([]);
      }
      expect(irreversibleBeforeVerify(commands, WRITTEN), device.serial).toEqual([]);
      expect(bitsBurnedTwice(commands), device.serial).toEqual([]);
    }
    // The fuse liar: burned once, then stopped before the lock.
    const liar = await station.fastboot('FUSEREAD07');
    expect(liar.filter(isIrreversible)).toEqual(['oem fuse prog 3 0 0x30']);
    expect(station.handset('FUSEREAD07').fuseWord(3, 0)).toBe(0x31);
    expect(station.handset('FUSEREAD07').unlocked).toBe(true);
  });

  it('provisions the hung handset once it is plugged back into fastboot, resuming after the lock without repeating anything irreversible', async () => {
    const before = await station.fastboot('REBOOTHANG08');
    expect(before.filter(isIrreversible)).toEqual(['oem fuse prog 3 0 0x30', 'flashing lock']);
    station.handset('REBOOTHANG08').plugIn();
    const done = await station.until((snapshot) => bySerial(snapshot, 'REBOOTHANG08')?.phase === 'provisioned', 'REBOOTHANG08 provisioned', 30_000);
    expect(bySerial(done, 'REBOOTHANG08')?.reason).toBeNull();
    const after = (await station.fastboot('REBOOTHANG08')).slice(before.length);
    expect(after.filter(isIrreversible)).toEqual([]);
    expect(after.filter((command) => /^(download|flash|erase):/.test(command))).toEqual([]);
    // Its own readback proved the partitions instead.
    expect(after.map((command) => /^oem sha256 (\S+)/.exec(command)?.[1]).filter(Boolean)).toEqual(WRITTEN);
  });

  it('provisions the stalled handset on retry from its readback: no flash again, the verify repeated', async () => {
    const before = await station.fastboot('HASHSTALL06');
    expect(station.started.batch.retry('HASHSTALL06')).toBe(true);
    const done = await station.until((snapshot) => ['provisioned', 'failed'].includes(bySerial(snapshot, 'HASHSTALL06')?.phase ?? '') && bySerial(snapshot, 'HASHSTALL06')?.step !== 'verify', 'HASHSTALL06 retried', 30_000);
    expect(bySerial(done, 'HASHSTALL06')).toMatchObject({ phase: 'provisioned', reason: null });
    const after = (await station.fastboot('HASHSTALL06')).slice(before.length);
    expect(after.filter((command) => /^(download|flash|erase):/.test(command))).toEqual([]);
    expect(after.map((command) => /^oem sha256 (\S+)/.exec(command)?.[1]).filter(Boolean)).toEqual(WRITTEN);
    expect(after.filter(isIrreversible)).toEqual(['oem fuse prog 3 0 0x30', 'flashing lock']);
    expect(station.handset('HASHSTALL06').fuseWord(3, 0)).toBe(0x31);
  });

  it('never burns a bit twice on the fuse liar, and refuses the operator\'s retry of it', async () => {
    const before = await station.fastboot('FUSEREAD07');
    // The liar's read-back alarm quarantined it: the retry is refused outright, so nothing is sent.
    expect(bySerial(station.started.batch.snapshot, 'FUSEREAD07')?.reason?.code).toBe('FUSE_READBACK_MISMATCH');
    expect(() => station.started.batch.retry('FUSEREAD07')).toThrow(expect.objectContaining({ code: 'QUARANTINED' }));
    const commands = await station.fastboot('FUSEREAD07');
    expect(commands.slice(before.length)).toEqual([]);
    expect(bitsBurnedTwice(commands)).toEqual([]);
    expect(commands).not.toContain('flashing lock');
  });

  it('keeps the chain intact', () => {
    expect(station.records.checkIntegrity()).toMatchObject({ database: [], chain: { intact: true } });
  });
});
