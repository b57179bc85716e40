// The sync worker wired into the station: the station core (what the Electron UI drives) and
// `lockstep provision` start it for a station that joined a depot, provision a whole batch while the
// depot is stopped, say "offline" with the backlog meanwhile, and the backlog drains after the restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateDemoBundle } from '../../../src/main/bundle/demo.ts';
import { describeDepotState } from '../../../src/main/cli/depot-state.ts';
import { LiveTable } from '../../../src/main/cli/live-table.ts';
import { writeCredentialsFile } from '../../../src/main/depot/connection.ts';
import { joinDepot } from '../../../src/main/depot/station-depot.ts';
import { openStationRecords } from '../../../src/main/records/station-records.ts';
import { openStation } from '../../../src/main/station/open-station.ts';
import type { DepotSyncState } from '../../../src/shared/depot.ts';
import type { PipelineSnapshot } from '../../../src/shared/pipeline.ts';
import { addDepotOperators, SUPERVISOR, TECHNICIAN } from '../../depot-operators.ts';
import { runCliAsync } from '../../lockstep-cli.ts';
import { createDepot, POSTGRES_MISSING, postgresPerFile, registerStation, until } from './fixture.ts';

let depot: Awaited<ReturnType<typeof createDepot>>;
const { server: pgServer, cleanups } = postgresPerFile();

beforeAll(async () => {
  if (POSTGRES_MISSING) return;
  depot = await createDepot(pgServer());
}, 120_000);

/** A station data folder (with the test operators, or none), registered at the depot and joined to it. */
async function joinedStation(operators: boolean): Promise<{ dir: string; databasePath: string; station: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-link-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const records = openStationRecords(dir);
  if (operators) addDepotOperators(records);
  const { databasePath, identity } = records;
  records.close();
  const credentials = await registerStation(pgServer(), depot, identity.fingerprint);
  const credentialsPath = join(dir, 'handed-over.json');
  await writeCredentialsFile(credentialsPath, credentials);
  await joinDepot({ databasePath, credentialsPath, stationFingerprint: identity.fingerprint });
  return { dir, databasePath, station: credentials.station };
}

function localRecords(databasePath: string): { seq: number; hash: string }[] {
  const db = new DatabaseSync(databasePath, { readOnly: true });
  try {
    return (db.prepare('SELECT seq, hash FROM provisioning_records ORDER BY seq').all() as { seq: number; hash: string }[]).map(({ seq, hash }) => ({ seq, hash }));
  } finally {
    db.close();
  }
}

async function depotRecords(station: string): Promise<{ seq: number; hash: string }[]> {
  const client = new pg.Client(depot.admin);
  await client.connect();
  try {
    const result = await client.query<{ seq: string; hash: string }>('SELECT seq, hash FROM depot.records WHERE station = $1 ORDER BY seq', [station]);
    return result.rows.map((row) => ({ seq: Number(row.seq), hash: row.hash }));
  } finally {
    await client.end();
  }
}


describe.skipIf(POSTGRES_MISSING)('the depot link started by the station and by lockstep provision', () => {
  it('the station core provisions a batch with the depot stopped, shows offline with the backlog, and drains after the restart', async () => {
    const { dir, databasePath, station: name } = await joinedStation(true);
    const bundle = join(dir, 'bundle');
    await generateDemoBundle({ out: bundle });
    const opened = await openStation({
      dataDir: dir,
      fleet: 'simulated',
      demo: true,
      depotSync: { pollMs: 50, backoffMinMs: 20, backoffMaxMs: 200, timeoutMs: 5_000 },
    });
    cleanups.push(() => opened.close());
    const { station } = opened;
    const states: DepotSyncState[] = [];
    const stopStates = station.subscribe('depot.state', (state) => states.push(state));
    cleanups.push(stopStates);
    await until(() => states.at(-1)?.kind === 'connected', 'the link to connect');
    pgServer().stop('fast');
    cleanups.push(() => pgServer().start());
    await until(() => states.at(-1)?.kind === 'offline', 'the link to find the depot gone');

    let snapshot: PipelineSnapshot | null = null;
    cleanups.push(station.subscribe('pipeline.snapshot', (next) => (snapshot = next)));
    await station['session.signIn'](TECHNICIAN);
    await station['batch.start']({ bundlePath: bundle, expectedCount: 4 });
    await station['batch.authorise']({ supervisor: SUPERVISOR, deviceCap: 4 });
    await until(() => (snapshot as PipelineSnapshot | null)?.counters.provisioned === 4, 'the batch to finish while the depot is down');

    // Every record is local; the link counts them as waiting and still says offline, since when it went.
    expect(localRecords(databasePath)).toHaveLength(4);
    await until(() => {
      const last = states.at(-1);
      return last?.kind === 'offline' && last.backlog >= 4;
    }, 'the offline state to count the batch');
    const offline = await station['depot.state'](undefined);
    expect(offline).toMatchObject({ kind: 'offline', reason: expect.stringMatching(/cannot reach the depot/) });
    // On a terminal, lockstep provision's live table shows the same state under its header line.
    const drawn: string[] = [];
    new LiveTable({ out: (text) => drawn.push(text), err: () => undefined, isTty: true }, () => `depot: ${describeDepotState(offline as DepotSyncState)}`).render(
      snapshot as unknown as PipelineSnapshot,
    );
    const noteLine = drawn.join('').split('\n')[1] ?? '';
    expect(noteLine.slice(noteLine.indexOf('\r') + 1)).toMatch(/^depot: offline since \d\d:\d\d, backlog \d+: cannot reach the depot/);
    const firstOffline = states.find((state) => state.kind === 'offline');
    expect(offline?.kind === 'offline' && firstOffline?.kind === 'offline' && offline.since).toBe(firstOffline?.kind === 'offline' && firstOffline.since);

    cleanups.pop();
    pgServer().start();
    await until(() => {
      const last = states.at(-1);
      return last?.kind === 'connected' && last.backlog === 0;
    }, 'the backlog to drain after the restart');
    expect(await depotRecords(name)).toEqual(localRecords(databasePath));
    expect(states.some((state) => state.kind === 'refused')).toBe(false);
  }, 180_000);

  it('a station in no depot has no link: depot.state answers null and publishes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-nolink-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const opened = await openStation({ dataDir: dir, fleet: 'simulated', demo: true });
    cleanups.push(() => opened.close());
    expect(await opened.station['depot.state'](undefined)).toBeNull();
    const states: DepotSyncState[] = [];
    opened.station.subscribe('depot.state', (state) => states.push(state))();
    expect(states).toEqual([]);
  });

  it('lockstep provision --json with the depot stopped: the batch finishes, stdout stays JSON with the depot state offline, stderr says so', async () => {
    // No operators: the demo run adds its own.
    const { dir, databasePath, station: name } = await joinedStation(false);
    pgServer().stop('fast');
    cleanups.push(() => pgServer().start());
    const run = await runCliAsync(['provision', '--sim', '2', '--db', databasePath, '--data', dir, '--json']);
    expect(run.stderr).toMatch(/^depot: offline since \d\d:\d\d, backlog \d+: cannot reach the depot/m);
    expect(run.status).toBe(0);
    const lines = run.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toHaveProperty('batch');
    expect(lines.at(-1)).toMatchObject({ summary: { provisioned: 2 } });
    const depotLines = lines.filter((line) => 'depot' in line);
    expect(depotLines.map((line) => (line.depot as DepotSyncState).kind)).toContain('offline');
    expect(run.stderr).toMatch(/depot: offline .*what the depot does not hold yet goes with the next sync \(lockstep depot sync --db /);
    expect(localRecords(databasePath)).toHaveLength(2);
    expect(await depotRecords(name).catch(() => null)).toBeNull();

    cleanups.pop();
    pgServer().start();
    const sync = await runCliAsync(['depot', 'sync', '--db', databasePath, '--once']);
    expect(sync.status).toBe(0);
    expect(await depotRecords(name)).toEqual(localRecords(databasePath));
  }, 180_000);
});
