// Operators changed from Settings on a station (issue 21 #6), against a real PostgreSQL depot: through
// the station API's trust boundary (dispatch), as the window calls it, an admin's change is made at the
// depot, journaled there with the admin and the station, applied at once on that station and reaching
// a second one with its next sync; a technician, an admin the depot does not know, a wrong PIN and the
// last admin disabled are refused; an unreachable depot changes nothing. And in PostgreSQL itself: a
// station's role calling depot.station_change_operator with a wrong PIN or for a non-admin is refused,
// wrong PINs are counted until the depot refuses that admin, and the verifiers stay unreadable.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../../src/main/api/dispatch.ts';
import { writeCredentialsFile } from '../../../src/main/depot/connection.ts';
import { DEPOT_MAX_ADMIN_PIN_FAILURES, REFUSAL_CODES } from '../../../src/main/depot/migrations.ts';
import { changeDepotOperator, depotOperatorArguments, depotOperatorChanges, depotOperatorValues, depotOperators } from '../../../src/main/depot/operators-admin.ts';
import { connectStation } from '../../../src/main/depot/station-client.ts';
import { joinDepot } from '../../../src/main/depot/station-depot.ts';
import { createDepotSync } from '../../../src/main/depot/sync.ts';
import { hashPin } from '../../../src/main/records/pin-hash.ts';
import { openStation } from '../../../src/main/station/open-station.ts';
import type { DepotCredentials } from '../../../src/shared/depot.ts';
import { ADMIN as STATION_ADMIN } from '../../depot-operators.ts';
import { createStationFixture, type StationFixture } from '../records/fixture.ts';
import { connectAsStation, createDepot, POSTGRES_MISSING, postgresPerFile, refusal, registerStation, until } from './fixture.ts';

const { server: pgServer, cleanups } = postgresPerFile();

type Depot = Awaited<ReturnType<typeof createDepot>>;

const DEPOT_ADMIN = { id: 'depot.admin', pin: '24681357' } as const;
const DEPOT_TECH = { id: 'tech.okafor', pin: '13572468' } as const;

/** A depot whose administrator added an admin and a technician with `lockstep depot operators`. */
async function depotWithOperators(): Promise<Depot> {
  const depot = await createDepot(pgServer());
  await changeDepotOperator(depot.admin, { change: 'added', id: DEPOT_ADMIN.id, displayName: 'Depot Admin', role: 'admin', pin: DEPOT_ADMIN.pin });
  await changeDepotOperator(depot.admin, { change: 'added', id: DEPOT_TECH.id, displayName: 'C. Okafor', role: 'technician', pin: DEPOT_TECH.pin });
  return depot;
}

/** A station registered and joined (its first sync copies the depot's operators). */
async function joinedFixture(depot: Depot): Promise<{ fixture: StationFixture; credentials: DepotCredentials }> {
  const fixture = createStationFixture();
  const credentials = await registerStation(pgServer(), depot, fixture.records.identity.fingerprint);
  const credentialsPath = join(fixture.dir, 'handed-over.json');
  await writeCredentialsFile(credentialsPath, credentials);
  await joinDepot({ databasePath: fixture.records.databasePath, credentialsPath, stationFingerprint: fixture.records.identity.fingerprint });
  return { fixture, credentials };
}

/** A joined station opened as the window opens it: the station API a Settings screen calls. */
async function openedStation(depot: Depot, pollMs = 60_000) {
  const { fixture, credentials } = await joinedFixture(depot);
  const { dir } = fixture;
  fixture.records.close();
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const opened = await openStation({ dataDir: dir, fleet: 'simulated', demo: true, depotSync: { pollMs, backoffMinMs: 20, backoffMaxMs: 200, timeoutMs: 3_000 } });
  cleanups.push(() => opened.close());
  return { station: opened.station, credentials };
}

function secondStation(depot: Depot) {
  return joinedFixture(depot).then(({ fixture, credentials }) => {
    cleanups.push(() => fixture.cleanup());
    const syncOnce = () => {
      const sync = createDepotSync({ databasePath: fixture.records.databasePath, credentials });
      return sync.drain().finally(() => sync.stop());
    };
    return { records: fixture.records, syncOnce };
  });
}


describe.skipIf(POSTGRES_MISSING)('operators changed from Settings on a station, at a real PostgreSQL depot', () => {
  it("an admin's changes are made at the depot, journaled with the admin and the station, and reach a second station with its sync", async () => {
    const depot = await depotWithOperators();
    const { station, credentials } = await openedStation(depot);
    const second = await secondStation(depot);
    await station['session.signIn'](DEPOT_ADMIN);
    expect((await station['settings.read'](undefined)).operatorsAtDepot).toBe(true);

    const added = await dispatch(station, 'operators.add', {
      adminPin: DEPOT_ADMIN.pin,
      operator: { id: 'sup.ferreira', displayName: 'R. Ferreira', role: 'supervisor', pin: '86420975', pinRepeat: '86420975' },
    });
    expect(added).toMatchObject({ ok: true, value: { id: 'sup.ferreira', role: 'supervisor', disabledAt: null } });
    expect(await dispatch(station, 'operators.disable', { adminPin: DEPOT_ADMIN.pin, id: DEPOT_TECH.id })).toMatchObject({ ok: true, value: { disabledAt: expect.any(String) } });
    expect(await dispatch(station, 'operators.resetPin', { adminPin: DEPOT_ADMIN.pin, id: 'sup.ferreira', pin: '11335577', pinRepeat: '11335577' })).toMatchObject({ ok: true });

    // At the depot: each change journaled with the PostgreSQL login (the station's role) and, as made_by, the admin at the station.
    const madeBy = `${DEPOT_ADMIN.id}@${credentials.station}`;
    expect((await depotOperatorChanges(depot.admin)).slice(0, 3).map(({ operatorId, change, madeBy: by }) => ({ operatorId, change, by }))).toEqual([
      { operatorId: 'sup.ferreira', change: 'pin-reset', by: madeBy },
      { operatorId: DEPOT_TECH.id, change: 'disabled', by: madeBy },
      { operatorId: 'sup.ferreira', change: 'added', by: madeBy },
    ]);
    expect(await depotOperators(depot.admin)).toContainEqual(expect.objectContaining({ id: DEPOT_TECH.id, disabled: true, lastChangeBy: madeBy }));

    // Settings' journal of the station shows the depot's changes, marked as made there.
    expect((await station['operators.changes']({ id: 'sup.ferreira' })).map(({ change, byId, madeAt }) => [change, byId, madeAt])).toEqual([
      ['pin-reset', madeBy, 'depot'],
      ['added', madeBy, 'depot'],
    ]);

    // The station it was made on holds it at once: the new PIN signs in, the disabled technician does not.
    await station['session.signOut'](undefined);
    expect(await dispatch(station, 'session.signIn', { id: 'sup.ferreira', pin: '11335577' })).toMatchObject({ ok: true });
    await station['session.signOut'](undefined);
    expect(await dispatch(station, 'session.signIn', DEPOT_TECH)).toMatchObject({ ok: false, error: { failure: 'OPERATOR_DISABLED' } });

    // The second station: unchanged until its sync, then the same, journaled with who made it and where.
    expect(second.records.operators.get('sup.ferreira')).toBeNull();
    expect(second.records.operators.authenticate(DEPOT_TECH)).toMatchObject({ id: DEPOT_TECH.id });
    await second.syncOnce();
    expect(second.records.operators.authenticate({ id: 'sup.ferreira', pin: '11335577' })).toMatchObject({ role: 'supervisor' });
    expect(() => second.records.operators.authenticate(DEPOT_TECH)).toThrow(expect.objectContaining({ code: 'OPERATOR_DISABLED' }));
    expect(second.records.operators.depotChanges().slice(-3).map((change) => [change.operatorId, change.change, change.madeBy])).toEqual([
      ['sup.ferreira', 'added', madeBy],
      [DEPOT_TECH.id, 'disabled', madeBy],
      ['sup.ferreira', 'pin-reset', madeBy],
    ]);

    // Enabled again: the second station follows at its next sync.
    await station['session.signIn'](DEPOT_ADMIN);
    expect(await dispatch(station, 'operators.enable', { adminPin: DEPOT_ADMIN.pin, id: DEPOT_TECH.id })).toMatchObject({ ok: true, value: { disabledAt: null } });
    await second.syncOnce();
    expect(second.records.operators.authenticate(DEPOT_TECH)).toMatchObject({ id: DEPOT_TECH.id });
  });

  it('a technician, an admin the depot does not know, a wrong PIN and the last admin disabled are refused, with nothing changed', async () => {
    const depot = await depotWithOperators();
    const { station } = await openedStation(depot);
    const before = await depotOperatorChanges(depot.admin);
    const newcomer = { id: 'tech.new', displayName: 'New', role: 'technician', pin: '99887766', pinRepeat: '99887766' } as const;

    await station['session.signIn'](DEPOT_TECH);
    expect(await dispatch(station, 'operators.add', { adminPin: DEPOT_TECH.pin, operator: newcomer })).toMatchObject({ ok: false, error: { failure: 'ROLE_NOT_ALLOWED' } });
    await station['session.signOut'](undefined);

    // The station's own admin from before its depot: an admin here, but not at the depot, which decides.
    await station['session.signIn'](STATION_ADMIN);
    expect(await dispatch(station, 'operators.add', { adminPin: STATION_ADMIN.pin, operator: newcomer })).toMatchObject({
      ok: false,
      error: { failure: 'DEPOT_OPERATOR_REFUSED', params: { reason: expect.stringMatching(/not an enabled admin at the depot/) } },
    });
    await station['session.signOut'](undefined);

    await station['session.signIn'](DEPOT_ADMIN);
    // A wrong PIN is refused by the station first (and counted towards its lock-out there).
    expect(await dispatch(station, 'operators.add', { adminPin: '00000000', operator: newcomer })).toMatchObject({ ok: false, error: { failure: 'SIGN_IN_FAILED' } });
    expect(await dispatch(station, 'operators.disable', { adminPin: DEPOT_ADMIN.pin, id: DEPOT_ADMIN.id })).toMatchObject({
      ok: false,
      error: { failure: 'DEPOT_OPERATOR_REFUSED', params: { reason: expect.stringMatching(/last enabled admin/) } },
    });
    expect(await dispatch(station, 'operators.add', { adminPin: DEPOT_ADMIN.pin, operator: { ...newcomer, id: DEPOT_TECH.id } })).toMatchObject({
      ok: false,
      error: { failure: 'DEPOT_OPERATOR_REFUSED', params: { reason: expect.stringMatching(/already exists at the depot/) } },
    });
    expect(await dispatch(station, 'operators.resetPin', { adminPin: DEPOT_ADMIN.pin, id: DEPOT_TECH.id, pin: '12', pinRepeat: '12' })).toMatchObject({
      ok: false,
      error: { failure: 'PIN_INVALID' },
    });
    expect(await depotOperatorChanges(depot.admin)).toEqual(before);
  });

  it('PostgreSQL refuses a station role calling the function with a wrong PIN or for a non-admin, counts wrong PINs, and keeps the verifiers', async () => {
    const depot = await depotWithOperators();
    const credentials = await registerStation(pgServer(), depot, 'ab'.repeat(32));
    // The station's own calls (station-client.ts: the admin's proof derived from the PIN), and bare SQL as its role.
    const station = await connectStation(credentials, 10_000);
    cleanups.push(() => station.close());
    const client = await connectAsStation(credentials);
    cleanups.push(() => client.end());
    const disable = depotOperatorArguments({ change: 'disabled', id: DEPOT_TECH.id });
    const refusedAs = (admin: { id: string; pin: string }) => station.changeOperator(admin, disable).then(
      () => 'made',
      (error: unknown) => (error as { code: string }).code,
    );
    const changes = async () => (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM depot.operator_changes')).rows[0]?.n;

    expect(await refusedAs(DEPOT_TECH)).toBe(REFUSAL_CODES.notAnAdmin);
    expect(await refusedAs({ id: 'nobody', pin: DEPOT_TECH.pin })).toBe(REFUSAL_CODES.notAnAdmin);
    // The verifier is the depot's alone; the station reads the salt it derives a proof with.
    expect((await refusal(client.query('SELECT verifier FROM depot.operator_pin_proofs'))).code).toBe('42501');
    expect((await refusal(client.query("INSERT INTO depot.operator_pin_failures (operator_id, station) VALUES ('x', 'y')"))).code).toBe('42501');

    // A wrong PIN is answered (so the failure it counts is kept), not raised; nothing changes.
    for (let i = 0; i < DEPOT_MAX_ADMIN_PIN_FAILURES - 1; i += 1) expect(await refusedAs({ id: DEPOT_ADMIN.id, pin: '00000000' })).toBe(REFUSAL_CODES.wrongAdminPin);
    const bare = await client.query('SELECT * FROM depot.station_change_operator($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)', [
      credentials.keyFingerprint,
      DEPOT_ADMIN.id,
      'not a proof',
      ...depotOperatorValues(disable),
    ]);
    expect(bare.rows).toEqual([{ change_id: null, refused_code: REFUSAL_CODES.wrongAdminPin, refused_reason: `the depot refused the PIN of admin ${DEPOT_ADMIN.id}` }]);
    expect(await changes()).toBe(2);
    // Five wrong PINs: the right one is refused too, until the depot's administrator unlocks (or re-PINs) the admin.
    expect(await refusedAs(DEPOT_ADMIN)).toBe(REFUSAL_CODES.adminPinLocked);
    await changeDepotOperator(depot.admin, { change: 'unlocked', id: DEPOT_ADMIN.id });
    expect(await refusedAs(DEPOT_ADMIN)).toBe('made');
    const journaled = await client.query('SELECT change, made_by, made_by_operator, made_at_station FROM depot.operator_changes ORDER BY id DESC LIMIT 1');
    expect(journaled.rows[0]).toEqual({
      change: 'disabled',
      made_by: `lockstep_station_${credentials.station}`,
      made_by_operator: DEPOT_ADMIN.id,
      made_at_station: credentials.station,
    });

    // An admin whose PIN was set before the depot kept verifiers (a row as migration 3's function wrote it) cannot act from a station.
    const admin = new pg.Client(depot.admin);
    await admin.connect();
    cleanups.push(() => admin.end());
    await admin.query(
      "INSERT INTO depot.operator_changes (operator_id, change, display_name, role, pin_hash, disabled) VALUES ('old.admin', 'added', 'Old', 'admin', $1, false)",
      [hashPin('31415926')],
    );
    expect(await refusedAs({ id: 'old.admin', pin: '31415926' })).toBe(REFUSAL_CODES.noPinProof);
  });

  it('with the depot unreachable, a change is refused as offline and nothing changes, at the depot or on the station', async () => {
    const depot = await depotWithOperators();
    // Its sync polls often, so it notices the outage and reconnects after it like any station.
    const { station } = await openedStation(depot, 100);
    await station['session.signIn'](DEPOT_ADMIN);
    const before = await depotOperatorChanges(depot.admin);
    const operatorsBefore = await station['operators.list'](undefined);
    pgServer().stop('fast');
    try {
      expect(await dispatch(station, 'operators.disable', { adminPin: DEPOT_ADMIN.pin, id: DEPOT_TECH.id })).toMatchObject({
        ok: false,
        error: { failure: 'DEPOT_OFFLINE', params: { reason: expect.stringMatching(/cannot reach the depot/) } },
      });
      expect(await station['operators.list'](undefined)).toEqual(operatorsBefore);
    } finally {
      pgServer().start();
    }
    expect(await depotOperatorChanges(depot.admin)).toEqual(before);
    await until(async () => (await station['depot.state'](undefined))?.kind === 'connected', 'the station to reconnect');
  });
});
