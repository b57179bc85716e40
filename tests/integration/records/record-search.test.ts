// History's search and paging in SQL (record-search.ts): by serial, IMEI or asset tag, any case,
// as a substring, newest first, one page at a time; hostile search text is data, never SQL or a
// LIKE pattern; and a database made before the search index (schema 5) is indexed when opened.
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../../src/main/records/migrations.ts';
import { DATABASE_FILE, openStationRecords } from '../../../src/main/records/station-records.ts';
import { verifyJsonlExport } from '../../../src/main/records/verify-export.ts';
import { listRecords } from '../../../src/main/station/records-query.ts';
import { BUNDLE_HASH, createStationFixture, imei, recordFor, TECHNICIAN, type StationFixture } from './fixture.ts';

/** Serials a handset could send: SQL and LIKE metacharacters, quotes, a control byte. */
const HOSTILE_SERIALS = ['LS%7A_1', "LS'7A\"2", 'LS\u00017A3', 'LSXX7A4'] as const;
const PLAIN = 30;

let station: StationFixture;
let taggedSerial: string;
let tag: string;

beforeAll(() => {
  station = createStationFixture({ deviceCap: 1000 });
  for (let n = 0; n < PLAIN; n += 1) station.provision({ serial: `LS7B${String(n).padStart(4, '0')}`, imei: imei(n), ...(n % 3 === 2 ? { fail: { step: 'flash', reason: 'write failed' } } : {}) });
  for (const serial of HOSTILE_SERIALS) station.provision({ serial, imei: null });
  const batchId = station.records.startBatch({
    name: 'tagged',
    product: 'lockstep-ref',
    bundleHash: BUNDLE_HASH,
    bundleVersion: 'LSR-14.2.0',
    operatorId: TECHNICIAN.id,
    assetTagPattern: 'D7-{seq:04}',
  }).id;
  taggedSerial = 'LS9T0001';
  const device = station.records.registerDevice({ batchId, serial: taggedSerial, identity: {} });
  const record = station.records.commitProvisioningRecord(recordFor(device.id, { outcome: 'provisioned', failedStep: null, failureCode: null, failureReason: null }));
  tag = (record as { assetTag: string }).assetTag;
});
afterAll(() => station?.cleanup());

const serials = (search: string, limit = 100): string[] => station.records.search.page({}, { search, limit }).records.map((record) => record.serial);

describe('record search in SQL', () => {
  it('finds a record by its whole serial, IMEI or asset tag, as a scanner sends it (any case, blanks around)', () => {
    expect(serials('LS7B0007')).toEqual(['LS7B0007']);
    expect(serials(` ${imei(12)}\t`)).toEqual(['LS7B0012']);
    expect(serials(tag.toLowerCase())).toEqual([taggedSerial]);
    expect(serials('ls7b0019')).toEqual(['LS7B0019']);
  });

  it('finds substrings of three characters or more through the index, and shorter ones by scanning the keys, newest first', () => {
    expect(serials('B002')).toEqual(['LS7B0029', 'LS7B0028', 'LS7B0027', 'LS7B0026', 'LS7B0025', 'LS7B0024', 'LS7B0023', 'LS7B0022', 'LS7B0021', 'LS7B0020']);
    expect(serials('XX')).toEqual(['LSXX7A4']);
    expect(serials('9T')).toEqual([taggedSerial]);
    expect(serials('Q')).toEqual([]);
  });

  it('treats % _ quotes and control bytes as themselves, not as patterns or SQL', () => {
    expect(serials('%')).toEqual(['LS%7A_1']);
    expect(serials('_')).toEqual(['LS%7A_1']);
    expect(serials('%7A_')).toEqual(['LS%7A_1']);
    expect(serials("'")).toEqual(["LS'7A\"2"]);
    expect(serials('"')).toEqual(["LS'7A\"2"]);
    expect(serials("S'7A\"")).toEqual(["LS'7A\"2"]);
    expect(serials('\u0001')).toEqual(['LS\u00017A3']);
    expect(serials('S\u00017A')).toEqual(['LS\u00017A3']);
    expect(serials("' OR 1=1 --")).toEqual([]);
    expect(serials('" OR "')).toEqual([]);
    expect(serials('LS*')).toEqual([]);
    expect(serials('\u0000')).toEqual([]);
    expect(serials('LS7\u0000B')).toEqual([]);
  });

  it('refuses a search longer than any key (10 KB) with a sentence', () => {
    expect(() => serials('7'.repeat(10_240))).toThrow(/search text is at most 128 characters/);
  });

  it('pages newest first with a cursor, keeping the filter and the search, until the last page says so', () => {
    const seen: number[] = [];
    let before: number | undefined;
    let pages = 0;
    for (;;) {
      const page = station.records.search.page({ status: 'provisioned' }, { search: 'LS7B', limit: 7, ...(before ? { before } : {}) });
      seen.push(...page.records.map((record) => record.seq));
      pages += 1;
      expect(page.records.every((record) => record.outcome === 'provisioned' && record.serial.startsWith('LS7B'))).toBe(true);
      if (page.next === null) break;
      before = page.next;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(20);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('answers the station API page with the filter total and the cursor of the next page', () => {
    const first = listRecords(station.records, { limit: 10 });
    expect(first.total).toBe(PLAIN + HOSTILE_SERIALS.length + 1);
    expect(first.records.map((record) => record.serial)[0]).toBe(taggedSerial);
    expect(first.next).toBe(first.records.at(-1)?.seq);
    const last = listRecords(station.records, { limit: 100, before: first.next ?? undefined });
    expect(last.records).toHaveLength(first.total - 10);
    expect(last.next).toBeNull();
    expect(listRecords(station.records, { search: 'nothing like it', limit: 10 })).toMatchObject({ records: [], next: null });
  });
});

describe('a database from before the search index', () => {
  it('is indexed when opened, finds old records and new ones, and its exports still verify', async () => {
    const old = createStationFixture();
    try {
      old.provision({ serial: 'OLD00001', imei: imei(1) });
      old.provision({ serial: 'OLD00002', imei: imei(2) });
      old.records.close();
      // Back to schema 5 as it was shipped: no search index, no operator journal, step events without code and data.
      const raw = new DatabaseSync(join(old.dir, DATABASE_FILE));
      raw.exec(`ALTER TABLE authorisation_uses RENAME COLUMN serial TO device_serial; DROP TABLE depot_operator_resolutions; DROP TABLE depot_operator_copy; DROP TABLE depot_operator_changes;
        DROP TRIGGER asset_tags_late_search; DROP TABLE asset_tags_pending; DROP TRIGGER asset_tags_leased_number_in_lease; DROP INDEX asset_tags_leased_number;
        ALTER TABLE asset_tags DROP COLUMN lease_seq; ALTER TABLE asset_tags DROP COLUMN lease_id; DROP TABLE tag_leases;
        DROP TRIGGER provisioning_records_search; DROP TABLE record_search; DROP TABLE operator_changes;
        DROP TRIGGER step_events_failed_has_code; DROP TRIGGER step_events_data_is_json;
        ALTER TABLE step_events DROP COLUMN code; ALTER TABLE step_events DROP COLUMN data_json; ALTER TABLE step_events DROP COLUMN unconverted;
        PRAGMA user_version = 5`);
      raw.close();

      const reopened = openStationRecords(old.dir);
      try {
        const db = new DatabaseSync(join(old.dir, DATABASE_FILE), { readOnly: true });
        expect(db.prepare('PRAGMA user_version').get()).toEqual({ user_version: SCHEMA_VERSION });
        db.close();
        expect(reopened.search.page({}, { search: imei(2), limit: 10 }).records.map((record) => record.serial)).toEqual(['OLD00002']);
        const device = reopened.registerDevice({ batchId: old.batchId, serial: 'NEW00003', identity: {} });
        reopened.commitProvisioningRecord(recordFor(device.id));
        expect(reopened.search.page({}, { search: 'old0', limit: 10 }).records.map((record) => record.serial)).toEqual(['OLD00002', 'OLD00001']);
        expect(reopened.search.page({}, { search: '0000', limit: 10 }).records.map((record) => record.serial)).toEqual(['NEW00003', 'OLD00002', 'OLD00001']);
        const out = join(old.dir, 'after-migration.jsonl');
        await reopened.export('jsonl', {}, out);
        expect(await verifyJsonlExport(out, reopened.identity.publicKey)).toMatchObject({ intact: true, records: 3 });
        expect(reopened.checkIntegrity()).toMatchObject({ database: [], chain: { intact: true } });
      } finally {
        reopened.close();
      }
    } finally {
      old.cleanup();
    }
  });
});
