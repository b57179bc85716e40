// Retrying a failed handset (batch.retry, the operator's Retry button) resumes it from the first step
// its own readback does not prove done (docs/pipeline.md, "Resume rules"): a handset that failed after
// its flash passed is verified again instead of flashed again; one whose flash failed is flashed
// again; one whose AT checks failed is checked again; and no fuse bit is ever sent to be burned twice:
// a burn the handset refused is read back on retry and, still unset, raises an alarm instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HandsetSnapshot, PipelineSnapshot } from '../../../src/shared/pipeline.ts';
import { parseScenario } from '../../../src/sim/index.ts';
import { bitsBurnedTwice, bySerial, irreversibleBeforeVerify, isIrreversible, OUTCOMES, openTestStation, type TestStation } from './fixture.ts';

const WRITTEN = ['boot_a', 'system_a'];

const scenario = parseScenario({
  devices: [
    // Fails the verify of system_a once: the flash passed and the partitions hold the bundle.
    { serial: 'VERIFYFAIL', faults: [{ kind: 'fail', command: 'oem sha256 system_a', message: 'hash engine busy', times: 1 }] },
    // Fails the flash of system_a once: nothing proves the flash done.
    { serial: 'FLASHFAIL', faults: [{ kind: 'fail', command: 'flash:system_a', message: 'eMMC write error 0x15', times: 1 }] },
    // Refuses the fuse burn once (FAIL), so the readback still shows the bits unset: sent once, never again.
    { serial: 'FUSEFAIL', faults: [{ kind: 'fail', command: 'oem fuse prog', message: 'fuse controller not ready', times: 1 }] },
    // The OS answers the IMEI query with an error once: the checks fail after fuse and lock.
    { serial: 'ATFAIL', faults: [{ kind: 'fail', on: 'at', command: 'AT+CGSN', message: '+CME ERROR: 10', times: 1 }] },
    // The same, recovered by plugging the handset back in in fastboot mode instead.
    { serial: 'ATREPLUG', faults: [{ kind: 'fail', on: 'at', command: 'AT+CGSN', message: '+CME ERROR: 10', times: 1 }] },
  ],
});

const EXPECTED_FIRST: readonly (readonly [string, string, string])[] = [
  ['VERIFYFAIL', 'verify', 'DEVICE_REFUSED'],
  ['FLASHFAIL', 'flash', 'DEVICE_REFUSED'],
  ['FUSEFAIL', 'fuse', 'DEVICE_REFUSED'],
  ['ATFAIL', 'checks', 'CHECK_FAILED'],
  ['ATREPLUG', 'checks', 'CHECK_FAILED'],
];

let station: TestStation;
let first: PipelineSnapshot;
const before = new Map<string, string[]>();

beforeAll(async () => {
  station = await openTestStation({ scenario, prefix: 'lockstep-retry-' });
  first = await station.settled();
  for (const device of scenario.devices) before.set(device.serial, await station.fastboot(device.serial));
}, 60_000);

afterAll(async () => {
  await station?.close();
});

/** The handset's next outcome after `previous` (its snapshot when it last failed). */
function nextOutcome(serial: string, previous: HandsetSnapshot | undefined): Promise<PipelineSnapshot> {
  return station.until(
    (snapshot) => {
      const now = bySerial(snapshot, serial);
      return now !== undefined && OUTCOMES.includes(now.phase) && now.updatedAt > (previous?.updatedAt ?? '');
    },
    `the retried ${serial}'s outcome`,
    30_000,
  );
}

const since = async (serial: string): Promise<string[]> => (await station.fastboot(serial)).slice(before.get(serial)?.length ?? 0);
const count = (commands: readonly string[], wanted: string): number => commands.filter((command) => command === wanted).length;

describe('retrying a failed handset', () => {
  it.each(EXPECTED_FIRST)('first stops %s at %s with %s', (serial, step, code) => {
    expect(bySerial(first, serial)).toMatchObject({ phase: 'failed', step, reason: { code } });
  });

  it('verifies again, without flashing again, a handset whose flash had passed', async () => {
    expect(count(before.get('VERIFYFAIL') ?? [], 'flash:system_a')).toBe(1);
    expect(before.get('VERIFYFAIL')?.filter(isIrreversible)).toEqual([]);
    expect(station.started.batch.retry('VERIFYFAIL')).toBe(true);
    const done = await nextOutcome('VERIFYFAIL', bySerial(first, 'VERIFYFAIL'));
    expect(bySerial(done, 'VERIFYFAIL')).toMatchObject({ phase: 'provisioned', reason: null });
    const after = await since('VERIFYFAIL');
    expect(after.filter((command) => /^(download|flash|erase):/.test(command))).toEqual([]);
    expect(after.filter((command) => /^oem sha256 /.test(command)).map((command) => command.split(' ')[2])).toEqual(WRITTEN);
    expect(after.filter(isIrreversible)).toEqual(['oem fuse prog 3 0 0x30', 'flashing lock']);
    expect(station.handset('VERIFYFAIL').fuseWord(3, 0)).toBe(0x31);
  });

  it('flashes again a handset whose flash had failed, since nothing proves it done', async () => {
    expect(station.started.batch.retry('FLASHFAIL')).toBe(true);
    const done = await nextOutcome('FLASHFAIL', bySerial(first, 'FLASHFAIL'));
    expect(bySerial(done, 'FLASHFAIL')).toMatchObject({ phase: 'provisioned', reason: null });
    const after = await since('FLASHFAIL');
    for (const partition of WRITTEN) {
      expect(count(after, `erase:${partition}`)).toBe(1);
      expect(count(after, `flash:${partition}`)).toBe(1);
    }
    expect(after.filter(isIrreversible)).toEqual(['oem fuse prog 3 0 0x30', 'flashing lock']);
  });

  it('never sends a refused burn again: on retry the readback decides, and bits sent but unset are an alarm that quarantines', async () => {
    expect(before.get('FUSEFAIL')?.filter(isIrreversible)).toEqual(['oem fuse prog 3 0 0x30']);
    expect(station.handset('FUSEFAIL').fuseWord(3, 0)).toBe(0x01);
    expect(station.started.batch.retry('FUSEFAIL')).toBe(true);
    const done = await nextOutcome('FUSEFAIL', bySerial(first, 'FUSEFAIL'));
    expect(bySerial(done, 'FUSEFAIL')).toMatchObject({ phase: 'failed', step: 'fuse', reason: { code: 'FUSE_UNCONFIRMED' } });
    const after = await since('FUSEFAIL');
    expect(after.filter((command) => /^(download|flash|erase):/.test(command))).toEqual([]);
    // Read back, found unset although sent once: nothing more goes out, and no lock.
    expect(after.filter((command) => command.startsWith('oem fuse') || command === 'flashing lock')).toEqual(['oem fuse read 3 0']);
    expect(station.handset('FUSEFAIL').fuseWord(3, 0)).toBe(0x01);
    const record = station.records.log.latest({ batchId: station.started.info.id }, 1000).findLast((entry) => entry.serial === 'FUSEFAIL');
    expect(record).toMatchObject({ outcome: 'failed', failedStep: 'fuse', failureCode: 'FUSE_UNCONFIRMED', fusesBurned: [], locked: false });
    // Quarantined: a further retry is refused by the batch itself, so the card keeps its alarm and no record is added.
    const records = station.records.log.latest({ batchId: station.started.info.id }, 1000).length;
    expect(() => station.started.batch.retry('FUSEFAIL')).toThrow(expect.objectContaining({ code: 'QUARANTINED', message: expect.stringMatching(/quarantined \(FUSE_UNCONFIRMED\)/) }));
    expect(bySerial(station.started.batch.snapshot, 'FUSEFAIL')).toMatchObject({ phase: 'failed', step: 'fuse', reason: { code: 'FUSE_UNCONFIRMED' } });
    expect(station.records.log.latest({ batchId: station.started.info.id }, 1000)).toHaveLength(records);
    expect((await since('FUSEFAIL')).filter((command) => command.startsWith('oem fuse') || command === 'flashing lock')).toEqual(['oem fuse read 3 0']);
  });

  it('checks again a handset whose AT checks failed, without repeating anything irreversible', async () => {
    expect(before.get('ATFAIL')?.filter(isIrreversible)).toEqual(['oem fuse prog 3 0 0x30', 'flashing lock']);
    expect(station.handset('ATFAIL').mode).toBe('booted');
    // The handset is still attached (on its AT port); the operator presses Retry.
    expect(station.started.batch.retry('ATFAIL')).toBe(true);
    const done = await nextOutcome('ATFAIL', bySerial(first, 'ATFAIL'));
    expect(bySerial(done, 'ATFAIL')).toMatchObject({ phase: 'provisioned', reason: null });
    const after = await since('ATFAIL');
    expect(after.filter((command) => isIrreversible(command) || /^(download|flash|erase):/.test(command))).toEqual([]);
    expect((await station.at('ATFAIL')).filter((command) => command === 'AT+CGSN')).toHaveLength(2);
  });

  it('resumes after the lock a handset with failed checks that is plugged back in in fastboot mode', async () => {
    station.handset('ATREPLUG').plugIn();
    const done = await nextOutcome('ATREPLUG', bySerial(first, 'ATREPLUG'));
    expect(bySerial(done, 'ATREPLUG')).toMatchObject({ phase: 'provisioned', reason: null });
    const after = await since('ATREPLUG');
    expect(after.filter((command) => isIrreversible(command) || /^(download|flash|erase):/.test(command))).toEqual([]);
    expect(after.filter((command) => /^oem sha256 /.test(command)).map((command) => command.split(' ')[2])).toEqual(WRITTEN);
  });

  it('never sent a bit to be burned twice to a handset whose readback showed it set, nor a fuse or lock before verify', async () => {
    for (const device of scenario.devices) {
      const commands = await station.fastboot(device.serial);
      expect(irreversibleBeforeVerify(commands, WRITTEN), device.serial).toEqual([]);
      expect(bitsBurnedTwice(commands), device.serial).toEqual([]);
      expect(count(commands, 'flashing lock'), device.serial).toBeLessThanOrEqual(1);
    }
  });

  it('records one provisioned record per handset after its failed one, and keeps the chain intact', () => {
    const records = station.records.log.latest({ batchId: station.started.info.id }, 1000);
    // ATFAIL's and FUSEFAIL's own tests cover their outcomes.
    for (const device of scenario.devices.filter((candidate) => !['ATFAIL', 'FUSEFAIL'].includes(candidate.serial))) {
      const outcomes = records.filter((record) => record.serial === device.serial).sort((a, b) => a.seq - b.seq).map((record) => record.outcome);
      expect(outcomes.at(-1), device.serial).toBe('provisioned');
      expect(outcomes.filter((outcome) => outcome === 'provisioned'), device.serial).toHaveLength(1);
    }
    expect(station.records.checkIntegrity()).toMatchObject({ database: [], chain: { intact: true } });
  });
});
