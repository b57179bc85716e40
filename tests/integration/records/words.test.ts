// Issue 20 #5: a refusal of the records is worded in the operator's language. The code RECORDS_REFUSED says only
// "the records refused this"; each refusal names its finding (a key) and the values it quotes, and the UI words
// that key in English and Chinese, so an operator reading Chinese is not left with the station's English. Each
// refusal here is caused for real, through the store's own calls, a changed key file or a newer database.
import { chmodSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import type { TFunction } from 'i18next';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RecordsError } from '../../../src/main/records/errors.ts';
import { DATABASE_FILE, openStationRecords, STATION_KEY_FILE } from '../../../src/main/records/station-records.ts';
import { showRecord } from '../../../src/main/station/records-query.ts';
import { uiLanguages, worded } from '../../support/finding-words.ts';
import { BUNDLE_HASH, SUPERVISOR, createStationFixture, type StationFixture } from './fixture.ts';

let t: Record<'en' | 'zh-CN', TFunction>;
beforeAll(async () => {
  t = await uiLanguages();
});

function refusal(act: () => unknown): RecordsError {
  try {
    act();
  } catch (error) {
    if (error instanceof RecordsError) return error;
    throw error;
  }
  throw new Error('the records accepted it');
}

describe("a refusal of the records in the operator's language", () => {
  let station: StationFixture;
  beforeEach(() => {
    station = createStationFixture();
  });
  afterEach(() => station.cleanup());

  it('a record that is not there', () => {
    const error = refusal(() => showRecord(station.records, 4711));
    expect([error.code, error.detail, error.params]).toEqual(['RECORDS_REFUSED', 'NO_SUCH_RECORD', { record: '4711' }]);
    expect(worded(error, t).zh).toBe('没有记录 4711。');
  });

  it("an authorisation for another bundle, and one whose expiry is past", () => {
    const request = { batchId: station.batchId, fuses: ['CAMERA_DISABLE' as const], lock: true, deviceCap: 5 };
    const other = 'b'.repeat(64);
    const otherBundle = refusal(() => station.records.authorisations.authorise(SUPERVISOR, { ...request, bundleHash: other, expiresAt: new Date(Date.now() + 3600_000).toISOString() }));
    expect([otherBundle.detail, otherBundle.params]).toEqual(['OTHER_BUNDLE', { batch: String(station.batchId), bundle: BUNDLE_HASH, requested: other }]);
    worded(otherBundle, t);
    const past = refusal(() => station.records.authorisations.authorise(SUPERVISOR, { ...request, bundleHash: BUNDLE_HASH, expiresAt: '2020-01-01T00:00:00.000Z' }));
    expect([past.detail, past.params]).toEqual(['EXPIRY_PAST', { expiry: '2020-01-01T00:00:00.000Z' }]);
    worded(past, t);
  });

  it("an admin recovery for a supervisor, and for an admin who is not locked out: the role in the operator's words", () => {
    const supervisor = refusal(() => station.records.adminRecovery.recover({ adminId: SUPERVISOR.id, reason: 'locked out at the kiosk, ticket 4411' }));
    expect([supervisor.detail, supervisor.params]).toEqual(['RECOVERY_NOT_ADMIN', { operator: SUPERVISOR.id, role: 'supervisor' }]);
    const words = worded(supervisor, t);
    expect(words.en).toContain('the role Supervisor');
    expect(words.zh).toContain('角色是 主管');
  });

  it('a journal entry whose data was altered behind the station: its step and status in words', () => {
    station.provision({ serial: 'WORDS0001', imei: null });
    const db = new DatabaseSync(join(station.dir, DATABASE_FILE));
    const event = db.prepare("SELECT id FROM step_events WHERE step = 'flash' AND status = 'passed'").get() as { id: number };
    // Someone with the file in hand: the append-only trigger goes first.
    db.exec('DROP TRIGGER step_events_no_update');
    db.prepare('UPDATE step_events SET data_json = ? WHERE id = ?').run('{"written":"lots"}', event.id);
    db.close();
    const device = station.records.journal.findDevice(station.batchId, 'WORDS0001');
    const error = refusal(() => station.records.journal.stepEvents(device?.id ?? 0));
    expect([error.detail, error.params]).toEqual(['STEP_EVENT_ALTERED', { event: String(event.id), step: 'flash', status: 'passed' }]);
    expect(worded(error, t).zh).toMatch(/（刷写，通过）/);
  });
});

describe('a records database or station key that is not as the station left it', () => {
  it('a key readable by other users, and a database from a newer Lockstep', () => {
    const station = createStationFixture();
    try {
      station.records.close();
      const database = join(station.dir, DATABASE_FILE);
      const key = join(station.dir, STATION_KEY_FILE);
      chmodSync(key, 0o644);
      const exposed = refusal(() => openStationRecords({ database }));
      expect([exposed.detail, exposed.params]).toEqual(['STATION_KEY_EXPOSED', { file: key }]);
      worded(exposed, t);
      chmodSync(key, 0o600);
      const db = new DatabaseSync(database);
      db.exec('PRAGMA user_version = 9999');
      db.close();
      const newer = refusal(() => openStationRecords({ database }));
      expect([newer.detail, newer.params['version']]).toEqual(['SCHEMA_TOO_NEW', '9999']);
      worded(newer, t);
    } finally {
      station.cleanup();
    }
  });
});
