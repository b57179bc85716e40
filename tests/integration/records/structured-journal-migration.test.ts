// A records database written by the station before the structured journal (schema 6, fixture made at
// b20847d through that version's records API with the exact texts its pipeline journaled, handsets
// stopped at every step boundary) is opened by this version: every event in a known wording gets its
// code and typed data, the one in a foreign wording is kept verbatim and quarantines its handset, and
// what each handset's history then decides is what its journal proves — no fuse bit or lock ever
// counts as unsent once it may have gone out.
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../../src/main/records/migrations.ts';
import { openStationRecords, type StationRecords } from '../../../src/main/records/station-records.ts';
import { historyOf, type History } from '../../../src/main/pipeline/history.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures');
const dir = mkdtempSync(join(tmpdir(), 'lockstep-journal-7-'));
let records: StationRecords;

beforeAll(() => {
  copyFileSync(join(FIXTURES, 'journal-schema-6.sqlite'), join(dir, 'records.sqlite'));
  copyFileSync(join(FIXTURES, 'journal-schema-6.station-key.pem'), join(dir, 'station-key.pem'));
  // A clone does not keep the key file's mode; the station refuses a key others can read.
  chmodSync(join(dir, 'station-key.pem'), 0o600);
  records = openStationRecords(dir);
});

afterAll(() => {
  records?.close();
  rmSync(dir, { recursive: true, force: true });
});

function history(serial: string): History {
  const device = records.journal.findDevice(1, serial);
  if (!device) throw new Error(`no ${serial} in the fixture`);
  return historyOf(records.journal.stepEvents(device.id));
}

/** LSMG0001 stopped after its first event, LSMG0013 after its thirteenth (see the fixture's order). */
const stoppedAfter = (index: number): string => `LSMG${String(index).padStart(4, '0')}`;

describe('a schema 6 journal opened by the structured journal', () => {
  it('is migrated to the current schema with every event of a known wording converted', () => {
    const db = records.journal;
    const all = ['LSFX0001', 'LSFX0002', ...Array.from({ length: 13 }, (_, index) => stoppedAfter(index + 1)), 'LSMG0101', 'LSMG0102', 'LSMG0103'].flatMap((serial) => {
      const device = db.findDevice(1, serial);
      return device ? db.stepEvents(device.id) : [];
    });
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(7);
    expect(all.length).toBeGreaterThan(150);
    expect(all.filter((event) => event.unconverted)).toEqual([]);
    for (const event of all.filter((candidate) => candidate.status === 'failed')) expect(event.code, `${event.step} ${event.detail}`).not.toBeNull();
  });

  it('turns the facts that decide the future into data: fuse words and masks, lock state, alarms, checks', () => {
    const provisioned = records.journal.stepEvents(records.journal.findDevice(1, 'LSFX0001')?.id ?? 0);
    const fuse = provisioned.filter((event) => event.step === 'fuse').map((event) => [event.status, event.data]);
    expect(fuse).toEqual([
      ['started', { event: 'read-before', words: [{ bank: 3, word: 0, value: 0x01 }], programsUnjournaled: true }],
      ['started', { event: 'program-acknowledged', bank: 3, word: 0, mask: 0x30 }],
      ['passed', { after: [{ bank: 3, word: 0, value: 0x31 }], burned: null }],
    ]);
    expect(provisioned.find((event) => event.step === 'lock' && event.status === 'passed')?.data).toEqual({ lockState: 'no', sent: true });
    expect(provisioned.find((event) => event.step === 'record')?.data).toEqual({ outcome: 'provisioned', seq: 2 });
    const camera = records.journal.stepEvents(records.journal.findDevice(1, 'LSFX0002')?.id ?? 0).filter((event) => event.step === 'checks');
    expect(camera.map((event) => [event.status, event.code])).toEqual([
      ['failed', 'CHECK_FAILED'],
      ['failed', 'CHECK_FAILED'],
    ]);
    expect(camera[0]?.data).toMatchObject({ checks: expect.arrayContaining([{ id: 'camera-absent', passed: false }, { id: 'imei', passed: true }]) });
    expect(history('LSMG0102').alarm).toMatchObject({ code: 'FUSE_READBACK_MISMATCH' });
  });

  it('decides for each handset stopped at a step boundary what its journal proves, and nothing more', () => {
    // Before the fuse step began: nothing irreversible can have been sent.
    for (const index of [1, 2, 3, 4, 5, 6]) {
      const stopped = history(stoppedAfter(index));
      expect(stopped.fuseBitsSent.size + Number(stopped.fuseProgramsUnjournaled) + Number(stopped.lockSent), stoppedAfter(index)).toBe(0);
      expect(stopped.alarm).toBeNull();
    }
    expect(history(stoppedAfter(4)).flashWritten).toBe(true);
    expect(history(stoppedAfter(3)).flashWritten).toBe(false);
    // The older station burned before journaling: after its read-before, unset policy bits count as possibly sent.
    expect(history(stoppedAfter(7))).toMatchObject({ fuseProgramsUnjournaled: true, lockSent: false });
    expect(history(stoppedAfter(8)).fuseBitsSent.get('3/0')).toBe(0x30);
    expect([...history(stoppedAfter(9)).passed]).toContain('fuse');
    // Its lock step had started: the lock may have gone out, so it is never sent again.
    expect(history(stoppedAfter(10))).toMatchObject({ lockSent: true });
    expect(history(stoppedAfter(11)).lockPassed).toEqual({ lockState: 'no', sent: true });
    expect(history(stoppedAfter(13)).passed.has('reboot')).toBe(true);
    expect(history('LSMG0101')).toMatchObject({ alarm: null, flashWritten: true, unreadable: null });
  });

  it('keeps an event in a wording no station wrote verbatim, and its handset is quarantined', () => {
    const foreign = history('LSMG0104');
    expect(foreign.unreadable).toMatchObject({ step: 'fuse', status: 'started', unconverted: true, code: null, data: null, detail: 'programmed bank 3 word 0 mask 0x30 (retry)' });
    const events = records.journal.stepEvents(records.journal.findDevice(1, 'LSMG0104')?.id ?? 0);
    expect(events.filter((event) => event.unconverted)).toHaveLength(1);
  });

  it('keeps the hash chain of the records written before it intact', () => {
    expect(records.checkIntegrity()).toMatchObject({ database: [], chain: { intact: true, records: 2 } });
  });
});
