// The operators a station already has when it joins a real PostgreSQL depot: those the depot lacks
// are offered and, once an admin confirms, added there by depot.offer_operators; a clash (one id,
// another name, role or PIN at the depot) is shown and resolved each way by a station admin, never
// merged; a station's role cannot overwrite a depot operator.
import { join as joinPath } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { writeCredentialsFile } from '../../../src/main/depot/connection.ts';
import { OperatorClashError } from '../../../src/main/depot/errors.ts';
import { DEPOT_OFFER_WINDOW_MINUTES, REFUSAL_CODES } from '../../../src/main/depot/migrations.ts';
import { offerOperators, readOperatorOffer, resolveOperatorClash } from '../../../src/main/depot/operator-offer.ts';
import { changeDepotOperator, depotOperators } from '../../../src/main/depot/operators-admin.ts';
import { joinDepot } from '../../../src/main/depot/station-depot.ts';
import { createDepotSync } from '../../../src/main/depot/sync.ts';
import { ADMIN, createStationFixture, SUPERVISOR, TECHNICIAN, type StationFixture } from '../records/fixture.ts';
import { connectAsStation, createDepot, POSTGRES_MISSING, postgresPerFile, refusal, registerStation } from './fixture.ts';

const { server: pgServer, cleanups } = postgresPerFile();

const DEPOT_ADMIN = { id: 'depot.admin', pin: '31415926' } as const;

/** A depot with an admin of its own, and a station (admin, supervisor, technician) registered there. */
async function stationAndDepot() {
  const depot = await createDepot(pgServer());
  await changeDepotOperator(depot.admin, { change: 'added', id: DEPOT_ADMIN.id, displayName: 'Depot Head', role: 'admin', pin: DEPOT_ADMIN.pin });
  const station = createStationFixture();
  cleanups.push(() => station.cleanup());
  station.provision({ serial: 'OFFER0001', imei: null });
  const credentials = await registerStation(pgServer(), depot, station.records.identity.fingerprint);
  const credentialsPath = joinPath(station.dir, 'handed-over.json');
  await writeCredentialsFile(credentialsPath, credentials);
  const join = () => joinDepot({ databasePath: station.records.databasePath, credentialsPath, stationFingerprint: station.records.identity.fingerprint });
  return { depot, station, credentials, join };
}

function signInCode(station: StationFixture, credentials: { id: string; pin: string }): string {
  try {
    station.records.operators.authenticate(credentials);
    return 'signed in';
  } catch (error) {
    return (error as { code: string }).code;
  }
}

async function syncOnce(station: StationFixture, credentials: Awaited<ReturnType<typeof stationAndDepot>>['credentials']) {
  const sync = createDepotSync({ databasePath: station.records.databasePath, credentials });
  try {
    return await sync.drain();
  } finally {
    await sync.stop();
  }
}

describe.skipIf(POSTGRES_MISSING)("a station's own operators offered to its depot at join", () => {
  it('no clash: the operators the depot lacks are offered, added at the depot by the station once confirmed, and become the depot’s on the station', async () => {
    const { depot, station, credentials, join } = await stationAndDepot();
    const joined = await join();
    expect(joined.operators.clashes).toEqual([]);
    expect(joined.operators.offer.map((operator) => operator.id)).toEqual([ADMIN.id, SUPERVISOR.id, TECHNICIAN.id]);
    // Only confirmed ones are added: the technician first, then the rest.
    expect((await offerOperators(station.records.databasePath, credentials, [TECHNICIAN.id])).map((operator) => operator.id)).toEqual([TECHNICIAN.id]);
    expect((await readOperatorOffer(station.records.databasePath, credentials)).offer.map((operator) => operator.id)).toEqual([ADMIN.id, SUPERVISOR.id]);
    await offerOperators(station.records.databasePath, credentials, null);
    const atDepot = await depotOperators(depot.admin);
    expect(atDepot.find((operator) => operator.id === TECHNICIAN.id)).toMatchObject({ lastChange: 'added', lastChangeBy: credentials.user, disabled: false });
    await syncOnce(station, credentials);
    expect(await readOperatorOffer(station.records.databasePath, credentials)).toEqual({ offer: [], clashes: [], join: joined.operators.join });
    // The same people, the same PINs, now managed at the depot (its admin too).
    expect(signInCode(station, TECHNICIAN)).toBe('signed in');
    expect(signInCode(station, DEPOT_ADMIN)).toBe('signed in');
    expect(station.records.operators.depotChanges().map((change) => change.operatorId)).toContain(TECHNICIAN.id);
  });

  it('the station keeps the join its offer was compared at: once it joined again elsewhere, that offer is refused until it joins again here', async () => {
    const { depot, station, credentials, join } = await stationAndDepot();
    const first = await join();
    expect(first.operators.join).toEqual({ id: expect.any(Number), joinedAt: expect.any(String) });
    expect((await readOperatorOffer(station.records.databasePath, credentials)).join).toEqual(first.operators.join);
    // Another join of this station (its credentials used from elsewhere, say) after the comparison was shown.
    const elsewhere = await connectAsStation(credentials);
    cleanups.push(() => elsewhere.end());
    await elsewhere.query('SELECT depot.record_join($1)', [credentials.keyFingerprint]);
    await expect(offerOperators(station.records.databasePath, credentials, [TECHNICIAN.id])).rejects.toMatchObject({
      code: REFUSAL_CODES.offerJoinSuperseded,
      message: expect.stringMatching(/join again.*then offer them/),
    });
    expect(await depotOperators(depot.admin)).toEqual([expect.objectContaining({ id: DEPOT_ADMIN.id })]);
    const second = await join();
    expect(second.operators.join?.id).toBeGreaterThan(first.operators.join?.id ?? Infinity);
    expect((await offerOperators(station.records.databasePath, credentials, [TECHNICIAN.id])).map((operator) => operator.id)).toEqual([TECHNICIAN.id]);
  });

  it("a clash is shown at join and nothing of the depot's is applied; keeping the depot's hands the id over", async () => {
    const { depot, station, credentials, join } = await stationAndDepot();
    await changeDepotOperator(depot.admin, { change: 'added', id: TECHNICIAN.id, displayName: 'Somebody Else', role: 'technician', pin: '86420975' });
    const joined = await join();
    expect(joined.operators.clashes).toEqual([
      {
        id: TECHNICIAN.id,
        station: { id: TECHNICIAN.id, displayName: 'T. Ng', role: 'technician' },
        depot: { id: TECHNICIAN.id, displayName: 'Somebody Else', role: 'technician', disabled: false },
        differs: ['name', 'pin'],
      },
    ]);
    expect(joined.pushed.records).toBe(1);
    await expect(syncOnce(station, credentials)).rejects.toBeInstanceOf(OperatorClashError);
    expect(signInCode(station, DEPOT_ADMIN)).toBe('SIGN_IN_FAILED');
    expect(signInCode(station, TECHNICIAN)).toBe('signed in');

    const after = await resolveOperatorClash(station.records.databasePath, credentials, { operatorId: TECHNICIAN.id, resolution: 'keep-depot', renameTo: null, byAdmin: ADMIN.id });
    expect(after.clashes).toEqual([]);
    await syncOnce(station, credentials);
    expect(station.records.operators.get(TECHNICIAN.id)?.displayName).toBe('Somebody Else');
    expect(signInCode(station, TECHNICIAN)).toBe('SIGN_IN_FAILED');
    expect(signInCode(station, { id: TECHNICIAN.id, pin: '86420975' })).toBe('signed in');
    expect(signInCode(station, DEPOT_ADMIN)).toBe('signed in');
  });

  it("renaming the station's operator keeps that person under a new id, offered like any other, and the depot's takes the old id", async () => {
    const { depot, station, credentials, join } = await stationAndDepot();
    await changeDepotOperator(depot.admin, { change: 'added', id: TECHNICIAN.id, displayName: 'T. Ng', role: 'supervisor', pin: '86420975' });
    expect((await join()).operators.clashes.map((clash) => clash.differs)).toEqual([['role', 'pin']]);
    // Only an admin resolves, and only to an id neither side holds.
    await expect(
      resolveOperatorClash(station.records.databasePath, credentials, { operatorId: TECHNICIAN.id, resolution: 'rename', renameTo: 'tech.ng2', byAdmin: TECHNICIAN.id }),
    ).rejects.toMatchObject({ code: 'ROLE_NOT_ALLOWED', params: { operator: TECHNICIAN.id, role: 'technician', needed: 'admin' } });
    await expect(
      resolveOperatorClash(station.records.databasePath, credentials, { operatorId: TECHNICIAN.id, resolution: 'rename', renameTo: DEPOT_ADMIN.id, byAdmin: ADMIN.id }),
    ).rejects.toThrow(/already has an operator depot.admin/);
    const after = await resolveOperatorClash(station.records.databasePath, credentials, { operatorId: TECHNICIAN.id, resolution: 'rename', renameTo: 'tech.ng2', byAdmin: ADMIN.id });
    expect(after.clashes).toEqual([]);
    expect(after.offer.map((operator) => operator.id)).toContain('tech.ng2');
    await offerOperators(station.records.databasePath, credentials, ['tech.ng2']);
    await syncOnce(station, credentials);
    expect(signInCode(station, { id: 'tech.ng2', pin: TECHNICIAN.pin })).toBe('signed in');
    expect(station.records.operators.get(TECHNICIAN.id)?.role).toBe('supervisor');
    expect(signInCode(station, { id: TECHNICIAN.id, pin: '86420975' })).toBe('signed in');
    // Newest first: the depot's copy of the offer (made by the station's role), then the admin's rename on the station.
    expect(station.records.operators.changes('tech.ng2')).toMatchObject([
      { change: 'added', madeAt: 'depot' },
      { change: 'added', byId: ADMIN.id, madeAt: 'station' },
    ]);
  });

  it("a station's role cannot overwrite a depot operator: an offer of a held id is refused whole, direct writes and changes too", async () => {
    const { depot, credentials } = await stationAndDepot();
    const asStation = await connectAsStation(credentials);
    cleanups.push(() => asStation.end());
    const pinHash = 'scrypt$16384$8$1$c2FsdA==$aGFzaA==';
    const offer = (joinId: number | null, ids: string[]) =>
      asStation.query('SELECT depot.offer_operators($1, $2, $3, $4, $5, $6)', [
        credentials.keyFingerprint,
        joinId,
        ids,
        ids.map(() => 'X'),
        ids.map(() => 'admin'),
        ids.map(() => pinHash),
      ]);
    const recordJoin = async () => Number((await asStation.query<{ join_id: string }>('SELECT join_id FROM depot.record_join($1)', [credentials.keyFingerprint])).rows[0]?.join_id);
    // Only within the offer window after a join: never joined, or last joined too long ago, refused (nothing added).
    expect(await refusal(offer(null, ['new.one']))).toMatchObject({ code: REFUSAL_CODES.offerWindowClosed, message: expect.stringMatching(/join.*then offer/) });
    const admin = new pg.Client(depot.admin);
    await admin.connect();
    let oldJoin: number;
    try {
      const old = await admin.query<{ id: string }>(
        `INSERT INTO depot.station_joins (station, joined_at) VALUES ($1, now() - interval '${DEPOT_OFFER_WINDOW_MINUTES + 1} minutes') RETURNING id`,
        [credentials.station],
      );
      oldJoin = Number(old.rows[0]?.id);
    } finally {
      await admin.end();
    }
    expect(await refusal(offer(oldJoin, ['new.one']))).toMatchObject({ code: REFUSAL_CODES.offerWindowClosed, message: expect.stringMatching(/join again/) });
    // A station journals its joins only through depot.record_join, never by hand.
    expect(await refusal(asStation.query('INSERT INTO depot.station_joins (station) VALUES ($1)', [credentials.station]))).toMatchObject({ code: '42501' });
    // The window counts from the join the offer was compared at: a later join does not reopen an older one's offer.
    const newJoin = await recordJoin();
    expect(newJoin).toBeGreaterThan(oldJoin);
    for (const stale of [oldJoin, null]) {
      expect(await refusal(offer(stale, ['new.one']))).toMatchObject({ code: REFUSAL_CODES.offerJoinSuperseded, message: expect.stringMatching(/join again.*then offer/) });
    }
    // Another station's join, or a join id this station never made, is not its latest either.
    expect(await refusal(offer(newJoin + 1000, ['new.one']))).toMatchObject({ code: REFUSAL_CODES.offerJoinSuperseded });
    expect(await refusal(offer(newJoin, ['new.one', DEPOT_ADMIN.id]))).toMatchObject({ code: REFUSAL_CODES.operatorExists });
    // Refused whole: the new id of the same call was not added either.
    expect((await depotOperators(depot.admin)).map((operator) => operator.id)).toEqual([DEPOT_ADMIN.id]);
    for (const sql of [
      `INSERT INTO depot.operator_changes (operator_id, change, display_name, role, pin_hash, disabled) VALUES ('${DEPOT_ADMIN.id}', 'pin-reset', 'X', 'admin', '${pinHash}', false)`,
      `UPDATE depot.operator_changes SET pin_hash = '${pinHash}'`,
      `SELECT depot.change_operator('disabled', '${DEPOT_ADMIN.id}', NULL, NULL, NULL, NULL, NULL)`,
    ]) {
      expect(await refusal(asStation.query(sql))).toMatchObject({ code: '42501' });
    }
    // Another station's key cannot offer through this role.
    expect(await refusal(asStation.query('SELECT depot.offer_operators($1, $2, $3, $4, $5, $6)', ['ab'.repeat(32), newJoin, ['x.y'], ['X'], ['admin'], [pinHash]]))).toMatchObject({
      code: REFUSAL_CODES.wrongKey,
    });
    // The offer without a join (schema 7's) is gone: no station offers past the check.
    expect(await refusal(asStation.query('SELECT depot.offer_operators($1, $2, $3, $4, $5)', [credentials.keyFingerprint, ['x.y'], ['X'], ['admin'], [pinHash]]))).toMatchObject({
      code: '42883',
    });
    // Under its latest join, within the window, the offer is taken.
    await offer(newJoin, ['new.one']);
    expect((await depotOperators(depot.admin)).map((operator) => operator.id).sort()).toEqual([DEPOT_ADMIN.id, 'new.one']);
  });
});
