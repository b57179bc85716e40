// Asset tags: allocated from the batch's pattern in the same transaction as the provisioned record,
// part of the hashed record, unique across the station and never reused.
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { formatTag, parseTagPattern } from '../../../src/shared/asset-tag.ts';
import { BUNDLE_HASH, createStationFixture, recordFor, TECHNICIAN } from './fixture.ts';

const station = createStationFixture({ now: () => new Date('2026-11-25T10:00:00.000Z') });
afterAll(() => station.cleanup());

function batchWith(pattern: string | null): number {
  return station.records.startBatch({ name: 'tags', product: 'lockstep-ref', bundleHash: BUNDLE_HASH, bundleVersion: 'LSR-14.2.0', operatorId: TECHNICIAN.id, assetTagPattern: pattern }).id;
}

function commit(batchId: number, serial: string, outcome: 'provisioned' | 'failed') {
  const device = station.records.registerDevice({ batchId, serial, identity: {} });
  const provisioned = { outcome: 'provisioned' as const, failedStep: null, failureCode: null, failureReason: null };
  return station.records.commitProvisioningRecord(recordFor(device.id, outcome === 'provisioned' ? provisioned : {}));
}

describe('asset tag patterns', () => {
  it('format the date parts and the zero-padded sequence', () => {
    const pattern = parseTagPattern('D7-{yy}{mm}{dd}-{seq:04}');
    if ('problem' in pattern) throw new Error(pattern.problem);
    expect(formatTag(pattern, new Date('2026-03-09T12:00:00Z'), 42)).toBe('D7-260309-0042');
  });

  it.each([
    ['D7-{yyyy}', /exactly one \{seq\}/],
    ['{seq}-{seq}', /exactly one \{seq\}/],
    ['d7-{seq}', /only A-Z 0-9/],
    ['^XA{seq}', /only A-Z 0-9/],
    ['A-{seq:13}', /1 to 12 digits/],
    ['VERY-LONG-PREFIX-FOR-A-TAG-{seq:12}', /at most 32 characters/],
  ])('refuse %s', (text, problem) => {
    const parsed = parseTagPattern(text);
    expect('problem' in parsed && parsed.problem).toMatch(problem);
  });
});

describe('asset tags in the records', () => {
  it('gives each provisioned record the next tag, in the hashed record, and none to a failed one', () => {
    const batch = batchWith('LS7-{yyyy}-{seq:03}');
    const first = commit(batch, 'TAG0001', 'provisioned');
    const failed = commit(batch, 'TAG0002', 'failed');
    const second = commit(batch, 'TAG0003', 'provisioned');
    expect([first, failed, second].map((record) => ('assetTag' in record ? record.assetTag : undefined))).toEqual(['LS7-2026-001', null, 'LS7-2026-002']);
    expect(station.records.checkIntegrity()).toMatchObject({ chain: { intact: true } });
  });

  it('continues the sequence in a later batch with the same pattern, so a tag is unique across the station', () => {
    const batch = batchWith('LS7-{yyyy}-{seq:03}');
    expect(commit(batch, 'TAG0004', 'provisioned')).toMatchObject({ assetTag: 'LS7-2026-003' });
  });

  it('skips a tag another pattern already gave out', () => {
    const batch = batchWith('LS7-2026-{seq:02}');
    expect(commit(batch, 'TAG0005', 'provisioned')).toMatchObject({ assetTag: 'LS7-2026-01' });
    const padded = batchWith('LS7-2026-0{seq:02}');
    expect(commit(padded, 'TAG0006', 'provisioned')).toMatchObject({ assetTag: 'LS7-2026-004' });
  });

  it('refuses a batch with an invalid pattern, naming the problem', () => {
    expect(() => batchWith('lower-{seq}')).toThrow(/assetTagPattern: an asset tag pattern holds only A-Z 0-9/);
  });

  it('never lets a sequence go back, or a tag change or be deleted, even through raw SQL', () => {
    const db = new DatabaseSync(station.records.databasePath);
    try {
      expect(() => db.exec("UPDATE asset_tag_sequences SET next_seq = 1 WHERE pattern = 'LS7-{yyyy}-{seq:03}'")).toThrow(/only grow/);
      expect(() => db.exec("DELETE FROM asset_tag_sequences")).toThrow(/cannot be deleted/);
      expect(() => db.exec("UPDATE asset_tags SET tag = 'LS7-2026-999' WHERE tag = 'LS7-2026-001'")).toThrow(/append-only/);
      expect(() => db.exec("DELETE FROM asset_tags WHERE tag = 'LS7-2026-001'")).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });
});
