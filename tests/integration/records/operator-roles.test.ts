// An operator's role changed on a station outside a depot (records schema 12): by an admin with their
// PIN, journaled as 'role-changed', never demoting the last admin who can sign in; and a schema-11
// database, whose journals' CHECK lacks the kind, upgraded to 12 with every row kept under its id and
// the tables still append-only.
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../../src/main/records/migrations.ts';
import { DATABASE_FILE, openStationRecords } from '../../../src/main/records/station-records.ts';
import { ADMIN, createStationFixture, SUPERVISOR, TECHNICIAN } from './fixture.ts';

/** The two journals as schema 11 made them (the CHECK without 'role-changed'), rows and ids kept. */
const BACK_TO_SCHEMA_11 = `
  CREATE TABLE operator_changes_11 (
    id INTEGER PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES operators(id),
    change TEXT NOT NULL CHECK (change IN ('added', 'disabled', 'enabled', 'unlocked', 'pin-reset')),
    by_id TEXT NOT NULL REFERENCES operators(id),
    at TEXT NOT NULL
  ) STRICT;
  INSERT INTO operator_changes_11 SELECT * FROM operator_changes;
  DROP TABLE operator_changes;
  ALTER TABLE operator_changes_11 RENAME TO operator_changes;
  CREATE INDEX operator_changes_operator ON operator_changes (operator_id, id);
  CREATE TRIGGER operator_changes_no_update BEFORE UPDATE ON operator_changes
    BEGIN SELECT RAISE(ABORT, 'operator_changes is append-only: rows cannot be changed'); END;
  CREATE TRIGGER operator_changes_no_delete BEFORE DELETE ON operator_changes
    BEGIN SELECT RAISE(ABORT, 'operator_changes is append-only: rows cannot be deleted'); END;
  CREATE TABLE depot_operator_changes_11 (
    id INTEGER PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES operators(id),
    change TEXT NOT NULL CHECK (change IN ('added', 'disabled', 'enabled', 'unlocked', 'pin-reset')),
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('technician', 'supervisor', 'admin')),
    pin_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL CHECK (disabled IN (0, 1)),
    made_at TEXT NOT NULL,
    made_by TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT;
  INSERT INTO depot_operator_changes_11 SELECT * FROM depot_operator_changes;
  DROP TABLE depot_operator_changes;
  ALTER TABLE depot_operator_changes_11 RENAME TO depot_operator_changes;
  CREATE TRIGGER depot_operator_changes_no_update BEFORE UPDATE ON depot_operator_changes
    BEGIN SELECT RAISE(ABORT, 'depot_operator_changes is append-only: rows cannot be changed'); END;
  CREATE TRIGGER depot_operator_changes_no_delete BEFORE DELETE ON depot_operator_changes
    BEGIN SELECT RAISE(ABORT, 'depot_operator_changes is append-only: rows cannot be deleted'); END;
  PRAGMA user_version = 11`;

function code(run: () => unknown): string {
  try {
    run();
    return 'done';
  } catch (error) {
    return (error as { code: string }).code;
  }
}

describe("an operator's role at a station outside a depot", () => {
  it('an admin changes a role with their PIN, journaled; a technician cannot, and the last admin who can sign in stays one', () => {
    const station = createStationFixture();
    try {
      const { operators } = station.records;
      expect(code(() => operators.setRole(TECHNICIAN, TECHNICIAN.id, 'admin'))).toBe('ROLE_NOT_ALLOWED');
      expect(code(() => operators.setRole({ id: ADMIN.id, pin: '00000000' }, TECHNICIAN.id, 'supervisor'))).toBe('SIGN_IN_FAILED');
      expect(code(() => operators.setRole(ADMIN, ADMIN.id, 'supervisor'))).toBe('LAST_ADMIN');
      expect(code(() => operators.setRole(ADMIN, 'nobody.here', 'supervisor'))).toBe('NO_SUCH_OPERATOR');
      expect(code(() => operators.setRole(ADMIN, TECHNICIAN.id, 'boss' as 'admin'))).toBe('RECORDS_REFUSED');

      expect(operators.setRole(ADMIN, TECHNICIAN.id, 'supervisor')).toMatchObject({ id: TECHNICIAN.id, role: 'supervisor' });
      expect(operators.authenticate(TECHNICIAN, ['supervisor']).role).toBe('supervisor');
      // The same role again changes nothing and journals nothing.
      operators.setRole(ADMIN, TECHNICIAN.id, 'supervisor');
      expect(operators.changes(TECHNICIAN.id).filter((change) => change.change === 'role-changed')).toEqual([
        expect.objectContaining({ operatorId: TECHNICIAN.id, change: 'role-changed', byId: ADMIN.id, madeAt: 'station' }),
      ]);
      // With another admin, the first may step down.
      operators.setRole(ADMIN, SUPERVISOR.id, 'admin');
      expect(operators.setRole(ADMIN, ADMIN.id, 'technician').role).toBe('technician');
      expect(code(() => operators.setRole(ADMIN, SUPERVISOR.id, 'technician'))).toBe('ROLE_NOT_ALLOWED');
      expect(code(() => operators.setRole(SUPERVISOR, SUPERVISOR.id, 'technician'))).toBe('LAST_ADMIN');
    } finally {
      station.cleanup();
    }
  });

  it('a schema-11 database is upgraded: its journal kept row for row, a change of role then journaled, the journals still append-only', () => {
    const old = createStationFixture();
    try {
      old.records.operators.disable(ADMIN, TECHNICIAN.id);
      old.records.operators.enable(ADMIN, TECHNICIAN.id);
      const before = old.records.operators.changes();
      old.records.close();
      const raw = new DatabaseSync(join(old.dir, DATABASE_FILE));
      raw.exec(BACK_TO_SCHEMA_11);
      expect(() => raw.prepare("INSERT INTO operator_changes (operator_id, change, by_id, at) VALUES (?, 'role-changed', ?, 'now')").run(TECHNICIAN.id, ADMIN.id)).toThrow(
        /CHECK constraint failed/,
      );
      raw.close();

      const reopened = openStationRecords(old.dir);
      try {
        const db = new DatabaseSync(join(old.dir, DATABASE_FILE), { readOnly: true });
        try {
          expect(db.prepare('PRAGMA user_version').get()).toEqual({ user_version: SCHEMA_VERSION });
        } finally {
          db.close();
        }
        expect(reopened.operators.changes()).toEqual(before);
        reopened.operators.setRole(ADMIN, TECHNICIAN.id, 'supervisor');
        expect(reopened.operators.changes()[0]).toMatchObject({ operatorId: TECHNICIAN.id, change: 'role-changed', byId: ADMIN.id });
      } finally {
        reopened.close();
      }
      const check = new DatabaseSync(join(old.dir, DATABASE_FILE));
      try {
        expect(() => check.exec('UPDATE operator_changes SET by_id = by_id')).toThrow(/append-only/);
        expect(() => check.exec('DELETE FROM operator_changes')).toThrow(/append-only/);
        check.exec("INSERT INTO depot_operator_changes VALUES (1, 'tech.ng', 'role-changed', 'T. Ng', 'admin', 'x', 0, 'then', 'them', 'now')");
        expect(() => check.exec('DELETE FROM depot_operator_changes')).toThrow(/append-only/);
        expect(() => check.exec("INSERT INTO operator_changes (operator_id, change, by_id, at) VALUES ('tech.ng', 'renamed', 'admin', 'now')")).toThrow(/CHECK/);
      } finally {
        check.close();
      }
    } finally {
      old.cleanup();
    }
  });
});
