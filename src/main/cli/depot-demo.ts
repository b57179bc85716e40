// `lockstep depot demo`: a depot to look at in one command. A PostgreSQL of the system's own binaries
// in a temporary folder, a depot schema in it, three demo stations registered and joined, each
// provisioning a simulated batch at the same time with `lockstep provision` (which starts its depot
// sync); the third reaches the depot through a relay that is cut for the first part of its batch.
// Then every station's backlog drains, and the demo prints the depot status and verifies the depot
// export. Everything is removed at the end.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DEPOT_STREAMS } from '../../shared/depot.ts';
import { describeFailure } from '../../shared/describe-failure.ts';
import { addStation, depotOverview, initDepot } from '../depot/admin.ts';
import { writeCredentialsFile } from '../depot/connection.ts';
import { startCutoffProxy, type CutoffProxy } from '../depot/cutoff-proxy.ts';
import { exportDepot } from '../depot/export.ts';
import { postgresUnavailable, POSTGRES_BIN, startPostgres, type PostgresServer } from '../depot/local-postgres.ts';
import { joinDepot, joinedCredentials } from '../depot/station-depot.ts';
import { createDepotSync } from '../depot/sync.ts';
import { openStationRecords } from '../records/station-records.ts';
import { verifyDepotExport } from '../records/verify-depot-export.ts';
import { ensureDemoOperators } from '../station/demo-station.ts';
import { intactDepotExportText, overviewTable } from './depot-state.ts';
import { CliError, type CliIo } from './io.ts';

const CLI = fileURLToPath(new URL('../../../bin/lockstep.js', import.meta.url));
const DATABASE = 'depot';
const STATIONS = ['bench1', 'bench2', 'bench3'] as const;
/** The station cut off the depot for the first part of its batch. */
const CUT_OFF = 'bench3';

export interface DepotDemoOptions {
  /** Handsets each station provisions. */
  readonly handsets: number;
  /** Keep the temporary folder (the stations' data and the export) instead of removing it. */
  readonly keep: boolean;
}

interface DemoStation {
  readonly name: string;
  readonly dir: string;
  readonly databasePath: string;
}

/** The phase a JSON line of `lockstep provision --json` reports for a handset, if it is one. */
function phaseOf(line: string): unknown {
  try {
    return (JSON.parse(line) as { phase?: unknown } | null)?.phase;
  } catch {
    return undefined;
  }
}

/** Runs `lockstep provision` for one station, its lines prefixed with its name; resolves with its exit status. */
function provision(station: DemoStation, handsets: number, io: CliIo, onProvisioned: (count: number) => void): Promise<number> {
  const child = spawn(process.execPath, [CLI, 'provision', '--sim', String(handsets), '--db', station.databasePath, '--data', station.dir, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let provisioned = 0;
  // Standard error carries the sentences for people, the depot's state among them.
  createInterface({ input: child.stderr }).on('line', (line) => io.out(`[${station.name}] ${line}\n`));
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (phaseOf(line) === 'provisioned') onProvisioned((provisioned += 1));
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve(status ?? 1));
  });
}

/** A demo station: a records database with the demo operators, registered at the depot and joined to it. */
async function joinStation(server: PostgresServer, root: string, name: string, port: number): Promise<DemoStation> {
  const dir = join(root, name);
  const records = openStationRecords(dir);
  ensureDemoOperators(records);
  const { databasePath, identity } = records;
  records.close();
  // On loopback only, so without TLS; a real depot's stations use verify-full (docs/depot.md).
  const credentials = await addStation(server.adminConfig(DATABASE), {
    name,
    keyFingerprint: identity.fingerprint,
    host: '127.0.0.1',
    port,
    database: DATABASE,
    tls: { mode: 'disable' },
  });
  const credentialsPath = join(dir, 'handed-over.json');
  await writeCredentialsFile(credentialsPath, credentials);
  await joinDepot({ databasePath, credentialsPath, stationFingerprint: identity.fingerprint });
  return { name, dir, databasePath };
}

export async function runDepotDemo(options: DepotDemoOptions, io: CliIo): Promise<number> {
  const unavailable = postgresUnavailable();
  if (unavailable) throw new CliError(`the demo needs a local PostgreSQL and cannot start one: ${unavailable}.`);
  const root = mkdtempSync(join(tmpdir(), 'lockstep-depot-demo-'));
  let server: PostgresServer | null = null;
  let proxy: CutoffProxy | null = null;
  try {
    io.out(`Starting PostgreSQL (${POSTGRES_BIN}) in ${root} …\n`);
    server = await startPostgres();
    server.createDatabase(DATABASE);
    const admin = server.adminConfig(DATABASE);
    await initDepot(admin);
    io.out(`Depot ready: ${server.url(DATABASE)}\n`);
    proxy = await startCutoffProxy({ host: server.host, port: server.port });
    const stations: DemoStation[] = [];
    for (const name of STATIONS) {
      stations.push(await joinStation(server, root, name, name === CUT_OFF ? proxy.port : server.port));
      io.out(`Station ${name} registered and joined${name === CUT_OFF ? ' (through a relay the demo can cut)' : ''}.\n`);
    }

    const half = Math.ceil(options.handsets / 2);
    proxy.cut();
    io.out(`Cutting ${CUT_OFF} off the depot until it has provisioned ${half} of its ${options.handsets} handsets; the three stations start their batches now.\n`);
    const cut = proxy;
    const statuses = await Promise.all(
      stations.map((station) =>
        provision(station, options.handsets, io, (count) => {
          if (station.name !== CUT_OFF || count !== half) return;
          cut.restore();
          io.out(`[demo] ${CUT_OFF} is connected to the depot again.\n`);
        }),
      ),
    );
    proxy.restore();
    const failedRuns = stations.filter((_, index) => statuses[index] !== 0).map((station) => station.name);
    if (failedRuns.length > 0) io.out(`[demo] lockstep provision failed on ${failedRuns.join(', ')}.\n`);

    // What a station's link had not pushed by the end of its run goes now, as `lockstep depot sync --once` would send it.
    for (const station of stations) {
      const credentials = await joinedCredentials(station.databasePath);
      if (!credentials) continue;
      const sync = createDepotSync({ databasePath: station.databasePath, credentials });
      try {
        const pushed = await sync.drain();
        const total = DEPOT_STREAMS.reduce((sum, stream) => sum + pushed[stream], 0);
        io.out(`${station.name}: ${total === 0 ? 'nothing left to push' : `pushed the rest: ${pushed.records} records and ${total - pushed.records} other rows`}.\n`);
      } finally {
        await sync.stop();
      }
    }

    io.out('\nDepot status:\n');
    io.out(overviewTable(await depotOverview(admin)));
    const exportPath = join(root, 'depot-export.jsonl');
    const exported = await exportDepot(admin, { from: null, to: null, station: null }, exportPath);
    io.out(`\nExported ${exported.records} records of ${exported.stations} stations; verifying the export offline:\n`);
    const verdict = await verifyDepotExport(exportPath);
    io.out(verdict.intact ? intactDepotExportText(verdict) : `NOT INTACT (${verdict.problem}): ${verdict.message}\n`);
    const complete = verdict.intact && verdict.stations.every((station) => station.records === options.handsets);
    if (!complete && verdict.intact) io.out(`[demo] not every station's ${options.handsets} records reached the depot.\n`);
    return failedRuns.length === 0 && complete ? 0 : 1;
  } catch (error) {
    throw new CliError(`the depot demo stopped: ${describeFailure(error)}`);
  } finally {
    await proxy?.close();
    server?.destroy();
    if (options.keep) io.out(`\nKept ${root}: the stations' data and the depot export (PostgreSQL and its data are removed).\n`);
    else rmSync(root, { recursive: true, force: true });
  }
}
