// A records database written before the handset's identity had one name (schema 6 fixture, records of
// format 2 hashed with `deviceSerial`, `authorisation_uses.device_serial`) is opened by this version:
// its authorisation uses still count, its old records are still found by serial, and new records of
// format 4 (`serial`) go on the same chain, which verifies as one mixed-format export.
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStationRecords, type StationRecords } from '../../../src/main/records/station-records.ts';
import { verifyJsonlExport } from '../../../src/main/records/verify-export.ts';
import { recordFor } from './fixture.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures');
const FIXTURE_BUNDLE = '2783172c0d049881d16c496ce01fe324ff819291cb5c6cebcf59635c623d9140';
const dir = mkdtempSync(join(tmpdir(), 'lockstep-serial-name-'));
let records: StationRecords;

beforeAll(() => {
  copyFileSync(join(FIXTURES, 'journal-schema-6.sqlite'), join(dir, 'records.sqlite'));
  copyFileSync(join(FIXTURES, 'journal-schema-6.station-key.pem'), join(dir, 'station-key.pem'));
  chmodSync(join(dir, 'station-key.pem'), 0o600);
  records = openStationRecords(dir);
});

afterAll(() => {
  records?.close();
  rmSync(dir, { recursive: true, force: true });
});

const serialsFound = (search: string): string[] => records.search.page({}, { search, limit: 10 }).records.map((record) => record.serial);

describe('a database from before the one serial name', () => {
  it('keys the authorisation uses it already counted by serial, and counts them once', () => {
    const columns = new DatabaseSync(join(dir, 'records.sqlite'), { readOnly: true });
    try {
      const names = (columns.prepare('PRAGMA table_info(authorisation_uses)').all() as { name: string }[]).map((column) => column.name);
      expect(names).toEqual(['authorisation_id', 'serial', 'first_used_at']);
    } finally {
      columns.close();
    }
    const query = { batchId: 1, serial: 'LSMG0013', step: 'fuse', fuses: ['CAMERA_DISABLE', 'GPS_DISABLE'], bundleHash: FIXTURE_BUNDLE } as const;
    const usedBefore = records.authorisations.listForBatch(1).find((authorisation) => authorisation.id === 2)?.devicesUsed;
    expect(records.isAuthorised(query)).toEqual({ authorised: true, authorisationId: 2 });
    expect(records.authorisations.listForBatch(1).find((authorisation) => authorisation.id === 2)?.devicesUsed).toBe(usedBefore);
  });

  it('reads its format 2 records with their serial, and appends format 4 records to the same chain', async () => {
    const old = records.log.get(2);
    expect(old).toMatchObject({ recordVersion: 2, deviceSerial: 'LSFX0001', serial: 'LSFX0001' });
    expect(serialsFound('LSFX')).toEqual(['LSFX0001', 'LSFX0002']);

    const device = records.journal.findDevice(1, 'LSMG0001');
    if (!device) throw new Error('no LSMG0001 in the fixture');
    const added = records.commitProvisioningRecord(recordFor(device.id, { operatorId: 'demo-technician', bundleHash: FIXTURE_BUNDLE }));
    expect(added).toMatchObject({ seq: 3, recordVersion: 4, serial: 'LSMG0001', prevHash: old?.hash });
    expect(added).not.toHaveProperty('deviceSerial');
    expect(serialsFound('LSMG0001')).toEqual(['LSMG0001']);

    const out = join(dir, 'mixed.jsonl');
    await records.export('jsonl', {}, out);
    expect(await verifyJsonlExport(out, records.identity.publicKey)).toMatchObject({ intact: true, records: 3, head: { format: 'lockstep-records/4' } });
    expect(records.checkIntegrity()).toMatchObject({ database: [], chain: { intact: true } });
  });
});
