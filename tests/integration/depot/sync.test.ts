// A station's journal reaching a real PostgreSQL depot: joining uploads what the station already
// holds, a record edited in the station's SQLite is refused at ingest (and nothing is lost locally),
// a re-push after a lost acknowledgement changes nothing, and a depot stopped in the middle of a
// sync leaves provisioning running; after its restart the backlog drains with no gap and no duplicate.
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCredentialsFile } from '../../../src/main/depot/connection.ts';
import { REFUSAL_CODES } from '../../../src/main/depot/migrations.ts';
import { connectStation } from '../../../src/main/depot/station-client.ts';
import { DEPOT_CREDENTIALS_FILE, joinDepot, readRefusal } from '../../../src/main/depot/station-depot.ts';
import { openStationSource } from '../../../src/main/depot/station-source.ts';
import { createDepotSync, type DepotSync } from '../../../src/main/depot/sync.ts';
import type { DepotCredentials, DepotSyncState } from '../../../src/shared/depot.ts';
import { createStationFixture, type StationFixture } from '../records/fixture.ts';
import { createDepot, POSTGRES_MISSING, postgresPerFile, registerStation, until } from './fixture.ts';

let depot: Awaited<ReturnType<typeof createDepot>>;
let admin: pg.Client;
const { server: pgServer, cleanups } = postgresPerFile();

beforeAll(async () => {
  if (POSTGRES_MISSING) return;
  depot = await createDepot(pgServer());
  admin = new pg.Client(depot.admin);
  admin.on('error', () => undefined);
  await admin.connect();
}, 120_000);

afterAll(async () => {
  await admin?.end().catch(() => undefined);
});

/** A station with `handsets` provisioned, registered at the depot, its credentials file written. */
async function stationInDepot(handsets: number): Promise<{ station: StationFixture; credentials: DepotCredentials; credentialsPath: string }> {
  const station = createStationFixture();
  cleanups.push(() => station.cleanup());
  for (let i = 1; i <= handsets; i += 1) station.provision({ serial: `SN${String(i).padStart(5, '0')}`, imei: null });
  const credentials = await registerStation(pgServer(), depot, station.records.identity.fingerprint);
  const credentialsPath = join(station.dir, 'handed-over.json');
  await writeCredentialsFile(credentialsPath, credentials);
  return { station, credentials, credentialsPath };
}

/** What the depot holds of a station's records, in order. */
async function depotRecords(name: string): Promise<{ seq: number; hash: string }[]> {
  // Reconnect when the depot was restarted under the admin connection.
  const result = await admin.query<{ seq: string; hash: string }>('SELECT seq, hash FROM depot.records WHERE station = $1 ORDER BY seq', [name]).catch(async () => {
    admin = new pg.Client(depot.admin);
    admin.on('error', () => undefined);
    await admin.connect();
    return admin.query<{ seq: string; hash: string }>('SELECT seq, hash FROM depot.records WHERE station = $1 ORDER BY seq', [name]);
  });
  return result.rows.map((row) => ({ seq: Number(row.seq), hash: row.hash }));
}

function localRecords(station: StationFixture): { seq: number; hash: string }[] {
  const db = new DatabaseSync(station.records.databasePath, { readOnly: true });
  try {
    return (db.prepare('SELECT seq, hash FROM provisioning_records ORDER BY seq').all() as { seq: number; hash: string }[]).map((row) => ({ seq: row.seq, hash: row.hash }));
  } finally {
    db.close();
  }
}


describe.skipIf(POSTGRES_MISSING)('syncing a station into a real PostgreSQL depot', () => {
  it("joining uploads the station's batches, authorisations, step events and records; the credentials copy is mode 0600", async () => {
    const { station, credentials, credentialsPath } = await stationInDepot(7);
    const joined = await joinDepot({ databasePath: station.records.databasePath, credentialsPath, stationFingerprint: station.records.identity.fingerprint, settings: { batchSize: 3 } });
    const source = openStationSource(station.records.databasePath);
    cleanups.push(() => source.close());
    expect(joined.pushed).toEqual({
      batches: source.countAfter('batches', 0),
      authorisations: source.countAfter('authorisations', 0),
      step_events: source.countAfter('step_events', 0),
      records: 7,
      asset_tags: 0,
      label_jobs: 0,
      label_outcomes: 0,
    });
    expect(joined.pushed.step_events).toBeGreaterThan(7);
    expect(await depotRecords(credentials.station)).toEqual(localRecords(station));
    const events = await admin.query<{ body: string }>('SELECT body::text AS body FROM depot.step_events WHERE station = $1 ORDER BY id', [credentials.station]);
    expect(events.rows.map((row) => row.body)).toEqual(source.rows('step_events', 0, 1000).map((row) => row.body));
    const copy = join(station.dir, DEPOT_CREDENTIALS_FILE);
    expect(statSync(copy).mode & 0o777).toBe(0o600);
  });

  it("credentials for another station's key are refused before anything is sent", async () => {
    const { credentialsPath } = await stationInDepot(1);
    const other = createStationFixture();
    cleanups.push(() => other.cleanup());
    await expect(
      joinDepot({ databasePath: other.records.databasePath, credentialsPath, stationFingerprint: other.records.identity.fingerprint }),
    ).rejects.toThrow(/these credentials are for station .* this station's key is/);
    expect(existsSync(join(other.dir, DEPOT_CREDENTIALS_FILE))).toBe(false);
  });

  it("a record edited in the station's SQLite is refused at ingest: the sync stops, says why, and nothing is lost locally", async () => {
    const { station, credentials, credentialsPath } = await stationInDepot(4);
    const db = new DatabaseSync(station.records.databasePath);
    db.exec('DROP TRIGGER provisioning_records_no_update');
    db.prepare("UPDATE provisioning_records SET body_json = replace(body_json, '\"locked\":true', '\"locked\":false') WHERE seq = 3").run();
    db.close();
    const before = localRecords(station);
    // One record per call, so the depot keeps the records before the edited one.
    const refused = joinDepot({ databasePath: station.records.databasePath, credentialsPath, stationFingerprint: station.records.identity.fingerprint, settings: { batchSize: 1 } });
    await expect(refused).rejects.toMatchObject({ code: REFUSAL_CODES.hashMismatch });
    await expect(refused).rejects.toThrow(/record 3 of station .* does not match its hash/);
    expect(await depotRecords(credentials.station)).toEqual(before.slice(0, 2));
    expect(localRecords(station)).toEqual(before);
    expect((await readRefusal(station.records.databasePath))?.reason).toMatch(/does not match its hash/);
  });

  it('a re-push of acknowledged rows after a lost acknowledgement changes nothing', async () => {
    const { station, credentials, credentialsPath } = await stationInDepot(5);
    await joinDepot({ databasePath: station.records.databasePath, credentialsPath, stationFingerprint: station.records.identity.fingerprint });
    const source = openStationSource(station.records.databasePath);
    const client = await connectStation(credentials, 10_000);
    cleanups.push(() => source.close(), () => client.close());
    // The station never heard the acknowledgements: it sends everything again.
    expect(await client.ingestRecords(source.records(0, 100))).toBe(5);
    expect(await client.ingestRows('step_events', source.rows('step_events', 0, 1000))).toBe(source.countAfter('step_events', 0));
    expect(await client.ingestRows('batches', source.rows('batches', 0, 100))).toBe(1);
    expect(await depotRecords(credentials.station)).toEqual(localRecords(station));
    const events = await admin.query('SELECT count(*)::int AS n FROM depot.step_events WHERE station = $1', [credentials.station]);
    expect(events.rows[0]?.n).toBe(source.countAfter('step_events', 0));
    // A fresh worker resumes from what the depot holds and has nothing to send.
    const sync = createDepotSync({ databasePath: station.records.databasePath, credentials });
    cleanups.push(() => sync.stop());
    expect(await sync.drain()).toEqual({ batches: 0, authorisations: 0, step_events: 0, records: 0, asset_tags: 0, label_jobs: 0, label_outcomes: 0 });
  });

  it.each(['fast', 'immediate'] as const)('the depot stopped mid-sync (pg_ctl stop -m %s): provisioning goes on offline, then the backlog drains after the restart, no gap and no duplicate', async (mode) => {
    const { station, credentials } = await stationInDepot(30);
    const states: DepotSyncState[] = [];
    let stoppedAt = -1;
    let sync: DepotSync | null = null;
    sync = createDepotSync({
      databasePath: station.records.databasePath,
      credentials,
      settings: { batchSize: 5, pollMs: 20, backoffMinMs: 20, backoffMaxMs: 200, timeoutMs: 5_000 },
      onState: (state) => {
        states.push(state);
        const acknowledged = sync?.heads()?.records ?? 0;
        // Stop the depot once the first records are in and more are still to come.
        if (stoppedAt < 0 && acknowledged >= 5 && acknowledged < 30) {
          stoppedAt = acknowledged;
          pgServer().stop(mode);
        }
      },
    });
    cleanups.push(() => sync.stop());
    sync.start();
    await until(() => sync.state().kind === 'offline', 'the sync to find the depot gone');
    expect(stoppedAt).toBeGreaterThanOrEqual(5);
    // Provisioning never waits for the depot: ten more handsets while it is down.
    for (let i = 31; i <= 40; i += 1) station.provision({ serial: `SN${String(i).padStart(5, '0')}`, imei: null });
    // Each reconnection attempt counts the backlog again, the new records included.
    await until(() => {
      const offline = sync.state();
      return offline.kind === 'offline' && offline.backlog >= 40 - stoppedAt;
    }, 'the offline state to count the new records');
    pgServer().start();
    await until(() => sync.state().kind === 'connected' && sync.heads()?.records === 40, 'the backlog to drain');
    const held = await depotRecords(credentials.station);
    expect(held).toEqual(localRecords(station));
    expect(held.map((record) => record.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const final = sync.state();
    expect(final.kind === 'connected' && final.backlog).toBe(0);
    expect(states.some((state) => state.kind === 'refused')).toBe(false);
  }, 120_000);

  it('three stations provisioning at once into one depot: each chain arrives whole, none mixed with another', async () => {
    const stations = await Promise.all([1, 2, 3].map(() => stationInDepot(0)));
    const syncs = stations.map(({ station, credentials }) =>
      createDepotSync({ databasePath: station.records.databasePath, credentials, settings: { batchSize: 4, pollMs: 10, backoffMinMs: 20, backoffMaxMs: 200 } }),
    );
    cleanups.push(...syncs.map((sync) => () => sync.stop()));
    for (const sync of syncs) sync.start();
    // The three stations take turns committing while their workers push.
    for (let i = 1; i <= 15; i += 1) {
      for (const [index, { station }] of stations.entries()) station.provision({ serial: `M${index}-${String(i).padStart(4, '0')}`, imei: null });
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => syncs.every((sync) => sync.heads()?.records === 15 && sync.state().kind === 'connected'), 'the three stations to drain');
    for (const { station, credentials } of stations) expect(await depotRecords(credentials.station)).toEqual(localRecords(station));
    const total = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM depot.records WHERE station = ANY($1)', [stations.map(({ credentials }) => credentials.station)]);
    expect(total.rows[0]?.n).toBe(45);
  }, 120_000);
});
