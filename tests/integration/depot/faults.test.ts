// The sync under the faults a depot's network and machines really have, against a real PostgreSQL:
// a station process SIGKILLed in the middle of its sync, then started again; a TCP proxy dropping
// the connection at random points of the conversation (seeded, several runs); PostgreSQL killed
// (`pg_ctl stop -m immediate`) during the bulk upload of a large backlog. Each time, once the sync
// has converged, the depot's chain is the station's, with no gap, no duplicate and no refusal.
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCredentialsFile } from '../../../src/main/depot/connection.ts';
import { readRefusal } from '../../../src/main/depot/station-depot.ts';
import { createDepotSync, type DepotSync } from '../../../src/main/depot/sync.ts';
import { DEPOT_STREAMS, type DepotCredentials, type DepotStream, type DepotSyncState } from '../../../src/shared/depot.ts';
import { runCliAsync, spawnCli } from '../../lockstep-cli.ts';
import { startDropProxy } from '../../support/drop-proxy.ts';
import { createStationFixture, recordFor, type StationFixture } from '../records/fixture.ts';
import { createDepot, POSTGRES_MISSING, postgresPerFile, registerStation } from './fixture.ts';

let depot: Awaited<ReturnType<typeof createDepot>>;
let admin: pg.Client | null = null;
const { server: pgServer, cleanups } = postgresPerFile();

beforeAll(async () => {
  if (POSTGRES_MISSING) return;
  depot = await createDepot(pgServer());
}, 120_000);

afterAll(async () => {
  await admin?.end().catch(() => undefined);
});

/** The administrator's connection, opened again when the depot was restarted under it. */
async function adminQuery<T extends pg.QueryResultRow>(sql: string, values: unknown[]): Promise<T[]> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      if (!admin) {
        const fresh = new pg.Client(depot.admin);
        fresh.on('error', () => undefined);
        await fresh.connect();
        admin = fresh;
      }
      return (await admin.query<T>(sql, values)).rows;
    } catch (error) {
      await admin?.end().catch(() => undefined);
      admin = null;
      if (attempt === 3) throw error;
    }
  }
}

/** A registered station whose journal holds `handsets` handsets with every stream (fixture.provision). */
async function stationInDepot(handsets: number): Promise<{ station: StationFixture; credentials: DepotCredentials }> {
  const station = createStationFixture({ deviceCap: Math.max(500, handsets) });
  cleanups.push(() => station.cleanup());
  for (let i = 1; i <= handsets; i += 1) station.provision({ serial: `SN${String(i).padStart(5, '0')}`, imei: null });
  return { station, credentials: await registerStation(pgServer(), depot, station.records.identity.fingerprint) };
}

/** A large backlog quickly: `count` records, each committed as the pipeline commits one (no step events). */
function addRecords(station: StationFixture, count: number, prefix: string): void {
  for (let n = 1; n <= count; n += 1) {
    const device = station.records.registerDevice({ batchId: station.batchId, serial: `${prefix}${String(n).padStart(6, '0')}`, identity: { product: 'lockstep-ref' } });
    station.records.commitProvisioningRecord(recordFor(device.id));
  }
}

function localRows(station: StationFixture): { records: { seq: number; hash: string }[]; events: number[] } {
  const db = new DatabaseSync(station.records.databasePath, { readOnly: true });
  try {
    const records = (db.prepare('SELECT seq, hash FROM provisioning_records ORDER BY seq').all() as { seq: number; hash: string }[]).map((row) => ({ seq: row.seq, hash: row.hash }));
    const events = (db.prepare('SELECT id FROM step_events ORDER BY id').all() as { id: number }[]).map((row) => row.id);
    return { records, events };
  } finally {
    db.close();
  }
}

/** What the depot holds of a station: its chain in order, and the ids of its step events. */
async function depotRows(name: string): Promise<{ records: { seq: number; hash: string }[]; events: number[] }> {
  const records = await adminQuery<{ seq: string; hash: string }>('SELECT seq, hash FROM depot.records WHERE station = $1 ORDER BY seq', [name]);
  const events = await adminQuery<{ id: string }>('SELECT id FROM depot.step_events WHERE station = $1 ORDER BY id', [name]);
  return { records: records.map((row) => ({ seq: Number(row.seq), hash: row.hash })), events: events.map((row) => Number(row.id)) };
}

async function depotRecordCount(name: string): Promise<number> {
  return (await adminQuery<{ n: number }>('SELECT count(*)::int AS n FROM depot.records WHERE station = $1', [name]))[0]?.n ?? 0;
}

/** The depot holds exactly the station's journal: the same chain, seq 1…N, and every step event once. */
async function expectSameJournal(station: StationFixture, name: string): Promise<void> {
  const local = localRows(station);
  const held = await depotRows(name);
  expect(held.records.length).toBe(local.records.length);
  expect(held.records.map((record) => record.seq)).toEqual(local.records.map((_, i) => i + 1));
  expect(held.records).toEqual(local.records);
  expect(held.events).toEqual(local.events);
}

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Runs `lockstep ARGS` and SIGKILLs it on the first `depot: connected, backlog N` line with
 * 0 < N: the depot has acknowledged a batch and the next is on its way. Resolves with the backlog
 * it was killed at, or null when the process ended before that.
 */
function killMidSync(args: string[]): Promise<{ killedAtBacklog: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, ['ignore', 'ignore', 'pipe']);
    let stderr = '';
    let killedAtBacklog: number | null = null;
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
      const backlog = /depot: connected, backlog (\d+)/.exec(stderr);
      if (killedAtBacklog === null && backlog && Number(backlog[1]) > 0) {
        killedAtBacklog = Number(backlog[1]);
        child.kill('SIGKILL');
      }
    });
    child.once('error', reject);
    child.once('close', (_status, signal) => {
      if (killedAtBacklog !== null && signal !== 'SIGKILL') reject(new Error(`lockstep ${args.join(' ')} ended before the kill landed: ${stderr}`));
      else resolve({ killedAtBacklog, stderr });
    });
  });
}

describe.skipIf(POSTGRES_MISSING)('the sync under faults, against a real PostgreSQL', () => {
  it('a station process SIGKILLed during its join upload and again during `depot sync`, then restarted: no gap, no duplicate, the same chain', async () => {
    const { station, credentials } = await stationInDepot(20);
    addRecords(station, 2_000, 'KJ');
    const credentialsPath = join(station.dir, 'handed-over.json');
    await writeCredentialsFile(credentialsPath, credentials);
    const db = station.records.databasePath;

    // Killed in the middle of the upload `join` starts.
    const joinRun = spawnCli(['depot', 'join', '--db', db, '--credentials', credentialsPath], ['ignore', 'ignore', 'pipe']);
    await until(async () => (await depotRecordCount(credentials.station)) > 0, 'the join upload to reach the records');
    joinRun.kill('SIGKILL');
    await new Promise((resolve) => joinRun.once('close', resolve));
    const afterJoinKill = await depotRecordCount(credentials.station);
    expect(afterJoinKill).toBeGreaterThan(0);
    expect(afterJoinKill).toBeLessThan(2_020);

    // More work while no sync runs, then `depot sync` killed after its first acknowledged batch.
    addRecords(station, 1_000, 'KS');
    const total = localRows(station).records.length;
    const killed = await killMidSync(['depot', 'sync', '--db', db]);
    expect(killed.killedAtBacklog).not.toBeNull();
    expect(killed.stderr).not.toMatch(/refused/);
    const afterSyncKill = await depotRecordCount(credentials.station);
    expect(afterSyncKill).toBeGreaterThan(afterJoinKill);
    expect(afterSyncKill).toBeLessThan(total);

    // Started again, it resumes from what the depot acknowledged and finishes.
    const resumed = await runCliAsync(['depot', 'sync', '--db', db, '--once']);
    expect(resumed.status).toBe(0);
    expect(resumed.stderr).not.toMatch(/refused|offline/);
    expect(resumed.stdout).toMatch(/^Pushed /);
    await expectSameJournal(station, credentials.station);
    expect(await readRefusal(db)).toBeNull();
    const status = await runCliAsync(['depot', 'status', '--db', db, '--json']);
    expect(status.status).toBe(0);
    const backlog = (JSON.parse(status.stdout) as { backlog: Record<DepotStream, number> }).backlog;
    expect(DEPOT_STREAMS.map((stream) => backlog[stream])).toEqual(DEPOT_STREAMS.map(() => 0));
  }, 300_000);

  it.each([1, 2, 3])('a proxy dropping the connection at random points (seed %i): the sync converges, every row held exactly once, nothing refused', async (seed) => {
    const { station, credentials } = await stationInDepot(60);
    const proxy = await startDropProxy({ target: { host: pgServer().host, port: pgServer().port }, seed, upstreamBytes: 40_000, downstreamBytes: 3_000 });
    cleanups.push(() => proxy.close());
    const states: DepotSyncState[] = [];
    const sync: DepotSync = createDepotSync({
      databasePath: station.records.databasePath,
      credentials: { ...credentials, port: proxy.port },
      settings: { batchSize: 5, pollMs: 20, backoffMinMs: 10, backoffMaxMs: 50, timeoutMs: 10_000 },
      onState: (state) => states.push(state),
    });
    cleanups.push(() => sync.stop());
    sync.start();
    // Provisioning goes on while the connection keeps breaking.
    for (let i = 61; i <= 90; i += 1) {
      station.provision({ serial: `SN${String(i).padStart(5, '0')}`, imei: null });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await until(() => {
      const state = sync.state();
      return state.kind === 'refused' || (state.kind === 'connected' && state.backlog === 0 && sync.heads()?.records === 90);
    }, 'the sync to converge through the dropping proxy');
    expect(states.filter((state) => state.kind === 'refused')).toEqual([]);
    expect(proxy.cuts().length).toBeGreaterThan(5);
    expect(new Set(proxy.cuts().map((cut) => cut.direction)).size).toBe(2);
    expect(states.some((state) => state.kind === 'offline')).toBe(true);
    await expectSameJournal(station, credentials.station);
    const batches = await adminQuery<{ n: number }>('SELECT count(*)::int AS n FROM depot.batches WHERE station = $1', [credentials.station]);
    expect(batches[0]?.n).toBe(1);
  }, 180_000);

  it('PostgreSQL killed (pg_ctl stop -m immediate) during the bulk upload of a 5,000-record backlog: the upload resumes after the restart, no gap, no duplicate', async () => {
    const { station, credentials } = await stationInDepot(0);
    addRecords(station, 5_000, 'BK');
    let killedAt = -1;
    const states: DepotSyncState[] = [];
    const sync: DepotSync = createDepotSync({
      databasePath: station.records.databasePath,
      credentials,
      settings: { pollMs: 20, backoffMinMs: 20, backoffMaxMs: 200, timeoutMs: 10_000 },
      onState: (state) => {
        states.push(state);
        const held = sync.heads()?.records ?? 0;
        // The crash lands while the next batch of the upload is on its way.
        if (killedAt < 0 && held >= 1_000 && held < 5_000) {
          killedAt = held;
          pgServer().stop('immediate');
        }
      },
    });
    cleanups.push(() => sync.stop());
    sync.start();
    await until(() => sync.state().kind === 'offline', 'the sync to find the depot gone');
    expect(killedAt).toBeGreaterThanOrEqual(1_000);
    expect(killedAt).toBeLessThan(5_000);
    pgServer().start();
    await until(() => sync.state().kind === 'connected' && sync.heads()?.records === 5_000, 'the backlog to drain after the restart');
    expect(states.filter((state) => state.kind === 'refused')).toEqual([]);
    await expectSameJournal(station, credentials.station);
  }, 300_000);
});
