// A change of an operator's role (depot migration 7, records schema 12) against a real PostgreSQL depot:
// the administrator's (`lockstep depot operators set-role`) and an admin's from Settings on a station,
// through the station API's trust boundary (dispatch), made at the depot by depot.station_change_operator,
// journaled there as ADMIN@STATION, applied at once on that station and on a second one with its sync;
// the depot's last enabled admin is never demoted, a role it already has is refused, a technician and a
// station's role calling without the admin's proof are refused, with nothing changed.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../../src/main/api/dispatch.ts';
import { writeCredentialsFile } from '../../../src/main/depot/connection.ts';
import { REFUSAL_CODES } from '../../../src/main/depot/migrations.ts';
import { changeDepotOperator, depotOperatorArguments, depotOperatorChanges, depotOperatorValues, depotOperators } from '../../../src/main/depot/operators-admin.ts';
import { joinDepot } from '../../../src/main/depot/station-depot.ts';
import { createDepotSync } from '../../../src/main/depot/sync.ts';
import { openStation } from '../../../src/main/station/open-station.ts';
import { createStationFixture } from '../records/fixture.ts';
import { connectAsStation, createDepot, POSTGRES_MISSING, postgresPerFile, refusal, registerStation } from './fixture.ts';

const { server: pgServer, cleanups } = postgresPerFile();

const DEPOT_ADMIN = { id: 'depot.admin', pin: '24681357' } as const;
const DEPOT_TECH = { id: 'tech.okafor', pin: '13572468' } as const;

async function depotWithOperators() {
  const depot = await createDepot(pgServer());
  await changeDepotOperator(depot.admin, { change: 'added', id: DEPOT_ADMIN.id, displayName: 'Depot Admin', role: 'admin', pin: DEPOT_ADMIN.pin });
  await changeDepotOperator(depot.admin, { change: 'added', id: DEPOT_TECH.id, displayName: 'C. Okafor', role: 'technician', pin: DEPOT_TECH.pin });
  return depot;
}

async function joined(depot: Awaited<ReturnType<typeof depotWithOperators>>) {
  const fixture = createStationFixture();
  const credentials = await registerStation(pgServer(), depot, fixture.records.identity.fingerprint);
  const credentialsPath = join(fixture.dir, 'handed-over.json');
  await writeCredentialsFile(credentialsPath, credentials);
  await joinDepot({ databasePath: fixture.records.databasePath, credentialsPath, stationFingerprint: fixture.records.identity.fingerprint });
  return { fixture, credentials };
}

describe.skipIf(POSTGRES_MISSING)("an operator's role changed at a real PostgreSQL depot", () => {
  it("the administrator changes a role; the depot's last enabled admin keeps theirs; a role already held is refused", async () => {
    const depot = await depotWithOperators();
    expect(await changeDepotOperator(depot.admin, { change: 'role-changed', id: DEPOT_TECH.id, role: 'supervisor' })).toMatchObject({
      id: DEPOT_TECH.id,
      role: 'supervisor',
      displayName: 'C. Okafor',
      disabled: false,
      lastChange: 'role-changed',
    });
    expect(await refusal(changeDepotOperator(depot.admin, { change: 'role-changed', id: DEPOT_ADMIN.id, role: 'technician' }))).toMatchObject({
      code: REFUSAL_CODES.lastAdmin,
    });
    expect(await refusal(changeDepotOperator(depot.admin, { change: 'role-changed', id: DEPOT_TECH.id, role: 'supervisor' }))).toMatchObject({
      code: REFUSAL_CODES.malformed,
    });
    expect(await refusal(changeDepotOperator(depot.admin, { change: 'role-changed', id: 'nobody.here', role: 'admin' }))).toMatchObject({
      code: REFUSAL_CODES.noSuchOperator,
    });
    // With a second admin, the first may be demoted; the operator's PIN and state are carried over.
    await changeDepotOperator(depot.admin, { change: 'role-changed', id: DEPOT_TECH.id, role: 'admin' });
    expect(await changeDepotOperator(depot.admin, { change: 'role-changed', id: DEPOT_ADMIN.id, role: 'technician' })).toMatchObject({ role: 'technician' });
    expect((await depotOperatorChanges(depot.admin)).slice(0, 3).map((change) => [change.operatorId, change.change])).toEqual([
      [DEPOT_ADMIN.id, 'role-changed'],
      [DEPOT_TECH.id, 'role-changed'],
      [DEPOT_TECH.id, 'role-changed'],
    ]);
  });

  it('an admin changes a role from Settings on a station: made at the depot as ADMIN@STATION, applied here at once and on another station with its sync', async () => {
    const depot = await depotWithOperators();
    const { fixture, credentials } = await joined(depot);
    const second = await joined(depot);
    cleanups.push(() => second.fixture.cleanup());
    const { dir } = fixture;
    fixture.records.close();
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const opened = await openStation({ dataDir: dir, fleet: 'simulated', demo: true, depotSync: { pollMs: 60_000, backoffMinMs: 20, backoffMaxMs: 200, timeoutMs: 3_000 } });
    cleanups.push(() => opened.close());
    const { station } = opened;

    await station['session.signIn'](DEPOT_TECH);
    expect(await dispatch(station, 'operators.setRole', { adminPin: DEPOT_TECH.pin, id: DEPOT_TECH.id, role: 'admin' })).toMatchObject({
      ok: false,
      error: { failure: 'ROLE_NOT_ALLOWED' },
    });
    await station['session.signOut'](undefined);
    await station['session.signIn'](DEPOT_ADMIN);
    expect(await dispatch(station, 'operators.setRole', { adminPin: DEPOT_ADMIN.pin, id: DEPOT_TECH.id, role: 'boss' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    // The last enabled admin at the depot is not demoted, from a station either: nothing changes.
    expect(await dispatch(station, 'operators.setRole', { adminPin: DEPOT_ADMIN.pin, id: DEPOT_ADMIN.id, role: 'supervisor' })).toMatchObject({
      ok: false,
      error: { failure: 'DEPOT_OPERATOR_REFUSED', params: { reason: expect.stringMatching(/last enabled admin.*SQLSTATE LS012/) } },
    });
    expect((await depotOperators(depot.admin)).find((operator) => operator.id === DEPOT_ADMIN.id)?.role).toBe('admin');

    expect(await dispatch(station, 'operators.setRole', { adminPin: DEPOT_ADMIN.pin, id: DEPOT_TECH.id, role: 'supervisor' })).toMatchObject({
      ok: true,
      value: { id: DEPOT_TECH.id, role: 'supervisor' },
    });
    expect((await depotOperatorChanges(depot.admin))[0]).toMatchObject({ operatorId: DEPOT_TECH.id, change: 'role-changed', madeBy: `${DEPOT_ADMIN.id}@${credentials.station}` });
    expect((await station['operators.changes']({ id: DEPOT_TECH.id }))[0]).toMatchObject({
      change: 'role-changed',
      byId: `${DEPOT_ADMIN.id}@${credentials.station}`,
      madeAt: 'depot',
    });

    // The other station has it with its next sync: the technician signs in there as a supervisor.
    expect(second.fixture.records.operators.get(DEPOT_TECH.id)?.role).toBe('technician');
    const sync = createDepotSync({ databasePath: second.fixture.records.databasePath, credentials: second.credentials });
    await sync.drain().finally(() => sync.stop());
    expect(second.fixture.records.operators.authenticate(DEPOT_TECH, ['supervisor'])).toMatchObject({ id: DEPOT_TECH.id, role: 'supervisor' });
    // On a station whose depot manages its operators, a role is not changed locally.
    expect(() => second.fixture.records.operators.setRole(DEPOT_ADMIN, DEPOT_TECH.id, 'technician')).toThrow(expect.objectContaining({ code: 'OPERATORS_AT_DEPOT' }));
  });

  it("a station's role changes a role only through depot.station_change_operator, proven by an admin's PIN", async () => {
    const depot = await depotWithOperators();
    const { fixture, credentials } = await joined(depot);
    cleanups.push(() => fixture.cleanup());
    const asStation = await connectAsStation(credentials);
    cleanups.push(() => asStation.end());
    const values = depotOperatorValues(depotOperatorArguments({ change: 'role-changed', id: DEPOT_TECH.id, role: 'admin' }));
    // No proof of the admin's PIN: the depot answers the refusal (counted), and changes nothing.
    const wrong = await asStation.query('SELECT * FROM depot.station_change_operator($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)', [
      credentials.keyFingerprint,
      DEPOT_ADMIN.id,
      'A'.repeat(43) + '=',
      ...values,
    ]);
    expect(wrong.rows[0]).toMatchObject({ change_id: null, refused_code: REFUSAL_CODES.wrongAdminPin });
    // A technician is not an admin there, whatever proof comes with it.
    expect(
      await refusal(
        asStation.query('SELECT * FROM depot.station_change_operator($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)', [credentials.keyFingerprint, DEPOT_TECH.id, 'x', ...values]),
      ),
    ).toMatchObject({ code: REFUSAL_CODES.notAnAdmin });
    expect(
      await refusal(asStation.query(`SELECT depot.record_operator_change('role-changed', '${DEPOT_TECH.id}', NULL, 'admin', NULL, NULL, NULL, NULL, NULL)`)),
    ).toMatchObject({ code: '42501' });
    expect((await depotOperators(depot.admin)).find((operator) => operator.id === DEPOT_TECH.id)?.role).toBe('technician');
  });
});
