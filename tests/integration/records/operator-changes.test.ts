// An admin enables a disabled operator again and resets an operator's PIN: under the admin's own PIN
// and role, with the PIN policy and scrypt hashing of a new operator, and journaled (who, what, when,
// never the PIN) in a table the database keeps append-only.
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_PIN_FAILURES } from '../../../src/main/records/operators.ts';
import { DATABASE_FILE } from '../../../src/main/records/station-records.ts';
import { ADMIN, createStationFixture, SUPERVISOR, TECHNICIAN, type StationFixture } from './fixture.ts';

const NEW_PIN = '60606060';

describe('operator re-enable and PIN reset', () => {
  let station: StationFixture;
  let clock: Date;
  beforeEach(() => {
    clock = new Date('2026-11-25T09:00:00.000Z');
    station = createStationFixture({ now: () => clock });
  });
  afterEach(() => station.cleanup());
  const operators = () => station.records.operators;

  it('enables a disabled operator, who signs in again with the PIN it had', () => {
    operators().disable(ADMIN, TECHNICIAN.id);
    expect(() => operators().authenticate(TECHNICIAN)).toThrow(/disabled/);
    clock = new Date('2026-11-25T10:30:00.000Z');
    expect(operators().enable(ADMIN, TECHNICIAN.id)).toMatchObject({ id: TECHNICIAN.id, disabledAt: null });
    expect(operators().authenticate(TECHNICIAN).id).toBe(TECHNICIAN.id);
    // Enabling an enabled operator changes nothing and journals nothing.
    expect(operators().enable(ADMIN, TECHNICIAN.id).disabledAt).toBeNull();
    expect(operators().changes(TECHNICIAN.id).map(({ change, byId, at }) => ({ change, byId, at }))).toEqual([
      { change: 'enabled', byId: ADMIN.id, at: '2026-11-25T10:30:00.000Z' },
      { change: 'disabled', byId: ADMIN.id, at: '2026-11-25T09:00:00.000Z' },
      { change: 'added', byId: ADMIN.id, at: expect.any(String) as string },
    ]);
  });

  it('resets a locked-out operator’s PIN: the old PIN stops working, the new one signs in, the lock-out is cleared', () => {
    for (let attempt = 0; attempt < MAX_PIN_FAILURES; attempt += 1) expect(() => operators().authenticate({ id: TECHNICIAN.id, pin: '000000' })).toThrow();
    expect(operators().get(TECHNICIAN.id)?.lockedAt).not.toBeNull();
    const reset = operators().resetPin(ADMIN, TECHNICIAN.id, NEW_PIN);
    expect(reset).toMatchObject({ lockedAt: null, failedAttempts: 0 });
    expect(() => operators().authenticate(TECHNICIAN)).toThrow(/wrong PIN/);
    expect(operators().authenticate({ id: TECHNICIAN.id, pin: NEW_PIN }).id).toBe(TECHNICIAN.id);
    expect(operators().changes(TECHNICIAN.id)[0]).toMatchObject({ operatorId: TECHNICIAN.id, change: 'pin-reset', byId: ADMIN.id });
  });

  it('hashes the new PIN with scrypt and never writes it, nor the old one, in the clear', () => {
    operators().resetPin(ADMIN, SUPERVISOR.id, NEW_PIN);
    const db = new DatabaseSync(join(station.dir, DATABASE_FILE), { readOnly: true });
    try {
      const { pin_hash: hash } = db.prepare('SELECT pin_hash FROM operators WHERE id = ?').get(SUPERVISOR.id) as { pin_hash: string };
      expect(hash).toMatch(/^scrypt\$32768\$8\$1\$/);
      const journal = JSON.stringify(db.prepare('SELECT * FROM operator_changes').all());
      expect(journal).not.toContain(NEW_PIN);
      expect(journal).not.toContain(SUPERVISOR.pin);
      expect(journal).not.toContain(ADMIN.pin);
    } finally {
      db.close();
    }
  });

  it('applies the PIN policy, the admin role and the admin’s own PIN, and names an unknown operator', () => {
    for (const pin of ['12345', '1234567890123', '12345a', ' 123456', '１２３４５６']) {
      expect(() => operators().resetPin(ADMIN, TECHNICIAN.id, pin), pin).toThrow(expect.objectContaining({ code: 'PIN_INVALID' }));
    }
    expect(() => operators().resetPin(SUPERVISOR, TECHNICIAN.id, NEW_PIN)).toThrow(expect.objectContaining({ code: 'ROLE_NOT_ALLOWED' }));
    expect(() => operators().enable(TECHNICIAN, TECHNICIAN.id)).toThrow(expect.objectContaining({ code: 'ROLE_NOT_ALLOWED' }));
    expect(() => operators().resetPin({ id: ADMIN.id, pin: '0000000' }, TECHNICIAN.id, NEW_PIN)).toThrow(expect.objectContaining({ code: 'SIGN_IN_FAILED' }));
    expect(() => operators().enable(ADMIN, 'nobody')).toThrow(expect.objectContaining({ code: 'NO_SUCH_OPERATOR' }));
    expect(() => operators().resetPin(ADMIN, 'nobody\u202e', NEW_PIN)).toThrow("there is no operator 'nobody\\u202E'");
    expect(operators().authenticate(TECHNICIAN).id).toBe(TECHNICIAN.id);
    expect(operators().changes(TECHNICIAN.id).map((change) => change.change)).toEqual(['added']);
  });

  it('lets an admin reset its own PIN, and keeps the last active admin from being disabled', () => {
    expect(() => operators().disable(ADMIN, ADMIN.id)).toThrow(expect.objectContaining({ code: 'LAST_ADMIN' }));
    operators().resetPin(ADMIN, ADMIN.id, NEW_PIN);
    expect(operators().authenticate({ id: ADMIN.id, pin: NEW_PIN }).role).toBe('admin');
    expect(operators().changes(ADMIN.id)[0]).toMatchObject({ change: 'pin-reset', byId: ADMIN.id });
  });

  it('keeps the journal append-only', () => {
    operators().unlock(ADMIN, TECHNICIAN.id);
    const db = new DatabaseSync(join(station.dir, DATABASE_FILE));
    try {
      expect(() => db.exec('DELETE FROM operator_changes')).toThrow(/append-only/);
      expect(() => db.exec("UPDATE operator_changes SET by_id = 'sup.kowalski'")).toThrow(/append-only/);
    } finally {
      db.close();
    }
    expect(operators().changes().map((change) => change.change)).toEqual(['unlocked', 'added', 'added']);
  });
});
