// The operators a station had before joining, handled from Settings → Depot through the station API's
// trust boundary (dispatch) as the window calls it, against a real PostgreSQL: the join answers the
// offer and the clash; only an admin reads or acts, and only with their own PIN; offering adds at the
// depot, a clash is resolved each way, and the running sync then applies the depot's operators here.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../../src/main/api/dispatch.ts';
import pg from 'pg';
import { writeCredentialsFile } from '../../../src/main/depot/connection.ts';
import { DEPOT_OFFER_WINDOW_MINUTES } from '../../../src/main/depot/migrations.ts';
import { changeDepotOperator, depotOperators } from '../../../src/main/depot/operators-admin.ts';
import { writeJoinMark } from '../../../src/main/depot/join-mark.ts';
import { DATABASE_FILE } from '../../../src/main/records/station-records.ts';
import { DEPOT_CREDENTIALS_FILE } from '../../../src/main/depot/station-depot.ts';
import { openStation } from '../../../src/main/station/open-station.ts';
import type { DepotJoined } from '../../../src/shared/api.ts';
import type { DepotSyncState } from '../../../src/shared/depot.ts';
import { ADMIN, SUPERVISOR, TECHNICIAN } from '../../depot-operators.ts';
import { createStationFixture } from '../records/fixture.ts';
import { createDepot, POSTGRES_MISSING, postgresPerFile, registerStation, until } from './fixture.ts';

const { server: pgServer, cleanups } = postgresPerFile();
type Depot = Awaited<ReturnType<typeof createDepot>>;

const DEPOT_ADMIN = { id: 'depot.head', pin: '31415926' } as const;

/** A station (admin, supervisor, technician) opened as the window opens it, with its credentials file for the depot. */
async function openedStation(depot: Depot) {
  const fixture = createStationFixture();
  const { dir, records } = fixture;
  const fingerprint = records.identity.fingerprint;
  records.close();
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const credentials = await registerStation(pgServer(), depot, fingerprint);
  const credentialsPath = join(dir, 'station.credentials.json');
  await writeCredentialsFile(credentialsPath, credentials);
  const opened = await openStation({ dataDir: dir, fleet: 'simulated', demo: true, depotSync: { pollMs: 50, backoffMinMs: 20, backoffMaxMs: 200, timeoutMs: 5_000 } });
  cleanups.push(() => opened.close());
  const states: DepotSyncState[] = [];
  cleanups.push(opened.station.subscribe('depot.state', (state) => states.push(state)));
  return { station: opened.station, credentials, credentialsPath, states, dir };
}

describe.skipIf(POSTGRES_MISSING)('Settings → Depot: the operators a station had before joining', () => {
  it('the join answers the offer and the clash; an admin with their PIN offers one, renames the clashing one, offers it, and the sync applies the depot', async () => {
    // The depot already has an admin of its own and someone else under the technician's id.
    const depot = await createDepot(pgServer());
    await changeDepotOperator(depot.admin, { change: 'added', id: DEPOT_ADMIN.id, displayName: 'Depot Head', role: 'admin', pin: DEPOT_ADMIN.pin });
    await changeDepotOperator(depot.admin, { change: 'added', id: TECHNICIAN.id, displayName: 'Somebody Else', role: 'supervisor', pin: '86420975' });
    const { station, credentials, credentialsPath, states } = await openedStation(depot);
    expect(await dispatch(station, 'session.signIn', ADMIN)).toMatchObject({ ok: true });
    expect(await dispatch(station, 'depot.operatorOffer', undefined)).toEqual({ ok: true, value: null });

    const joined = await dispatch(station, 'depot.join', { credentialsPath });
    expect(joined).toMatchObject({
      ok: true,
      value: {
        operators: {
          offer: [
            { id: ADMIN.id, role: 'admin' },
            { id: SUPERVISOR.id, role: 'supervisor' },
          ],
          clashes: [
            {
              id: TECHNICIAN.id,
              station: { id: TECHNICIAN.id, displayName: 'T. Ng', role: 'technician' },
              depot: { id: TECHNICIAN.id, displayName: 'Somebody Else', role: 'supervisor', disabled: false },
              differs: ['name', 'role', 'pin'],
            },
          ],
        },
      },
    });
    // The window offers under the join its comparison was made at, which the station keeps.
    const joinId = joined.ok ? (joined.value as DepotJoined).operators.join?.id : undefined;
    expect(joinId).toEqual(expect.any(Number));
    expect(await dispatch(station, 'depot.operatorOffer', undefined)).toMatchObject({ ok: true, value: { join: { id: joinId } } });
    // The running sync shows the clash as its reason, while the depot's operators are not applied.
    await until(() => states.some((state) => state.kind === 'offline' && /operators cannot be applied/.test(state.reason)), 'the sync to show the clash');
    expect(await dispatch(station, 'depot.operatorOffer', undefined)).toMatchObject({ ok: true, value: { clashes: [{ id: TECHNICIAN.id }] } });

    // A wrong PIN and an id not offered are refused, with nothing added at the depot.
    expect(await dispatch(station, 'depot.offerOperators', { adminPin: '00000000', ids: [SUPERVISOR.id], joinId })).toMatchObject({
      ok: false,
      error: { failure: 'SIGN_IN_FAILED' },
    });
    expect(await dispatch(station, 'depot.offerOperators', { adminPin: ADMIN.pin, ids: [TECHNICIAN.id], joinId })).toMatchObject({
      ok: false,
      error: { failure: 'DEPOT_OPERATOR_REFUSED', params: { reason: expect.stringMatching(/not offered to the depot.*tech\.ng/) } },
    });
    expect((await depotOperators(depot.admin)).map((operator) => operator.id).sort()).toEqual([DEPOT_ADMIN.id, TECHNICIAN.id]);

    const afterOffer = await dispatch(station, 'depot.offerOperators', { adminPin: ADMIN.pin, ids: [SUPERVISOR.id], joinId });
    expect(afterOffer).toMatchObject({ ok: true, value: { offer: [{ id: ADMIN.id }], clashes: [{ id: TECHNICIAN.id }], join: { id: joinId } } });
    expect((await depotOperators(depot.admin)).find((operator) => operator.id === SUPERVISOR.id)).toMatchObject({ lastChange: 'added', lastChangeBy: credentials.user });

    // A rename to an id the depot holds is refused; to a free one it is journaled here, and the new id is offered.
    expect(await dispatch(station, 'depot.resolveOperator', { adminPin: ADMIN.pin, id: TECHNICIAN.id, resolution: 'rename', renameTo: DEPOT_ADMIN.id })).toMatchObject({
      ok: false,
      error: { failure: 'DEPOT_OPERATOR_REFUSED', params: { reason: expect.stringMatching(/already has an operator depot\.head/) } },
    });
    expect(await dispatch(station, 'depot.resolveOperator', { adminPin: ADMIN.pin, id: TECHNICIAN.id, resolution: 'rename', renameTo: null })).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
    const renamed = await dispatch(station, 'depot.resolveOperator', { adminPin: ADMIN.pin, id: TECHNICIAN.id, resolution: 'rename', renameTo: 'tech.ng2' });
    expect(renamed).toMatchObject({ ok: true, value: { clashes: [], offer: [{ id: ADMIN.id }, { id: 'tech.ng2' }] } });
    expect(await dispatch(station, 'depot.offerOperators', { adminPin: ADMIN.pin, ids: null, joinId })).toMatchObject({ ok: true, value: { offer: [], clashes: [] } });

    // The sync was woken: the depot's operators now hold here, the depot's admin and the renamed technician sign in.
    await until(async () => (await station['operators.list'](undefined)).some((operator) => operator.id === DEPOT_ADMIN.id), "the depot's operators to apply");
    await station['session.signOut'](undefined);
    expect(await dispatch(station, 'session.signIn', { id: 'tech.ng2', pin: TECHNICIAN.pin })).toMatchObject({ ok: true });
    await station['session.signOut'](undefined);
    expect(await dispatch(station, 'session.signIn', { id: TECHNICIAN.id, pin: '86420975' })).toMatchObject({ ok: true, value: { operator: { role: 'supervisor' } } });
    // Not an admin: neither read nor act.
    expect(await dispatch(station, 'depot.operatorOffer', undefined)).toMatchObject({ ok: false, error: { failure: 'ROLE_NOT_ALLOWED' } });
    expect(await dispatch(station, 'depot.offerOperators', { adminPin: '86420975', ids: null, joinId })).toMatchObject({ ok: false, error: { failure: 'ROLE_NOT_ALLOWED' } });
    // The window must say which join its offer was compared at.
    expect(await dispatch(station, 'depot.offerOperators', { adminPin: ADMIN.pin, ids: null })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  }, 120_000);

  it('an offer long after its join is DEPOT_OFFER_EXPIRED, one compared before a later join DEPOT_OFFER_SUPERSEDED, nothing added; joining again opens the window', async () => {
    const depot = await createDepot(pgServer());
    const { station, credentials, credentialsPath, dir } = await openedStation(depot);
    // The station holds its copy of the credentials and its join as a join leaves them, and that join is older than the window.
    await writeCredentialsFile(join(dir, DEPOT_CREDENTIALS_FILE), credentials);
    const admin = new pg.Client(depot.admin);
    await admin.connect();
    let oldJoin: number;
    try {
      const old = await admin.query<{ id: string; joined_at: Date }>(
        `INSERT INTO depot.station_joins (station, joined_at) VALUES ($1, now() - interval '${DEPOT_OFFER_WINDOW_MINUTES + 5} minutes') RETURNING id, joined_at`,
        [credentials.station],
      );
      oldJoin = Number(old.rows[0]?.id);
      await writeJoinMark(join(dir, DATABASE_FILE), { id: oldJoin, joinedAt: (old.rows[0]?.joined_at as Date).toISOString() });
    } finally {
      await admin.end();
    }
    await station['session.signIn'](ADMIN);
    expect(await dispatch(station, 'depot.offerOperators', { adminPin: ADMIN.pin, ids: null, joinId: oldJoin })).toMatchObject({
      ok: false,
      error: { failure: 'DEPOT_OFFER_EXPIRED', params: { minutes: String(DEPOT_OFFER_WINDOW_MINUTES) }, message: expect.stringMatching(/join again/) },
    });
    expect(await depotOperators(depot.admin)).toEqual([]);
    const rejoined = await dispatch(station, 'depot.join', { credentialsPath });
    const newJoin = rejoined.ok ? (rejoined.value as DepotJoined).operators.join?.id : undefined;
    expect(newJoin).toBeGreaterThan(oldJoin);
    // The window still showing the old comparison: the new join does not reopen it.
    expect(await dispatch(station, 'depot.offerOperators', { adminPin: ADMIN.pin, ids: null, joinId: oldJoin })).toMatchObject({
      ok: false,
      error: { failure: 'DEPOT_OFFER_SUPERSEDED', message: expect.stringMatching(/join again.*then offer them/) },
    });
    expect(await depotOperators(depot.admin)).toEqual([]);
    expect(await dispatch(station, 'depot.offerOperators', { adminPin: ADMIN.pin, ids: null, joinId: newJoin })).toEqual({
      ok: true,
      value: { offer: [], clashes: [], join: { id: newJoin, joinedAt: expect.any(String) } },
    });
  }, 120_000);

  it("keeping the depot's operator hands the id over; with the depot stopped, reading and acting are DEPOT_OFFLINE and nothing is journaled", async () => {
    const depot = await createDepot(pgServer());
    const { station, credentialsPath } = await openedStation(depot);
    await station['session.signIn'](ADMIN);
    await changeDepotOperator(depot.admin, { change: 'added', id: SUPERVISOR.id, displayName: 'Another Kowalski', role: 'supervisor', pin: '97531864' });
    const joined = await dispatch(station, 'depot.join', { credentialsPath });
    expect(joined).toMatchObject({ ok: true, value: { operators: { clashes: [{ id: SUPERVISOR.id }] } } });

    pgServer().stop('fast');
    try {
      expect(await dispatch(station, 'depot.operatorOffer', undefined)).toMatchObject({ ok: false, error: { failure: 'DEPOT_OFFLINE' } });
      expect(await dispatch(station, 'depot.resolveOperator', { adminPin: ADMIN.pin, id: SUPERVISOR.id, resolution: 'keep-depot', renameTo: null })).toMatchObject({
        ok: false,
        error: { failure: 'DEPOT_OFFLINE' },
      });
    } finally {
      pgServer().start();
    }
    expect(await dispatch(station, 'depot.operatorOffer', undefined)).toMatchObject({ ok: true, value: { clashes: [{ id: SUPERVISOR.id }] } });
    const kept = await dispatch(station, 'depot.resolveOperator', { adminPin: ADMIN.pin, id: SUPERVISOR.id, resolution: 'keep-depot', renameTo: null });
    expect(kept).toMatchObject({ ok: true, value: { clashes: [] } });
    await until(async () => (await station['operators.list'](undefined)).some((operator) => operator.displayName === 'Another Kowalski'), "the depot's supervisor to take the id over");
  }, 120_000);
});
