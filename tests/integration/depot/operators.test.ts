// Operators managed once, at a real PostgreSQL depot: what the administrator adds, disables, enables
// or re-PINs reaches a station with its next sync and is journaled there with who made it; the
// station refuses changes made locally; a disabled operator is refused once the station has synced;
// an offline station signs operators in from its copy only within the age the depot allows.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeCredentialsFile } from '../../../src/main/depot/connection.ts';
import { REFUSAL_CODES } from '../../../src/main/depot/migrations.ts';
import { changeDepotOperator, depotOfflineSignIn, depotOperatorChanges, depotOperators } from '../../../src/main/depot/operators-admin.ts';
import { joinDepot } from '../../../src/main/depot/station-depot.ts';
import { createDepotSync } from '../../../src/main/depot/sync.ts';
import type { DepotCredentials } from '../../../src/shared/depot.ts';
import { ADMIN, createStationFixture, type StationFixture } from '../records/fixture.ts';
import { connectAsStation, createDepot, POSTGRES_MISSING, postgresPerFile, refusal, registerStation } from './fixture.ts';

const { server: pgServer, cleanups } = postgresPerFile();

type Depot = Awaited<ReturnType<typeof createDepot>>;

const DEPOT_ADMIN = { id: 'depot.admin', pin: '24681357' } as const;
const NEWCOMER = { id: 'tech.okafor', pin: '13572468' } as const;

/** A depot whose administrator has added an admin and a technician. */
async function depotWithOperators(): Promise<Depot> {
  const depot = await createDepot(pgServer());
  await changeDepotOperator(depot.admin, { change: 'added', id: DEPOT_ADMIN.id, displayName: 'Depot Admin', role: 'admin', pin: DEPOT_ADMIN.pin });
  await changeDepotOperator(depot.admin, { change: 'added', id: NEWCOMER.id, displayName: 'C. Okafor', role: 'technician', pin: NEWCOMER.pin });
  return depot;
}

/** A station (with a clock the test moves) registered and joined, which copies the depot's operators. */
async function joinedStation(depot: Depot, clock: { at: number }): Promise<{ station: StationFixture; credentials: DepotCredentials }> {
  const station = createStationFixture({ now: () => new Date(clock.at) });
  cleanups.push(() => station.cleanup());
  const credentials = await registerStation(pgServer(), depot, station.records.identity.fingerprint);
  const credentialsPath = join(station.dir, 'handed-over.json');
  await writeCredentialsFile(credentialsPath, credentials);
  await joinDepot({ databasePath: station.records.databasePath, credentialsPath, stationFingerprint: station.records.identity.fingerprint });
  return { station, credentials };
}

function syncOnce(station: StationFixture, credentials: DepotCredentials, clock: { at: number }) {
  const sync = createDepotSync({ databasePath: station.records.databasePath, credentials, now: () => new Date(clock.at) });
  return sync.drain().finally(() => sync.stop());
}

function signInCode(station: StationFixture, credentials: { id: string; pin: string }): string {
  try {
    station.records.operators.authenticate(credentials);
    return 'signed in';
  } catch (error) {
    return (error as { code: string }).code;
  }
}

describe.skipIf(POSTGRES_MISSING)('operators managed at a real PostgreSQL depot', () => {
  it('changes made at the depot reach the station with its next sync, journaled with who made them; the station makes none itself', async () => {
    const depot = await depotWithOperators();
    const clock = { at: Date.now() };
    const { station, credentials } = await joinedStation(depot, clock);
    expect(signInCode(station, NEWCOMER)).toBe('signed in');
    expect(station.records.operators.get(NEWCOMER.id)).toMatchObject({ displayName: 'C. Okafor', role: 'technician', disabledAt: null });

    // Changes are the depot's: refused at the station, with where to make them.
    expect(() => station.records.operators.add(ADMIN, { id: 'tech.local', displayName: 'Local', role: 'technician', pin: '11112222' })).toThrow(
      /managed at its depot: operators are added there/,
    );
    expect(() => station.records.operators.disable(ADMIN, NEWCOMER.id)).toThrow(expect.objectContaining({ code: 'OPERATORS_AT_DEPOT' }));

    // Disabled at the depot: still signing in until the station syncs, refused once it has.
    await changeDepotOperator(depot.admin, { change: 'disabled', id: NEWCOMER.id });
    expect(signInCode(station, NEWCOMER)).toBe('signed in');
    await syncOnce(station, credentials, clock);
    expect(signInCode(station, NEWCOMER)).toBe('OPERATOR_DISABLED');

    // Enabled with a new PIN: the old PIN is refused, the new one accepted, the station's lock-out cleared.
    await changeDepotOperator(depot.admin, { change: 'enabled', id: NEWCOMER.id });
    await syncOnce(station, credentials, clock);
    for (let i = 0; i < 5; i += 1) signInCode(station, { id: NEWCOMER.id, pin: '00000000' });
    expect(signInCode(station, NEWCOMER)).toBe('OPERATOR_LOCKED');
    await changeDepotOperator(depot.admin, { change: 'pin-reset', id: NEWCOMER.id, pin: '97531864' });
    await syncOnce(station, credentials, clock);
    expect(signInCode(station, NEWCOMER)).toBe('SIGN_IN_FAILED');
    expect(signInCode(station, { id: NEWCOMER.id, pin: '97531864' })).toBe('signed in');

    // The station's journal of depot changes names who made each, as the depot's does.
    const journal = station.records.operators.depotChanges();
    expect(journal.map((change) => [change.operatorId, change.change, change.madeBy])).toEqual([
      [DEPOT_ADMIN.id, 'added', 'postgres'],
      [NEWCOMER.id, 'added', 'postgres'],
      [NEWCOMER.id, 'disabled', 'postgres'],
      [NEWCOMER.id, 'enabled', 'postgres'],
      [NEWCOMER.id, 'pin-reset', 'postgres'],
    ]);
    const atDepot = await depotOperatorChanges(depot.admin);
    expect(atDepot.map((change) => [change.operatorId, change.change, change.madeBy]).reverse()).toEqual(journal.map((change) => [change.operatorId, change.change, change.madeBy]));
    expect(await depotOperators(depot.admin)).toEqual([
      expect.objectContaining({ id: DEPOT_ADMIN.id, role: 'admin', disabled: false }),
      expect.objectContaining({ id: NEWCOMER.id, role: 'technician', disabled: false, lastChange: 'pin-reset', lastChangeBy: 'postgres' }),
    ]);
  });

  it('an offline station signs operators in from its copy only within the age the depot allows, then needs the depot again', async () => {
    const depot = await depotWithOperators();
    expect(await depotOfflineSignIn(depot.admin, 3_600)).toMatchObject({ seconds: 3_600, changedBy: 'postgres' });
    const clock = { at: Date.now() };
    const { station, credentials } = await joinedStation(depot, clock);

    // Disabled at the depot while the station is cut off: the station, not having synced, still lets them in, within the hour.
    await changeDepotOperator(depot.admin, { change: 'disabled', id: NEWCOMER.id });
    clock.at += 59 * 60_000;
    expect(signInCode(station, NEWCOMER)).toBe('signed in');
    clock.at += 2 * 60_000;
    expect(signInCode(station, NEWCOMER)).toBe('DEPOT_SIGN_IN_STALE');
    expect(() => station.records.operators.authenticate(DEPOT_ADMIN)).toThrow(/more than 1 h ago; signing in needs the depot/);

    // Back in touch: the copy is confirmed, the disable applied.
    await syncOnce(station, credentials, clock);
    expect(signInCode(station, DEPOT_ADMIN)).toBe('signed in');
    expect(signInCode(station, NEWCOMER)).toBe('OPERATOR_DISABLED');
  });

  it('a station whose depot has no operators yet keeps managing its own', async () => {
    const depot = await createDepot(pgServer());
    const clock = { at: Date.now() };
    const { station } = await joinedStation(depot, clock);
    const added = station.records.operators.add(ADMIN, { id: 'tech.local', displayName: 'Local', role: 'technician', pin: '11112222' });
    expect(added.createdBy).toBe(ADMIN.id);
  });

  it("an operator the depot adds under an id the station already uses for someone else is a clash: nothing is applied, records still flow, the reason is shown", async () => {
    const depot = await createDepot(pgServer());
    // The depot's administrator adds someone else under the station's admin's id.
    await changeDepotOperator(depot.admin, { change: 'added', id: ADMIN.id, displayName: 'Another Person', role: 'admin', pin: '86420975' });
    const clock = { at: Date.now() };
    const station = createStationFixture({ now: () => new Date(clock.at) });
    cleanups.push(() => station.cleanup());
    station.provision({ serial: 'CLASH001', imei: null });
    const credentials = await registerStation(pgServer(), depot, station.records.identity.fingerprint);
    const sync = createDepotSync({ databasePath: station.records.databasePath, credentials, now: () => new Date(clock.at) });
    cleanups.push(() => sync.stop());
    await expect(sync.drain()).rejects.toThrow(/operators cannot be applied on this station: operator admin exists on this station and the depot added another/);
    // The station's own admin is untouched and still manages the station; its record reached the depot.
    expect(signInCode(station, ADMIN)).toBe('signed in');
    expect(station.records.operators.get(ADMIN.id)?.displayName).not.toBe('Another Person');
    expect(station.records.operators.depotChanges()).toEqual([]);
    expect(sync.heads()?.records).toBe(1);
  });

  it('the depot refuses a reused id, an unknown operator, disabling its last admin, and any change by a station', async () => {
    const depot = await depotWithOperators();
    await expect(changeDepotOperator(depot.admin, { change: 'added', id: NEWCOMER.id, displayName: 'Again', role: 'admin', pin: '12121212' })).rejects.toMatchObject({
      code: REFUSAL_CODES.operatorExists,
    });
    await expect(changeDepotOperator(depot.admin, { change: 'disabled', id: 'nobody' })).rejects.toMatchObject({ code: REFUSAL_CODES.noSuchOperator });
    await expect(changeDepotOperator(depot.admin, { change: 'disabled', id: DEPOT_ADMIN.id })).rejects.toMatchObject({ code: REFUSAL_CODES.lastAdmin });
    await expect(changeDepotOperator(depot.admin, { change: 'added', id: 'x', displayName: 'X', role: 'admin', pin: '12121212' })).rejects.toThrow(/operator id/);

    const credentials = await registerStation(pgServer(), depot, 'cd'.repeat(32));
    const station = await connectAsStation(credentials);
    cleanups.push(() => station.end());
    const hash = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
    expect((await refusal(station.query("SELECT depot.change_operator('added', 'evil', 'Evil', 'admin', $1, NULL, NULL)", [hash]))).code).toBe('42501');
    expect(
      (await refusal(station.query("SELECT depot.record_operator_change('added', 'evil', 'Evil', 'admin', $1, NULL, NULL, 'evil', NULL)", [hash]))).code,
    ).toBe('42501');
    expect(
      (await refusal(station.query("INSERT INTO depot.operator_changes (operator_id, change, display_name, role, pin_hash, disabled) VALUES ('evil', 'added', 'E', 'admin', $1, false)", [hash])))
        .code,
    ).toBe('42501');
    expect((await refusal(station.query('INSERT INTO depot.operator_settings (offline_sign_in_s) VALUES (2678400)'))).code).toBe('42501');
    expect((await refusal(station.query('DELETE FROM depot.operator_changes'))).code).toBe('42501');
    // What a station may do: read the operators to copy them.
    expect((await station.query('SELECT count(*)::int AS n FROM depot.operator_changes')).rows[0]?.n).toBe(2);
  });
});
