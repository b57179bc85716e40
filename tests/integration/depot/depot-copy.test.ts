// The sync compares what the depot holds of a station (depot.hello: each stream's head and the last
// record's hash) with the station's own journal before it pushes anything. A depot holding another
// record at a position (a clone of the station pushing under its credentials) or more than the station
// holds (its database restored from an old backup) stops the sync with a coded problem, kept on disk
// and reported to the depot, while the station goes on provisioning; a depot that lost rows is sent
// them again.
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { depotOverview } from '../../../src/main/depot/admin.ts';
import { writeCredentialsFile } from '../../../src/main/depot/connection.ts';
import { startDepotLink } from '../../../src/main/depot/depot-link.ts';
import { DEPOT_CREDENTIALS_FILE, joinDepot, readRefusal } from '../../../src/main/depot/station-depot.ts';
import { createDepotSync } from '../../../src/main/depot/sync.ts';
import type { DepotCredentials, DepotSyncState } from '../../../src/shared/depot.ts';
import { runCliAsync } from '../../lockstep-cli.ts';
import { createStationFixture, type StationFixture } from '../records/fixture.ts';
import { createDepot, POSTGRES_MISSING, postgresPerFile, registerStation, until } from './fixture.ts';

let depot: Awaited<ReturnType<typeof createDepot>>;
let admin: pg.Client;
const { server: pgServer, cleanups } = postgresPerFile();

beforeAll(async () => {
  if (POSTGRES_MISSING) return;
  depot = await createDepot(pgServer());
  admin = new pg.Client(depot.admin);
  await admin.connect();
}, 120_000);

afterAll(async () => {
  await admin?.end().catch(() => undefined);
});

const FAST = { pollMs: 20, backoffMinMs: 20, backoffMaxMs: 200, timeoutMs: 5_000 };

function fixture(options: { cloneOf?: StationFixture } = {}): StationFixture {
  const station = createStationFixture(options);
  cleanups.push(() => station.cleanup());
  return station;
}

function provision(station: StationFixture, prefix: string, from: number, to: number): void {
  for (let i = from; i <= to; i += 1) station.provision({ serial: `${prefix}${String(i).padStart(5, '0')}`, imei: null });
}

/** A station registered at the depot and joined, its journal uploaded. */
async function joined(station: StationFixture): Promise<DepotCredentials> {
  const credentials = await registerStation(pgServer(), depot, station.records.identity.fingerprint);
  const credentialsPath = join(station.dir, 'handed-over.json');
  await writeCredentialsFile(credentialsPath, credentials);
  await joinDepot({ databasePath: station.records.databasePath, credentialsPath, stationFingerprint: station.records.identity.fingerprint, settings: FAST });
  return credentials;
}

/** Gives a copy of the station the credentials too, as a cloned machine or a restored backup of the whole folder would hold them. */
async function withCredentials(copy: StationFixture, credentials: DepotCredentials): Promise<void> {
  await writeCredentialsFile(join(copy.dir, DEPOT_CREDENTIALS_FILE), credentials);
}

async function depotHashes(name: string): Promise<string[]> {
  const result = await admin.query<{ hash: string }>('SELECT hash FROM depot.records WHERE station = $1 ORDER BY seq', [name]);
  return result.rows.map((row) => row.hash);
}

function localHashes(station: StationFixture): string[] {
  const db = new DatabaseSync(station.records.databasePath, { readOnly: true });
  try {
    return (db.prepare('SELECT hash FROM provisioning_records ORDER BY seq').all() as { hash: string }[]).map((row) => row.hash);
  } finally {
    db.close();
  }
}

/** Runs the station's link (as its window or `lockstep provision` does) until it settles on a refusal. */
async function refusedLink(station: StationFixture): Promise<Extract<DepotSyncState, { kind: 'refused' }>> {
  const states: DepotSyncState[] = [];
  const link = await startDepotLink(station.records.databasePath, (next) => states.push(next), FAST);
  cleanups.push(() => link?.stop());
  const refused = () => states.find((state): state is Extract<DepotSyncState, { kind: 'refused' }> => state.kind === 'refused');
  await until(() => refused() !== undefined, 'the link to stop refused');
  await link?.stop();
  return refused()!;
}

describe.skipIf(POSTGRES_MISSING)("the depot's copy compared with the station's journal", () => {
  it('a depot holding another record at a position (a clone pushing under the same credentials): the sync stops with DEPOT_CHAIN_DIVERGED, provisioning goes on', async () => {
    const original = fixture();
    provision(original, 'OR', 1, 2);
    const clone = fixture({ cloneOf: original });
    provision(original, 'OR', 3, 4);
    const credentials = await joined(original);
    // The clone went on with other handsets: its records 3 and 4 are not the depot's.
    provision(clone, 'CL', 3, 5);
    await withCredentials(clone, credentials);
    const depotBefore = await depotHashes(credentials.station);
    expect(depotBefore).toEqual(localHashes(original));

    const refused = await refusedLink(clone);
    expect(refused.problem).toEqual({ code: 'DEPOT_CHAIN_DIVERGED', seq: 4 });
    expect(refused.reason).toMatch(/another record 4 for this station.*provisioning goes on here/);
    // Nothing of the clone's reached the depot, and the refusal is kept on disk with its code.
    expect(await depotHashes(credentials.station)).toEqual(depotBefore);
    expect((await readRefusal(clone.records.databasePath))?.problem).toEqual(refused.problem);
    // The depot's status shows the alarm the clone reported.
    const overview = (await depotOverview(depot.admin)).find((station) => station.name === credentials.station);
    expect(overview?.report?.refusal).toMatch(/another record 4/);
    // The station goes on provisioning; restarted, its link starts refused with the same problem.
    provision(clone, 'CL', 6, 6);
    expect(localHashes(clone)).toHaveLength(6);
    const again = await refusedLink(clone);
    expect(again.problem).toEqual(refused.problem);
    expect(await depotHashes(credentials.station)).toEqual(depotBefore);
  }, 120_000);

  it("a depot ahead of the station (its database restored from an old backup): DEPOT_AHEAD_OF_STATION, nothing pushed, join refused the same way", async () => {
    const station = fixture();
    provision(station, 'ST', 1, 2);
    const backup = fixture({ cloneOf: station });
    provision(station, 'ST', 3, 4);
    const credentials = await joined(station);
    await withCredentials(backup, credentials);
    const depotBefore = await depotHashes(credentials.station);

    const refused = await refusedLink(backup);
    expect(refused.problem).toEqual({ code: 'DEPOT_AHEAD_OF_STATION', stream: 'records', depotHead: 4, stationHead: 2 });
    expect(refused.reason).toMatch(/records up to 4, its journal only up to 2: its database was restored from an old backup/);
    provision(backup, 'ST', 3, 3);
    // Joining again does not get past it: the check runs on every connection.
    const credentialsPath = join(backup.dir, 'handed-over.json');
    await writeCredentialsFile(credentialsPath, credentials);
    await expect(
      joinDepot({ databasePath: backup.records.databasePath, credentialsPath, stationFingerprint: backup.records.identity.fingerprint, settings: FAST }),
    ).rejects.toMatchObject({ problem: { code: 'DEPOT_AHEAD_OF_STATION', depotHead: 4, stationHead: 3 } });
    expect(await depotHashes(credentials.station)).toEqual(depotBefore);
  }, 120_000);

  it('lockstep depot status --db makes the same comparison itself, before any sync ran: the own journal, a clone, an old backup; nothing written', async () => {
    const original = fixture();
    provision(original, 'SO', 1, 2);
    const backup = fixture({ cloneOf: original });
    const clone = fixture({ cloneOf: original });
    provision(original, 'SO', 3, 4);
    provision(clone, 'SC', 3, 5);
    const credentials = await joined(original);
    await withCredentials(backup, credentials);
    await withCredentials(clone, credentials);

    const own = await runCliAsync(['depot', 'status', '--db', original.records.databasePath]);
    expect(own.stdout).toContain("Depot's copy: this station's own journal");
    expect(own.status).toBe(0);
    const diverged = await runCliAsync(['depot', 'status', '--db', clone.records.databasePath]);
    expect(diverged.stdout).toMatch(/^DEPOT_CHAIN_DIVERGED: the depot holds another record 4 for this station/m);
    expect(diverged.status).toBe(1);
    const ahead = await runCliAsync(['depot', 'status', '--db', backup.records.databasePath, '--json']);
    expect(JSON.parse(ahead.stdout)).toMatchObject({
      refusal: null,
      depot: { reachable: true, copyProblem: { code: 'DEPOT_AHEAD_OF_STATION', stream: 'records', depotHead: 4, stationHead: 2 } },
    });
    expect(ahead.status).toBe(1);
    // A status only reads: the sync has not stopped, and the depot holds what it held.
    for (const station of [clone, backup]) expect(await readRefusal(station.records.databasePath)).toBeNull();
    expect(await depotHashes(credentials.station)).toEqual(localHashes(original));
  }, 120_000);

  it('a depot behind the station (rows lost, or restored to an older point): the station sends them again from where the depot is', async () => {
    const station = fixture();
    provision(station, 'BH', 1, 5);
    const credentials = await joined(station);
    const events = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM depot.step_events WHERE station = $1', [credentials.station]);
    // As a restore to an older point would: records 3 to 5, the last handsets' step events and the
    // newer signed heads gone (the append-only triggers and foreign keys set aside for the superuser).
    await admin.query('BEGIN');
    await admin.query('SET LOCAL session_replication_role = replica');
    await admin.query('DELETE FROM depot.signed_heads WHERE station = $1 AND head_seq > 2', [credentials.station]);
    await admin.query('DELETE FROM depot.records WHERE station = $1 AND seq > 2', [credentials.station]);
    const lost = await admin.query('DELETE FROM depot.step_events WHERE station = $1 AND id > $2', [credentials.station, events.rows[0]!.n - 7]);
    await admin.query('COMMIT');
    expect(lost.rowCount).toBe(7);

    const sync = createDepotSync({ databasePath: station.records.databasePath, credentials, settings: FAST });
    cleanups.push(() => sync.stop());
    const pushed = await sync.drain();
    expect(pushed).toMatchObject({ records: 3, step_events: 7 });
    expect(await depotHashes(credentials.station)).toEqual(localHashes(station));
    const heads = await admin.query<{ seq: string }>('SELECT max(head_seq) AS seq FROM depot.signed_heads WHERE station = $1', [credentials.station]);
    expect(Number(heads.rows[0]?.seq)).toBe(5);
    expect(await readRefusal(station.records.databasePath)).toBeNull();
  }, 120_000);
});
