// The label store reads the records through the records API (search, log, operators): the record of
// a serial is the newest provisioned one with exactly that serial, never one whose serial merely
// contains it, and the unprinted list is every tagged record without an accepted label.
import { afterAll, describe, expect, it } from 'vitest';
import { withLabelStore } from '../../../src/main/labels/label-store.ts';
import { createLabelFixture, TECHNICIAN } from './fixture.ts';

const station = createLabelFixture();
afterAll(() => station.cleanup());

describe('the label store', () => {
  it('finds the newest provisioned record of exactly the serial asked for', () => {
    const older = station.tagged('STORE01');
    station.tagged('XSTORE01');
    station.tagged('store01');
    const newer = station.tagged('STORE01');
    const database = station.records.databasePath;
    expect(withLabelStore(database, (store) => store.recordBySerial('STORE01'))?.seq).toBe(newer.seq);
    expect(newer.seq).toBeGreaterThan(older.seq);
    expect(withLabelStore(database, (store) => store.recordBySerial('STORE0'))).toBeNull();
    expect(withLabelStore(database, (store) => store.recordBySerial('S'.repeat(200)))).toBeNull();
  });

  it('lists tagged records without an accepted label, oldest first, with the last failure', () => {
    const database = station.records.databasePath;
    const before = withLabelStore(database, (store) => store.unprinted());
    expect(before.map((entry) => entry.serial)).toEqual(['STORE01', 'XSTORE01', 'store01', 'STORE01']);
    const [first, second] = before;
    withLabelStore(database, (store) => {
      const job = store.createJob({ recordSeq: first?.recordSeq ?? 0, printer: 'file:/tmp/label.zpl', format: 'zpl', template: '4x2-203', operatorId: TECHNICIAN.id });
      store.finishJob(job.id, 'accepted', 'written');
      const failed = store.createJob({ recordSeq: second?.recordSeq ?? 0, printer: 'file:/tmp/label.zpl', format: 'zpl', template: '4x2-203', operatorId: TECHNICIAN.id });
      store.finishJob(failed.id, 'failed', 'paper out');
    });
    const after = withLabelStore(database, (store) => store.unprinted(2));
    expect(after).toEqual([
      expect.objectContaining({ recordSeq: second?.recordSeq, serial: 'XSTORE01', lastFailure: 'paper out' }),
      expect.objectContaining({ serial: 'store01', lastFailure: null }),
    ]);
  });

  it('refuses a job for an operator who does not exist', () => {
    const record = station.tagged('STORE02');
    expect(() =>
      withLabelStore(station.records.databasePath, (store) =>
        store.createJob({ recordSeq: record.seq, printer: 'file:/tmp/label.zpl', format: 'zpl', template: '4x2-203', operatorId: 'nobody' }),
      ),
    ).toThrow('operator nobody does not exist or is disabled.');
  });
});
