// Joining the depot from the station window (Settings → Depot), through the station API's trust
// boundary (dispatch) as the window calls it, against a real PostgreSQL: admins only; a credentials
// file for another key, one other users can read, or a depot that refuses are each refused with a
// code the window words; a good file joins (the journal uploaded, the password never answered) and
// the station's depot state, null before, follows to connected without restarting the station.
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../../src/main/api/dispatch.ts';
import { writeCredentialsFile } from '../../../src/main/depot/connection.ts';
import { openStation } from '../../../src/main/station/open-station.ts';
import type { DepotSyncState } from '../../../src/shared/depot.ts';
import { ADMIN, TECHNICIAN } from '../../depot-operators.ts';
import { createStationFixture } from '../records/fixture.ts';
import { createDepot, POSTGRES_MISSING, postgresPerFile, registerStation } from './fixture.ts';

let depot: Awaited<ReturnType<typeof createDepot>>;
const { server: pgServer, cleanups } = postgresPerFile();

beforeAll(async () => {
  if (POSTGRES_MISSING) return;
  depot = await createDepot(pgServer());
}, 120_000);

/** A station data folder holding `handsets` records and the test operators, opened as the window opens it. */
async function openedStation(handsets: number) {
  const fixture = createStationFixture();
  for (let i = 1; i <= handsets; i += 1) fixture.provision({ serial: `SJ${String(i).padStart(4, '0')}`, imei: null });
  const { dir, records } = fixture;
  const fingerprint = records.identity.fingerprint;
  records.close();
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const opened = await openStation({ dataDir: dir, fleet: 'simulated', demo: true, depotSync: { pollMs: 50, backoffMinMs: 20, backoffMaxMs: 200, timeoutMs: 5_000 } });
  cleanups.push(() => opened.close());
  return { dir, fingerprint, station: opened.station };
}

async function until(condition: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.skipIf(POSTGRES_MISSING)('Settings → Depot: joining from the station window', () => {
  it('an admin joins with the credentials file: the journal is uploaded and the depot state follows; others and bad files are refused with codes', async () => {
    const { dir, fingerprint, station } = await openedStation(3);
    const states: DepotSyncState[] = [];
    cleanups.push(station.subscribe('depot.state', (state) => states.push(state)));
    expect(await station['depot.state'](undefined)).toBeNull();

    const credentials = await registerStation(pgServer(), depot, fingerprint);
    const good = join(dir, 'good.credentials.json');
    await writeCredentialsFile(good, credentials);
    const foreign = join(dir, 'foreign.credentials.json');
    await writeCredentialsFile(foreign, await registerStation(pgServer(), depot, otherStationFingerprint()));
    const readable = join(dir, 'readable.credentials.json');
    await writeCredentialsFile(readable, credentials);
    chmodSync(readable, 0o644);

    await station['session.signIn'](TECHNICIAN);
    expect(await dispatch(station, 'depot.join', { credentialsPath: good })).toMatchObject({ ok: false, error: { failure: 'ROLE_NOT_ALLOWED' } });
    await station['session.signOut'](undefined);
    await station['session.signIn'](ADMIN);
    expect(await dispatch(station, 'depot.join', { credentialsPath: foreign })).toMatchObject({
      ok: false,
      error: { failure: 'DEPOT_CREDENTIALS_FOREIGN', params: { station: expect.any(String) }, message: expect.stringMatching(/this station's key is/) },
    });
    expect(await dispatch(station, 'depot.join', { credentialsPath: readable })).toMatchObject({
      ok: false,
      error: { failure: 'DEPOT_CREDENTIALS_INVALID', params: { file: readable }, message: expect.stringMatching(/can be read by other users/) },
    });
    expect(await dispatch(station, 'depot.join', { credentialsPath: join(dir, 'missing.json') })).toMatchObject({ ok: false, error: { failure: 'DEPOT_CREDENTIALS_INVALID' } });
    expect(await station['depot.state'](undefined)).toBeNull();

    const joined = await dispatch(station, 'depot.join', { credentialsPath: good });
    expect(joined).toMatchObject({ ok: true, value: { station: credentials.station, pushed: { records: 3 } } });
    // What the window receives names the station and counts rows; the password stays in the file.
    expect(JSON.stringify(joined)).not.toContain(credentials.password);
    await until(() => states.at(-1)?.kind === 'connected', 'the depot state to follow the join');
    expect(await station['depot.state'](undefined)).toMatchObject({ kind: 'connected', backlog: 0 });
    const admin = new pg.Client(depot.admin);
    await admin.connect();
    try {
      const held = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM depot.records WHERE station = $1', [credentials.station]);
      expect(held.rows[0]?.n).toBe(3);
    } finally {
      await admin.end();
    }
  }, 120_000);

  it('a depot that refuses the station, and one that cannot be reached, are refused with their own codes and the depot words', async () => {
    const { dir, fingerprint, station } = await openedStation(1);
    await station['session.signIn'](ADMIN);
    const credentials = await registerStation(pgServer(), depot, fingerprint);
    const wrongPassword = join(dir, 'wrong-password.credentials.json');
    await writeCredentialsFile(wrongPassword, { ...credentials, password: `${credentials.password}x` });
    expect(await dispatch(station, 'depot.join', { credentialsPath: wrongPassword })).toMatchObject({
      ok: false,
      error: { failure: 'DEPOT_REFUSED', params: { reason: expect.stringMatching(/password authentication failed.*SQLSTATE 28P01/) } },
    });
    const nowhere = join(dir, 'nowhere.credentials.json');
    await writeCredentialsFile(nowhere, { ...credentials, port: await closedPort() });
    expect(await dispatch(station, 'depot.join', { credentialsPath: nowhere })).toMatchObject({
      ok: false,
      error: { failure: 'DEPOT_JOIN_FAILED', params: { reason: expect.stringMatching(/cannot reach the depot/) } },
    });
    expect(await station['depot.state'](undefined)).toBeNull();
  }, 120_000);
});

/** A loopback port nothing listens on any more. */
async function closedPort(): Promise<number> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as AddressInfo;
  await new Promise((resolve) => listener.close(resolve));
  return port;
}

/** The fingerprint of another station's key. */
function otherStationFingerprint(): string {
  const other = createStationFixture();
  const fingerprint = other.records.identity.fingerprint;
  other.cleanup();
  return fingerprint;
}
