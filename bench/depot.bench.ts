// Depot benchmark (`npm run bench -- depot`), against a throwaway PostgreSQL from the system's
// binaries (src/main/depot/local-postgres.ts, as `lockstep depot demo`), no TLS, on loopback:
//  - ingest: 4 stations, each with a backlog of STATION_RECORDS provisioning records, drained by
//    their sync workers at once (createDepotSync().drain(): hello, the first tag lease, the records in
//    batches of 500 through depot.ingest_records, which checks each link and recomputes each hash);
//    records per second over the 4 (target ≥ 2,000/s);
//  - drain: one station's backlog of DRAIN_RECORDS records, pushed by one sync worker;
//  - tag lease: depot.lease_tags round trips (a block of 200 numbers each), median of LEASES.
// References measured in the same run, on the same server: the same records (the same bytes, the
// same batches of 500, the same 4 connections at once) inserted by the administrator with one bare
// INSERT … SELECT unnest(…) per batch into a plain table with no checks, which is what PostgreSQL
// takes at the least for those rows; and a `SELECT 1` round trip. The backlogs hold records only
// (registerDevice + commitProvisioningRecord, as the pipeline commits them): the records are the
// stream the depot checks hardest. Stations and PostgreSQL share this machine (and its cores) with
// whatever else runs on it: read the figures with the load in mind.
import { loadavg } from 'node:os';
import pg from 'pg';
import { addStation, initDepot } from '../src/main/depot/admin.ts';
import { startPostgres, type PostgresServer } from '../src/main/depot/local-postgres.ts';
import { connectStation } from '../src/main/depot/station-client.ts';
import { openStationSource } from '../src/main/depot/station-source.ts';
import { createDepotSync } from '../src/main/depot/sync.ts';
import { createStationFixture, recordFor, type StationFixture } from '../tests/integration/records/fixture.ts';

const STATIONS = 4;
const STATION_RECORDS = 2_500;
const DRAIN_RECORDS = 10_000;
const BATCH = 500;
const LEASES = 200;
const TARGET_PER_S = 2_000;
const DATABASE = 'depot_bench';

const out = (line: string): void => void process.stdout.write(`${line}\n`);
/** One figure: what was measured, its time (ms, with `digits` decimals) and what follows. */
const figure = (name: string, ms: number, digits: number, extra: string): void => out(`${name.padEnd(78)} ${ms.toFixed(digits).padStart(7)} ms  ${extra}`);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** A station whose journal holds `count` records, registered at the depot; its credentials. */
async function stationWithBacklog(server: PostgresServer, name: string, count: number) {
  const station: StationFixture = createStationFixture({ deviceCap: count });
  for (let n = 1; n <= count; n += 1) {
    const device = station.records.registerDevice({ batchId: station.batchId, serial: `${name.toUpperCase()}${String(n).padStart(6, '0')}`, identity: { product: 'lockstep-ref' } });
    station.records.commitProvisioningRecord(recordFor(device.id));
  }
  const credentials = await addStation(server.adminConfig(DATABASE), {
    name,
    keyFingerprint: station.records.identity.fingerprint,
    host: server.host,
    port: server.port,
    database: DATABASE,
    tls: { mode: 'disable' },
  });
  return { station, credentials };
}

/** Drains each station's backlog with its own sync worker, all at once; wall time and records pushed. */
async function drainAll(stations: Awaited<ReturnType<typeof stationWithBacklog>>[]): Promise<{ ms: number; records: number }> {
  const syncs = stations.map(({ station, credentials }) => createDepotSync({ databasePath: station.records.databasePath, credentials, settings: { batchSize: BATCH } }));
  try {
    const start = performance.now();
    const counts = await Promise.all(syncs.map((sync) => sync.drain()));
    return { ms: performance.now() - start, records: counts.reduce((sum, pushed) => sum + pushed.records, 0) };
  } finally {
    await Promise.all(syncs.map((sync) => sync.stop()));
  }
}

/** The reference: the same record batches inserted bare (one INSERT … unnest per batch), one connection per station, all at once. */
async function bareInsert(server: PostgresServer, stations: StationFixture[]): Promise<number> {
  const setup = new pg.Client(server.adminConfig(DATABASE));
  await setup.connect();
  await setup.query('CREATE TABLE bench_records (station int, seq bigint, prev_hash text, hash text, body json, PRIMARY KEY (station, seq))');
  await setup.end();
  const start = performance.now();
  await Promise.all(
    stations.map(async (station, index) => {
      const client = new pg.Client(server.adminConfig(DATABASE));
      await client.connect();
      const source = openStationSource(station.records.databasePath);
      try {
        for (let after = 0; ; ) {
          const batch = source.records(after, BATCH);
          const last = batch.at(-1);
          if (!last) break;
          await client.query('INSERT INTO bench_records SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::json[])', [
            index,
            batch.map((record) => record.id),
            batch.map((record) => record.prevHash),
            batch.map((record) => record.hash),
            batch.map((record) => record.body),
          ]);
          after = last.id;
        }
      } finally {
        source.close();
        await client.end();
      }
    }),
  );
  return performance.now() - start;
}

async function roundTrips(run: () => Promise<unknown>, times: number): Promise<number> {
  const ms: number[] = [];
  for (let n = 0; n < times; n += 1) {
    const start = performance.now();
    await run();
    ms.push(performance.now() - start);
  }
  return median(ms);
}

const server = await startPostgres();
const made: StationFixture[] = [];
try {
  server.createDatabase(DATABASE);
  await initDepot(server.adminConfig(DATABASE));
  out(`PostgreSQL on 127.0.0.1:${server.port}; load average ${loadavg().map((n) => n.toFixed(2)).join(' ')} (a shared machine: figures move with it)`);

  const four = [];
  for (let n = 1; n <= STATIONS; n += 1) four.push(await stationWithBacklog(server, `bench${n}`, STATION_RECORDS));
  made.push(...four.map(({ station }) => station));
  const reference = await bareInsert(server, four.map(({ station }) => station));
  const ingest = await drainAll(four);
  const perS = ingest.records / (ingest.ms / 1000);
  figure(`reference: bare INSERT of the same ${STATIONS} × ${STATION_RECORDS} records, ${STATIONS} connections at once`, reference, 0, `${((STATIONS * STATION_RECORDS) / (reference / 1000)).toFixed(0)} records/s`);
  figure(
    `ingest: ${STATIONS} stations syncing at once, ${ingest.records} records`,
    ingest.ms,
    0,
    `${perS.toFixed(0)} records/s  ${(ingest.ms / reference).toFixed(2)}x reference  (target ≥ ${TARGET_PER_S}/s: ${perS >= TARGET_PER_S ? 'met' : 'MISSED'})`,
  );

  const single = await stationWithBacklog(server, 'drain1', DRAIN_RECORDS);
  made.push(single.station);
  const drain = await drainAll([single]);
  figure(`drain: one station's backlog of ${drain.records} records, one sync worker`, drain.ms, 0, `${(drain.records / (drain.ms / 1000)).toFixed(0)} records/s`);

  const client = await connectStation(single.credentials, 15_000);
  const ping = new pg.Client(server.adminConfig(DATABASE));
  await ping.connect();
  try {
    const select = await roundTrips(() => ping.query('SELECT 1'), LEASES);
    const lease = await roundTrips(() => client.leaseTags(), LEASES);
    figure(`reference: SELECT 1 round trip, median of ${LEASES}`, select, 2, '');
    figure(`tag lease: depot.lease_tags round trip (a lease of 200 numbers), median of ${LEASES}`, lease, 2, `${(lease / select).toFixed(1)}x reference`);
  } finally {
    await ping.end();
    await client.close();
  }
} finally {
  for (const station of made) station.cleanup();
  server.destroy();
}
