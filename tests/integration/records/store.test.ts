import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/main/records/database.ts';
import { SCHEMA_VERSION } from '../../../src/main/records/migrations.ts';
import { MAX_PIN_FAILURES } from '../../../src/main/records/operators.ts';
import { DATABASE_FILE, STATION_KEY_FILE, openStationRecords } from '../../../src/main/records/station-records.ts';
import type { StepEventFacts } from '../../../src/shared/step-events.ts';
import { ADMIN, BUNDLE_HASH, SUPERVISOR, TECHNICIAN, createStationFixture, imei, recordFor, type StationFixture } from './fixture.ts';

const FUSE_PASSED = { after: [{ bank: 3, word: 0, value: 0x31 }], burned: ['CAMERA_DISABLE', 'GPS_DISABLE'] };

/** A well-formed event of an irreversible step in either status a refusal forbids. */
function eventOf(step: 'fuse' | 'lock', status: 'started' | 'passed'): StepEventFacts {
  if (status === 'started') return { step, status, data: { event: 'begin' } };
  return step === 'fuse' ? { step, status, data: FUSE_PASSED } : { step, status, data: { lockState: 'no', sent: true } };
}

describe('records database', () => {
  let station: StationFixture;
  beforeEach(() => {
    station = createStationFixture({ deviceCap: 2 });
  });
  afterEach(() => station.cleanup());

  it('runs in WAL mode with synchronous=FULL, foreign keys on, a busy timeout, at the current schema version', () => {
    const db = openDatabase(join(station.dir, DATABASE_FILE));
    try {
      expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
      expect(db.prepare('PRAGMA synchronous').get()).toEqual({ synchronous: 2 });
      expect(db.prepare('PRAGMA foreign_keys').get()).toEqual({ foreign_keys: 1 });
      expect(db.prepare('PRAGMA busy_timeout').get()).toEqual({ timeout: 5000 });
      expect(db.prepare('PRAGMA user_version').get()).toEqual({ user_version: SCHEMA_VERSION });
    } finally {
      db.close();
    }
  });

  it('refuses UPDATE and DELETE on step events, records, labels, authorisations and devices', () => {
    const record = station.provision({ serial: 'LS7A3000', imei: imei(1) });
    const db = new DatabaseSync(join(station.dir, DATABASE_FILE));
    try {
      // A label outcome as the label store writes it (src/main/labels/label-store.ts), so the table has a row to protect.
      db.prepare('INSERT INTO labels (record_seq, printer, status, detail, operator_id, at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(record.seq, 'zebra-zd421', 'accepted', null, TECHNICIAN.id, new Date().toISOString());
      for (const table of ['step_events', 'provisioning_records', 'labels', 'authorisations', 'authorisation_uses', 'devices', 'batches']) {
        expect(() => db.exec(`DELETE FROM ${table}`), table).toThrow(/append-only/);
        expect(() => db.exec(`UPDATE ${table} SET rowid = rowid`), table).toThrow(/append-only/);
      }
      expect(() => db.exec('DELETE FROM operators')).toThrow(/never deleted/);
    } finally {
      db.close();
    }
  });

  it('refuses a database written by a newer schema', () => {
    const path = join(station.dir, DATABASE_FILE);
    const db = new DatabaseSync(path);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openStationRecords(station.dir)).toThrow(/newer than this Lockstep understands/);
  });

  it('detects a record edited behind the store’s back', () => {
    station.provision({ serial: 'LS7A3001', imei: imei(2) });
    station.provision({ serial: 'LS7A3002', imei: imei(3) });
    const db = new DatabaseSync(join(station.dir, DATABASE_FILE));
    db.exec('DROP TRIGGER provisioning_records_no_update');
    db.exec(`UPDATE provisioning_records SET body_json = replace(body_json, 'LS7A3001', 'LS7A9999') WHERE seq = 1`);
    db.close();
    expect(station.records.checkIntegrity().chain).toEqual({ intact: false, seq: 1, message: "record 1's content does not match its hash" });
  });
});

describe('step event data', () => {
  let station: StationFixture;
  beforeEach(() => {
    station = createStationFixture();
  });
  afterEach(() => station.cleanup());

  it("keeps a failed verify's hashes and the checks' answers as typed data, and refuses data outside their schema", () => {
    const device = station.records.registerDevice({ batchId: station.batchId, serial: 'LSDATA01', identity: {} });
    const mismatch = { partitions: [{ name: 'boot_a', expected: BUNDLE_HASH, actual: 'b'.repeat(64) }] };
    const checks = { checks: [{ id: 'imei', passed: true, answer: '490154203237518 | OK', value: '490154203237518' }, { id: 'camera-absent', passed: true }] };
    station.records.appendStepEvent({ deviceId: device.id, step: 'verify', status: 'failed', code: 'VERIFY_MISMATCH', data: mismatch, operatorId: TECHNICIAN.id });
    station.records.appendStepEvent({ deviceId: device.id, step: 'checks', status: 'passed', data: checks, operatorId: TECHNICIAN.id });
    expect(station.records.journal.stepEvents(device.id).map((event) => event.data)).toEqual([mismatch, checks]);
    const refused = [
      { step: 'verify', status: 'failed', data: { partitions: [{ name: 'boot_a', expected: BUNDLE_HASH, actual: 'B'.repeat(64) }] } },
      { step: 'checks', status: 'passed', data: { checks: [{ id: 'imei', passed: true, answer: 'OK', value: '4901\x1b' }] } },
      { step: 'checks', status: 'passed', data: { checks: [{ id: 'imei', passed: true, answer: 'x'.repeat(4097), value: null }] } },
    ] as const;
    for (const event of refused) {
      const code = event.status === 'failed' ? 'VERIFY_MISMATCH' : null;
      expect(() => station.records.appendStepEvent({ deviceId: device.id, ...(event as unknown as StepEventFacts), code, operatorId: TECHNICIAN.id })).toThrow(/data/);
    }
  });
});

describe('exports', () => {
  it('refuses to write an export over the database, its WAL files or the station key, or with a malformed filter', async () => {
    const station = createStationFixture();
    try {
      station.provision({ serial: 'LS7A3100', imei: imei(1) });
      const database = join(station.dir, DATABASE_FILE);
      const protectedFiles = [database, `${database}-wal`, `${database}-shm`, join(station.dir, STATION_KEY_FILE), join(station.dir, 'sub', '..', DATABASE_FILE)];
      for (const out of protectedFiles) {
        await expect(station.records.export('csv', {}, out), out).rejects.toThrow(/would overwrite the station's own/);
      }
      await expect(station.records.export('csv', { since: '5', status: 'lost' } as never, join(station.dir, 'bad.csv'))).rejects.toThrow(/invalid record filter: since: .*ISO 8601.*status/);
      expect(station.records.checkIntegrity()).toEqual({ database: [], chain: { intact: true, records: 1, head: station.records.log.head() } });
      station.records.close();
      const reopened = openStationRecords(station.dir);
      expect(reopened.log.head().seq).toBe(1);
      reopened.close();
    } finally {
      station.cleanup();
    }
  });
});

describe('export write failures', () => {
  it('names the folder that is missing or not writable, with a code and the folder as its parameter', async () => {
    const station = createStationFixture();
    try {
      station.provision({ serial: 'LS7A3100', imei: imei(1) });
      const missing = join(station.dir, 'no-such-folder');
      const refusal = await station.records.export('csv', {}, join(missing, 'out.csv')).catch((error: unknown) => error);
      expect(refusal).toMatchObject({ code: 'EXPORT_FOLDER_MISSING', params: { folder: missing } });
      expect((refusal as Error).message).toContain(`the folder ${missing} does not exist`);
      expect((refusal as Error).message).not.toMatch(/ENOENT|\.partial-/);

      if (process.getuid?.() === 0) return; // root writes through any permission bits
      const readOnly = join(station.dir, 'read-only');
      mkdirSync(readOnly, { mode: 0o555 });
      const denied = await station.records.export('jsonl', {}, join(readOnly, 'out.jsonl')).catch((error: unknown) => error);
      expect(denied).toMatchObject({ code: 'EXPORT_NOT_WRITABLE', params: { folder: readOnly } });
    } finally {
      station.cleanup();
    }
  });
});

describe('operators', () => {
  let station: StationFixture;
  beforeEach(() => {
    station = createStationFixture();
  });
  afterEach(() => station.cleanup());

  it('stores PINs as salted scrypt hashes with their parameters', () => {
    const db = new DatabaseSync(join(station.dir, DATABASE_FILE));
    try {
      const rows = db.prepare('SELECT pin_hash FROM operators').all() as { pin_hash: string }[];
      const salts = new Set(rows.map((row) => row.pin_hash.split('$')[4]));
      expect(salts.size).toBe(rows.length);
      for (const row of rows) expect(row.pin_hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
      expect(rows.some((row) => row.pin_hash.includes(TECHNICIAN.pin))).toBe(false);
    } finally {
      db.close();
    }
  });

  it('locks an operator out after repeated wrong PINs, across restarts, until an admin unlocks it', () => {
    for (let attempt = 1; attempt < MAX_PIN_FAILURES; attempt += 1) {
      expect(() => station.records.operators.authenticate({ id: TECHNICIAN.id, pin: '000000' })).toThrow('unknown operator or wrong PIN.');
    }
    station.records.close();
    const reopened = openStationRecords(station.dir);
    try {
      expect(() => reopened.operators.authenticate({ id: TECHNICIAN.id, pin: '000000' })).toThrow(/now locked/);
      expect(() => reopened.operators.authenticate(TECHNICIAN)).toThrow(/locked after 5 wrong PINs/);
      expect(reopened.operators.unlock(ADMIN, TECHNICIAN.id)).toMatchObject({ lockedAt: null, failedAttempts: 0 });
      expect(reopened.operators.authenticate(TECHNICIAN).id).toBe(TECHNICIAN.id);
    } finally {
      reopened.close();
    }
  });

  it('disables instead of deleting, keeps the last admin, and checks roles', () => {
    expect(() => station.records.operators.add(TECHNICIAN, { id: 'tech.x', displayName: 'X', role: 'technician', pin: '123123' })).toThrow(/needs a admin/);
    expect(() => station.records.operators.disable(ADMIN, ADMIN.id)).toThrow(/last active admin/);
    expect(station.records.operators.disable(ADMIN, TECHNICIAN.id).disabledAt).not.toBeNull();
    expect(() => station.records.operators.authenticate(TECHNICIAN)).toThrow(/disabled/);
    expect(() => station.records.appendStepEvent({ deviceId: 1, step: 'identify', status: 'passed', data: { identity: {} }, operatorId: TECHNICIAN.id })).toThrow();
    expect(station.records.operators.list().map((operator) => operator.id)).toContain(TECHNICIAN.id);
    expect(() => station.records.operators.createFirstAdmin({ id: 'admin2', displayName: 'B', pin: '123456' })).toThrow(/already has operators/);
    expect(() => station.records.operators.add(ADMIN, { id: 'Bad Id', displayName: 'x\u202E', role: 'technician', pin: '12' })).toThrow(/operator id.*display name.*PIN/s);
  });

  it('keeps an admin who can still log in: a locked-out admin does not count', () => {
    const second = { id: 'admin2', pin: '24682468' };
    station.records.operators.add(ADMIN, { ...second, displayName: 'Second Admin', role: 'admin' });
    for (let attempt = 0; attempt < MAX_PIN_FAILURES; attempt += 1) {
      expect(() => station.records.operators.authenticate({ id: second.id, pin: '000000' })).toThrow(/wrong PIN/);
    }
    expect(() => station.records.operators.disable(ADMIN, ADMIN.id)).toThrow(/last active admin/);
    station.records.operators.unlock(ADMIN, second.id);
    expect(station.records.operators.disable(ADMIN, ADMIN.id).disabledAt).not.toBeNull();
  });

  it('answers a wrong PIN and an unknown operator alike, word for word, with no count of attempts left', () => {
    const answer = (id: string): unknown => {
      try {
        station.records.operators.authenticate({ id, pin: '123456' });
      } catch (error) {
        return { code: (error as { code?: unknown }).code, message: (error as Error).message };
      }
      return 'signed in';
    };
    const unknown = answer('nobody');
    expect(unknown).toEqual({ code: 'SIGN_IN_FAILED', message: 'unknown operator or wrong PIN.' });
    expect(answer(SUPERVISOR.id)).toEqual(unknown);
    expect(answer(TECHNICIAN.id)).toEqual(unknown);
  });
});

describe('authorisations', () => {
  let station: StationFixture;
  let clockOffsetMs = 0;
  beforeEach(() => {
    clockOffsetMs = 0;
    station = createStationFixture({ deviceCap: 2, now: () => new Date(Date.now() + clockOffsetMs) });
  });
  afterEach(() => station.cleanup());

  /** Asks for a device registered in the batch asked about, as the pipeline does after identify. */
  const ask = (serial: string, extra: Partial<Parameters<StationFixture['records']['isAuthorised']>[0]> = {}) => {
    const batchId = typeof extra.batchId === 'number' ? extra.batchId : station.batchId;
    station.records.registerDevice({ batchId, serial, identity: {} });
    return station.records.isAuthorised({ batchId: station.batchId, serial, step: 'fuse', fuses: ['CAMERA_DISABLE'], bundleHash: BUNDLE_HASH, ...extra });
  };

  it("authorises with a PIN check's proof once, from this records instance only, while the supervisor is still as checked", () => {
    const grant = (supervisor: Parameters<StationFixture['records']['authorisations']['authorise']>[0]) =>
      station.records.authorisations.authorise(supervisor, {
        batchId: station.batchId,
        fuses: ['CAMERA_DISABLE'],
        lock: false,
        bundleHash: BUNDLE_HASH,
        deviceCap: 1,
        expiresAt: new Date(Date.now() + 3600_000).toISOString(),
      });
    const proof = station.records.operators.proveSignIn(SUPERVISOR, ['supervisor', 'admin']);
    expect(grant(proof)).toMatchObject({ supervisorId: SUPERVISOR.id, deviceCap: 1 });
    expect(() => grant(proof)).toThrow('unknown operator or wrong PIN.');
    // The same shape, copied or made from the operator's summary, proves nothing.
    expect(() => grant({ operator: { ...proof.operator } })).toThrow('unknown operator or wrong PIN.');
    const other = openStationRecords(station.dir);
    try {
      expect(() => other.authorisations.authorise(station.records.operators.proveSignIn(SUPERVISOR, ['supervisor']), {
        batchId: station.batchId, fuses: [], lock: true, bundleHash: BUNDLE_HASH, deviceCap: 1, expiresAt: new Date(Date.now() + 3600_000).toISOString(),
      })).toThrow('unknown operator or wrong PIN.');
    } finally {
      other.close();
    }
    expect(() => station.records.operators.proveSignIn(TECHNICIAN, ['supervisor', 'admin'])).toThrow(/needs a supervisor or admin/);
    const reset = station.records.operators.proveSignIn(SUPERVISOR, ['supervisor', 'admin']);
    station.records.operators.resetPin(ADMIN, SUPERVISOR.id, '97531864');
    expect(() => grant(reset)).toThrow(/was changed after it was checked; enter it again/);
    const disabled = station.records.operators.proveSignIn({ ...SUPERVISOR, pin: '97531864' }, ['supervisor', 'admin']);
    station.records.operators.disable(ADMIN, SUPERVISOR.id);
    expect(() => grant(disabled)).toThrow(/is disabled/);
    station.records.operators.enable(ADMIN, SUPERVISOR.id);
    const stale = station.records.operators.proveSignIn({ ...SUPERVISOR, pin: '97531864' }, ['supervisor', 'admin']);
    clockOffsetMs = 16 * 60_000;
    expect(() => grant(stale)).toThrow(/checked more than 15 minutes ago/);
    expect(station.records.authorisations.listForBatch(station.batchId)).toHaveLength(2);
  });

  it('refuses a serial not registered in the batch, without using up a slot of the cap', () => {
    const unregistered = ['LS7A0O01', '=cmd|calc', 'x'.repeat(300)];
    for (const serial of unregistered) {
      const decision = station.records.isAuthorised({ batchId: station.batchId, serial, step: 'fuse', fuses: ['CAMERA_DISABLE'], bundleHash: BUNDLE_HASH });
      expect(decision).toMatchObject({ authorised: false, reason: expect.stringContaining(`is not registered in batch ${station.batchId}`) });
    }
    const other = station.records.startBatch({ name: 'other', product: 'lockstep-ref', bundleHash: BUNDLE_HASH, bundleVersion: 'LSR-14.2.0', operatorId: TECHNICIAN.id });
    station.records.registerDevice({ batchId: other.id, serial: 'LS7A0050', identity: {} });
    expect(station.records.isAuthorised({ batchId: station.batchId, serial: 'LS7A0050', step: 'lock', bundleHash: BUNDLE_HASH })).toMatchObject({ authorised: false });
    expect(station.records.authorisations.get(station.authorisationId)?.devicesUsed).toBe(0);
    expect(ask('LS7A0001')).toMatchObject({ authorised: true });
    expect(ask('LS7A0002')).toMatchObject({ authorised: true });
  });

  it('counts distinct devices against the cap; asking again for the same device reuses its slot', () => {
    expect(ask('LS7A0001')).toEqual({ authorised: true, authorisationId: station.authorisationId });
    expect(ask('LS7A0001', { step: 'lock' })).toEqual({ authorised: true, authorisationId: station.authorisationId });
    expect(ask('LS7A0002')).toMatchObject({ authorised: true });
    expect(ask('LS7A0003')).toEqual({ authorised: false, reason: `authorisation ${station.authorisationId} has reached its cap of 2 devices` });
    expect(ask('LS7A0002')).toMatchObject({ authorised: true });
    expect(station.records.authorisations.get(station.authorisationId)?.devicesUsed).toBe(2);
  });

  it('refuses fuses, bundles and times it does not cover, and batches without one', () => {
    expect(ask('LS7A0001', { fuses: ['CAMERA_DISABLE', 'SECURE_BOOT'] })).toMatchObject({ authorised: false, reason: expect.stringContaining('fuse(s) SECURE_BOOT') });
    expect(ask('LS7A0001', { bundleHash: 'f'.repeat(64) })).toMatchObject({ authorised: false, reason: expect.stringContaining('covers bundle') });
    expect(ask('LS7A0001', { fuses: [] })).toMatchObject({ authorised: false });
    const other = station.records.startBatch({ name: 'unauthorised', product: 'lockstep-ref', bundleHash: BUNDLE_HASH, bundleVersion: 'LSR-14.2.0', operatorId: TECHNICIAN.id });
    expect(ask('LS7A0001', { batchId: other.id })).toEqual({ authorised: false, reason: `batch ${other.id} has no supervisor authorisation` });
  });

  it('decides on the station clock, not on a time the caller supplies', () => {
    expect(ask('LS7A0001')).toMatchObject({ authorised: true });
    clockOffsetMs = 9 * 3600_000;
    expect(ask('LS7A0001')).toMatchObject({ authorised: false, reason: expect.stringContaining('expired') });
    const stale = { at: new Date() } as unknown as Partial<Parameters<StationFixture['records']['isAuthorised']>[0]>;
    expect(() => ask('LS7A0001', stale)).toThrow(/invalid authorisation query/);
  });

  it('stops honouring an authorisation once its supervisor is disabled', () => {
    expect(ask('LS7A0001')).toMatchObject({ authorised: true });
    station.records.operators.disable(ADMIN, SUPERVISOR.id);
    expect(ask('LS7A0001')).toEqual({ authorised: false, reason: `authorisation ${station.authorisationId} was given by ${SUPERVISOR.id}, who has since been disabled; a supervisor must authorise the batch again` });
  });

  it('refuses a malformed query with a clear error instead of crashing', () => {
    const malformed = { fuses: 'CAMERA_DISABLE', bundleHash: 'not-a-hash' } as unknown as Partial<Parameters<StationFixture['records']['isAuthorised']>[0]>;
    expect(() => ask('LS7A0001', malformed)).toThrow(/invalid authorisation query: fuses: .*bundleHash/);
  });

  it('needs a supervisor PIN, a lock flag to lock, and the batch’s own bundle', () => {
    const input = { batchId: station.batchId, fuses: ['GPS_DISABLE'], lock: false, bundleHash: BUNDLE_HASH, deviceCap: 5, expiresAt: new Date(Date.now() + 3600_000).toISOString() };
    expect(() => station.records.authorisations.authorise(TECHNICIAN, input)).toThrow(/supervisor or admin/);
    expect(() => station.records.authorisations.authorise({ ...SUPERVISOR, pin: '111111' }, input)).toThrow(/wrong PIN/);
    expect(() => station.records.authorisations.authorise(SUPERVISOR, { ...input, bundleHash: 'e'.repeat(64) })).toThrow(/authorise the batch's own bundle/);
    expect(() => station.records.authorisations.authorise(SUPERVISOR, { ...input, expiresAt: '2020-01-01T00:00:00Z' })).toThrow(/already past/);
    const gpsOnly = station.records.authorisations.authorise(SUPERVISOR, input);
    // The newest authorisation is asked first; it does not cover locking, the older one does.
    expect(ask('LS7A0009', { step: 'lock' })).toEqual({ authorised: true, authorisationId: station.authorisationId });
    expect(ask('LS7A0009', { fuses: ['GPS_DISABLE'] })).toEqual({ authorised: true, authorisationId: gpsOnly.id });
  });

  it('records the decision with the irreversible step and refuses decisions it did not issue', () => {
    const device = station.records.registerDevice({ batchId: station.batchId, serial: 'LS7A0100', identity: {} });
    expect(() => station.records.appendStepEvent({ deviceId: device.id, step: 'fuse', status: 'started', data: { event: 'begin' }, operatorId: TECHNICIAN.id })).toThrow(/must carry the authorisation decision/);
    expect(() =>
      station.records.appendStepEvent({ deviceId: device.id, step: 'lock', status: 'started', data: { event: 'begin' }, operatorId: TECHNICIAN.id, authorisation: { authorised: true, authorisationId: station.authorisationId } }),
    ).toThrow(/was not granted to device/);
    const refused = station.records.isAuthorised({ batchId: station.batchId, serial: 'LS7A0100', step: 'fuse', fuses: ['CAMERA_DISABLE'], bundleHash: 'f'.repeat(64) });
    station.records.appendStepEvent({ deviceId: device.id, step: 'fuse', status: 'skipped', data: null, operatorId: TECHNICIAN.id, authorisation: refused });
    const granted = ask('LS7A0100');
    station.records.appendStepEvent({ deviceId: device.id, step: 'fuse', status: 'passed', data: FUSE_PASSED, detail: 'bank 3 word 0 = 0x00000031', operatorId: TECHNICIAN.id, authorisation: granted });
    const events = station.records.journal.stepEvents(device.id);
    expect(events.map((event) => [event.status, event.authorisation])).toEqual([
      ['skipped', refused],
      ['passed', { authorised: true, authorisationId: station.authorisationId }],
    ]);
  });
});

describe('authorisation decisions recorded with steps and records', () => {
  let station: StationFixture;
  beforeEach(() => {
    station = createStationFixture();
  });
  afterEach(() => station.cleanup());

  it('refuses a lock event under an authorisation that does not cover locking', () => {
    const gpsOnly = station.records.authorisations.authorise(SUPERVISOR, {
      batchId: station.batchId,
      fuses: ['GPS_DISABLE'],
      lock: false,
      bundleHash: BUNDLE_HASH,
      deviceCap: 5,
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    });
    const device = station.records.registerDevice({ batchId: station.batchId, serial: 'LS7A0200', identity: {} });
    const decision = station.records.isAuthorised({ batchId: station.batchId, serial: 'LS7A0200', step: 'fuse', fuses: ['GPS_DISABLE'], bundleHash: BUNDLE_HASH });
    expect(decision).toEqual({ authorised: true, authorisationId: gpsOnly.id });
    station.records.appendStepEvent({ deviceId: device.id, step: 'fuse', status: 'passed', data: FUSE_PASSED, operatorId: TECHNICIAN.id, authorisation: decision });
    expect(() => station.records.appendStepEvent({ deviceId: device.id, step: 'lock', status: 'passed', data: { lockState: 'no', sent: true }, operatorId: TECHNICIAN.id, authorisation: decision })).toThrow(
      /does not authorise locking/,
    );
  });

  it('refuses to record an irreversible step as started or passed under a refused authorisation, and keeps the refusal', () => {
    const device = station.records.registerDevice({ batchId: station.batchId, serial: 'LS7A0202', identity: {} });
    const refused = station.records.isAuthorised({ batchId: station.batchId, serial: 'LS7A0202', step: 'fuse', fuses: ['SECURE_BOOT'], bundleHash: BUNDLE_HASH });
    expect(refused).toMatchObject({ authorised: false });
    for (const step of ['fuse', 'lock'] as const) {
      for (const status of ['started', 'passed'] as const) {
        expect(() => station.records.appendStepEvent({ deviceId: device.id, ...eventOf(step, status), operatorId: TECHNICIAN.id, authorisation: refused }), `${step} ${status}`).toThrow(
          new RegExp(`cannot be recorded as ${status}: its authorisation was refused .*record it as skipped or failed`),
        );
      }
    }
    station.records.appendStepEvent({ deviceId: device.id, step: 'fuse', status: 'skipped', data: null, operatorId: TECHNICIAN.id, authorisation: refused });
    station.records.appendStepEvent({ deviceId: device.id, step: 'lock', status: 'failed', code: 'NOT_AUTHORISED', data: null, detail: 'not authorised', operatorId: TECHNICIAN.id, authorisation: refused });
    expect(station.records.journal.stepEvents(device.id).map((event) => [event.step, event.status, event.authorisation])).toEqual([
      ['fuse', 'skipped', refused],
      ['lock', 'failed', refused],
    ]);
    // The database itself refuses it too, for a writer that bypasses the store.
    const db = new DatabaseSync(join(station.dir, DATABASE_FILE));
    try {
      expect(() =>
        db
          .prepare("INSERT INTO step_events (device_id, step, status, data_json, operator_id, at, authorised, authorisation_reason) VALUES (?, 'fuse', 'passed', 'null', ?, ?, 0, 'refused')")
          .run(device.id, TECHNICIAN.id, new Date().toISOString()),
      ).toThrow(/refused authorisation/);
    } finally {
      db.close();
    }
  });

  it('refuses a record naming an authorisation that was never granted to its device', () => {
    const device = station.records.registerDevice({ batchId: station.batchId, serial: 'LS7A0201', identity: {} });
    expect(() =>
      station.records.commitProvisioningRecord(
        recordFor(device.id, { outcome: 'provisioned', failedStep: null, failureCode: null, failureReason: null, locked: true, authorisationId: station.authorisationId }),
      ),
    ).toThrow(/was not granted to device/);
    expect(station.records.log.head().seq).toBe(0);
  });
});

describe('station identity', () => {
  it('replaces an empty key file left by an interrupted first start, but never a key a database knows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-identity-'));
    try {
      writeFileSync(join(dir, STATION_KEY_FILE), '', { mode: 0o600 });
      const first = openStationRecords(dir);
      const fingerprint = first.identity.fingerprint;
      first.close();
      expect(statSync(join(dir, STATION_KEY_FILE)).size).toBeGreaterThan(0);
      writeFileSync(join(dir, STATION_KEY_FILE), '', { mode: 0o600 });
      expect(() => openStationRecords(dir)).toThrow(new RegExp(`not an Ed25519 private key.*restore it from backup`));
      expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });


  it('creates an Ed25519 key 0600 outside the database and refuses a missing or foreign key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-identity-'));
    const other = mkdtempSync(join(tmpdir(), 'lockstep-identity-'));
    try {
      const first = openStationRecords(dir);
      const fingerprint = first.identity.fingerprint;
      first.close();
      expect(statSync(join(dir, STATION_KEY_FILE)).mode & 0o777).toBe(0o600);
      const again = openStationRecords(dir);
      expect(again.identity.fingerprint).toBe(fingerprint);
      again.close();

      openStationRecords(other).close();
      expect(() => openStationRecords({ database: join(dir, DATABASE_FILE), stationKey: join(other, STATION_KEY_FILE) })).toThrow(/is not the key of this database/);
      rmSync(join(dir, STATION_KEY_FILE));
      expect(() => openStationRecords(dir)).toThrow(/is missing but this database belongs to station/);
      chmodSync(join(other, STATION_KEY_FILE), 0o644);
      expect(() => openStationRecords(other)).toThrow(/chmod 600/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(other, { recursive: true, force: true });
    }
  });
});
