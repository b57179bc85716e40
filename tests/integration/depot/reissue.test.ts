// `lockstep depot reissue-station`: a registered station gets a new password in a new credentials file;
// the old credentials stop logging in and a session already in is ended (a syncing station stops,
// refused), the re-issue is journaled with who made it, and the station joins again with the new file,
// which replaces its copy, and syncs on.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reissueStation } from '../../../src/main/depot/admin.ts';
import { readCredentialsFile, writeCredentialsFile } from '../../../src/main/depot/connection.ts';
import { REFUSAL_CODES } from '../../../src/main/depot/migrations.ts';
import { DEPOT_CREDENTIALS_FILE, joinDepot, openStationSync, readRefusal } from '../../../src/main/depot/station-depot.ts';
import type { DepotCredentials } from '../../../src/shared/depot.ts';
import { runCliAsync } from '../../lockstep-cli.ts';
import { createStationFixture, type StationFixture } from '../records/fixture.ts';
import { connectAsStation, createDepot, POSTGRES_MISSING, postgresPerFile, refusal, registerStation, until } from './fixture.ts';

let depot: Awaited<ReturnType<typeof createDepot>>;
let admin: pg.Client;
let url = '';
const { server: pgServer, cleanups } = postgresPerFile();

beforeAll(async () => {
  if (POSTGRES_MISSING) return;
  depot = await createDepot(pgServer());
  url = pgServer().url(depot.database);
  process.env.PGPASSWORD = pgServer().adminPassword;
  admin = new pg.Client(depot.admin);
  await admin.connect();
}, 120_000);

afterAll(async () => {
  delete process.env.PGPASSWORD;
  await admin?.end().catch(() => undefined);
});

const FAST = { pollMs: 20, backoffMinMs: 20, backoffMaxMs: 200, timeoutMs: 5_000 };

async function joinedStation(): Promise<{ station: StationFixture; credentials: DepotCredentials }> {
  const station = createStationFixture();
  cleanups.push(() => station.cleanup());
  station.provision({ serial: 'RI00001', imei: null });
  const credentials = await registerStation(pgServer(), depot, station.records.identity.fingerprint);
  const credentialsPath = join(station.dir, 'handed-over.json');
  await writeCredentialsFile(credentialsPath, credentials);
  await joinDepot({ databasePath: station.records.databasePath, credentialsPath, stationFingerprint: station.records.identity.fingerprint, settings: FAST });
  return { station, credentials };
}

async function depotRecordCount(name: string): Promise<number> {
  return (await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM depot.records WHERE station = $1', [name])).rows[0]?.n ?? -1;
}

describe.skipIf(POSTGRES_MISSING)('re-issuing a station’s depot credentials', () => {
  it('the old credentials stop working at once, the re-issue is journaled, and the station joins again with the new file and syncs on', async () => {
    const { station, credentials } = await joinedStation();
    const opened = await openStationSync(station.records.databasePath, { settings: FAST });
    if (!opened) throw new Error('the station is in a depot');
    const { sync } = opened;
    let stopped = false;
    cleanups.push(() => (stopped ? undefined : sync.stop()));
    sync.start();
    await until(() => sync.state().kind === 'connected', 'the sync to connect');

    const out = join(station.dir, 'reissued.credentials.json');
    const run = await runCliAsync(['depot', 'reissue-station', credentials.station, '--url', url, '--out', out, '--sslmode', 'disable']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Station ${credentials.station} re-issued \\(role ${credentials.user}\\) by postgres at .*: the old credentials no longer log in; 1 open session\\(s\\) of the old one ended\\.$`, 'm'));
    const reissued = await readCredentialsFile(out);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(reissued).toEqual({ ...credentials, password: reissued.password });
    expect(reissued.password).not.toBe(credentials.password);
    expect(run.stdout).not.toContain(reissued.password);

    // The old password no longer logs in; the syncing station's session was ended, and its reconnection is refused.
    expect((await refusal(connectAsStation(credentials))).code).toBe('28P01');
    await until(() => sync.state().kind === 'refused', 'the running sync to be refused');
    expect((await readRefusal(station.records.databasePath))?.reason).toMatch(/password authentication failed/);
    stopped = true;
    await sync.stop();
    const journal = await admin.query<{ station: string; reissued_by: string }>('SELECT station, reissued_by FROM depot.credential_reissues WHERE station = $1', [credentials.station]);
    expect(journal.rows).toEqual([{ station: credentials.station, reissued_by: 'postgres' }]);

    // Provisioning went on; joining with the new file replaces the station's copy, clears the refusal and pushes the rest.
    station.provision({ serial: 'RI00002', imei: null });
    const joined = await joinDepot({ databasePath: station.records.databasePath, credentialsPath: out, stationFingerprint: station.records.identity.fingerprint, settings: FAST });
    expect(joined.pushed.records).toBe(1);
    expect(await readCredentialsFile(join(station.dir, DEPOT_CREDENTIALS_FILE))).toEqual(reissued);
    expect(statSync(join(station.dir, DEPOT_CREDENTIALS_FILE)).mode & 0o777).toBe(0o600);
    expect(await readRefusal(station.records.databasePath)).toBeNull();
    expect(await depotRecordCount(credentials.station)).toBe(2);
    const json = JSON.parse(readFileSync(join(station.dir, DEPOT_CREDENTIALS_FILE), 'utf8')) as DepotCredentials;
    expect(json.password).toBe(reissued.password);
  }, 120_000);

  it('an unknown station is refused; a station’s role can neither re-issue nor write the journal', async () => {
    const { credentials } = await joinedStation();
    await expect(reissueStation(depot.admin, { name: 'nosuchstation', host: '127.0.0.1', port: pgServer().port, database: depot.database, tls: { mode: 'disable' } })).rejects.toMatchObject({
      code: REFUSAL_CODES.unknownStation,
    });
    const client = await connectAsStation(credentials);
    // The re-issue below ends this session: PostgreSQL says so on the idle connection.
    client.on('error', () => undefined);
    cleanups.push(() => client.end().catch(() => undefined));
    expect((await refusal(client.query("SELECT depot.reissue_station($1, 'SCRAM-SHA-256$x')", [credentials.station]))).code).toBe('42501');
    expect((await refusal(client.query('INSERT INTO depot.credential_reissues (station) VALUES ($1)', [credentials.station]))).code).toBe('42501');
    // The administrator cannot rewrite the journal either: it is append-only.
    await reissueStation(depot.admin, { name: credentials.station, host: '127.0.0.1', port: pgServer().port, database: depot.database, tls: { mode: 'disable' } });
    await expect(client.query('SELECT 1')).rejects.toThrow();
    const admin2 = new pg.Client(depot.admin);
    await admin2.connect();
    cleanups.push(() => admin2.end());
    expect((await refusal(admin2.query('DELETE FROM depot.credential_reissues WHERE station = $1', [credentials.station]))).message).toMatch(/append-only|refuse|not/i);
  }, 120_000);
});
