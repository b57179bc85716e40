// `lockstep depot` as an administrator and a station run it, against a real PostgreSQL: init twice,
// add-station writing a 0600 credentials file, a taken name refused, join uploading the journal,
// sync --once pushing what came after, status from both sides, and the depot's tag settings.
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPOT_SCHEMA_VERSION } from '../../../src/main/depot/migrations.ts';
import { DATABASE_FILE } from '../../../src/main/records/station-records.ts';
import { runCliAsync } from '../../lockstep-cli.ts';
import { startPostgres, type PostgresServer } from '../../support/postgres-server.ts';
import { ADMIN, createStationFixture, TECHNICIAN, type StationFixture } from '../records/fixture.ts';
import { POSTGRES_MISSING } from './fixture.ts';

let server: PostgresServer;
let station: StationFixture;
let url = '';
const database = `depot_cli_${process.pid}`;
const name = `cli${process.pid}`;

beforeAll(async () => {
  if (POSTGRES_MISSING) return;
  server = await startPostgres();
  server.createDatabase(database);
  url = server.url(database);
  // The administrator's password reaches the CLI the way an administrator gives it: PGPASSWORD.
  process.env.PGPASSWORD = server.adminPassword;
  station = createStationFixture();
  for (const serial of ['CLI0001', 'CLI0002', 'CLI0003']) station.provision({ serial, imei: null });
}, 120_000);

afterAll(() => {
  delete process.env.PGPASSWORD;
  station?.cleanup();
  server?.destroy();
});

describe.skipIf(POSTGRES_MISSING)('lockstep depot against a real PostgreSQL', () => {
  it('init creates the schema and re-runs as a no-op; a password in --url is refused', async () => {
    const first = await runCliAsync(['depot', 'init', '--url', url]);
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe(`The depot schema is now at version ${DEPOT_SCHEMA_VERSION} (was 0).\n`);
    const again = await runCliAsync(['depot', 'init', '--url', url]);
    expect(again.stdout).toBe(`The depot schema is already at version ${DEPOT_SCHEMA_VERSION}; nothing to do.\n`);
    const leaked = await runCliAsync(['depot', 'init', '--url', url.replace('postgres@', `postgres:${server.adminPassword}@`)]);
    expect(leaked.status).toBe(1);
    expect(leaked.stderr).toMatch(/holds a password.*PGPASSWORD or ~\/\.pgpass/s);
  });

  it("tags prints the depot's tag pattern and lease size, records a change with who made it, and refuses an invalid pattern", async () => {
    const shown = await runCliAsync(['depot', 'tags', '--url', url]);
    expect(shown.stdout).toMatch(/^Asset tags: DEPOT-\{yyyy\}-\{seq:06\}, leased 200 at a time \(set .* by postgres\)\.\n$/);
    const changed = await runCliAsync(['depot', 'tags', '--url', url, '--pattern', 'D07-{yyyy}-{seq:06}', '--json']);
    expect(JSON.parse(changed.stdout)).toMatchObject({ pattern: 'D07-{yyyy}-{seq:06}', leaseSize: 200, changedBy: 'postgres' });
    const sized = await runCliAsync(['depot', 'tags', '--url', url, '--lease-size', '50', '--json']);
    expect(JSON.parse(sized.stdout)).toMatchObject({ pattern: 'D07-{yyyy}-{seq:06}', leaseSize: 50 });
    const invalid = await runCliAsync(['depot', 'tags', '--url', url, '--pattern', 'D07-NOSEQ']);
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toMatch(/--pattern: .*exactly one \{seq\}/);
    const badSize = await runCliAsync(['depot', 'tags', '--url', url, '--lease-size', '0']);
    expect(badSize.status).toBe(64);
  });

  it('operators: added, disabled and listed at the depot with who made each change; the PIN from stdin, never from argv', async () => {
    const added = await runCliAsync(['depot', 'operators', 'add', '--url', url, '--id', 'sup.depot', '--name', 'S. Depot', '--role', 'supervisor', '--json'], { input: '31415926\n' });
    expect(added.stderr).toBe('');
    expect(JSON.parse(added.stdout)).toMatchObject({ id: 'sup.depot', role: 'supervisor', disabled: false, lastChange: 'added', lastChangeBy: 'postgres' });
    const onArgv = await runCliAsync(['depot', 'operators', 'add', '--url', url, '--id', 'x.y', '--name', 'X', '--pin', '12345678']);
    expect(onArgv.status).toBe(64);
    await runCliAsync(['depot', 'operators', 'add', '--url', url, '--id', 'adm.depot', '--name', 'A. Depot', '--role', 'admin'], { input: '27182818\n' });
    const disabled = await runCliAsync(['depot', 'operators', 'disable', '--url', url, '--id', 'sup.depot']);
    expect(disabled.stdout).toMatch(/^Disabled: sup\.depot\tsupervisor\tdisabled\tS\. Depot\t\(disabled .* by postgres\)\n$/);
    const list = await runCliAsync(['depot', 'operators', 'list', '--url', url]);
    expect(list.stdout.split('\n').filter(Boolean).map((line) => line.split('\t').slice(0, 3))).toEqual([
      ['adm.depot', 'admin', 'active'],
      ['sup.depot', 'supervisor', 'disabled'],
    ]);
    const changes = await runCliAsync(['depot', 'operators', 'changes', '--url', url, '--id', 'sup.depot', '--json']);
    expect((JSON.parse(changes.stdout) as { change: string; madeBy: string }[]).map((change) => [change.change, change.madeBy])).toEqual([
      ['disabled', 'postgres'],
      ['added', 'postgres'],
    ]);
    const age = await runCliAsync(['depot', 'operators', 'offline-age', '--url', url, '--hours', '8']);
    expect(age.stdout).toMatch(/^Stations sign operators in from their copy for 8 h without the depot \(set .* by postgres\)\.\n$/);
    const unknown = await runCliAsync(['depot', 'operators', 'enable', '--url', url, '--id', 'nobody']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/there is no operator nobody at the depot/);
    const promoted = await runCliAsync(['depot', 'operators', 'set-role', '--url', url, '--id', 'sup.depot', '--role', 'admin']);
    expect(promoted.stdout).toMatch(/^Role changed: sup\.depot\tadmin\tdisabled\tS\. Depot\t\(role-changed .* by postgres\)\n$/);
    // adm.depot is the only enabled admin: kept an admin.
    const demoted = await runCliAsync(['depot', 'operators', 'set-role', '--url', url, '--id', 'adm.depot', '--role', 'technician']);
    expect(demoted.status).toBe(1);
    expect(demoted.stderr).toMatch(/last enabled admin/);
    expect((await runCliAsync(['depot', 'operators', 'set-role', '--url', url, '--id', 'adm.depot'])).status).toBe(64);
  }, 90_000);

  it('add-station writes a 0600 credentials file, prints no password, and refuses the name a second time', async () => {
    const out = join(station.dir, 'station.credentials.json');
    const fingerprint = station.records.identity.fingerprint;
    const noCa = await runCliAsync(['depot', 'add-station', name, '--key-fingerprint', fingerprint, '--url', url, '--out', out]);
    expect(noCa.status).toBe(64);
    expect(noCa.stderr).toMatch(/--sslmode verify-full needs --ca FILE/);
    const added = await runCliAsync(['depot', 'add-station', name, '--key-fingerprint', fingerprint, '--url', url, '--out', out, '--sslmode', 'disable']);
    expect(added.stderr).toBe('');
    expect(added.status).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const credentials = JSON.parse(readFileSync(out, 'utf8')) as { password: string; station: string; port: number; tls: unknown };
    expect(credentials).toMatchObject({ station: name, port: server.port, tls: { mode: 'disable' } });
    expect(added.stdout).not.toContain(credentials.password);
    const again = await runCliAsync(['depot', 'add-station', name, '--key-fingerprint', 'ab'.repeat(32), '--url', url, '--out', join(station.dir, 'other.json'), '--sslmode', 'disable']);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(new RegExp(`station ${name} is already registered, to the key ${fingerprint}`));
  });

  it('join uploads the journal, sync --once pushes what came after, status shows both sides', async () => {
    const db = join(station.dir, DATABASE_FILE);
    const joined = await runCliAsync(['depot', 'join', '--db', db, '--credentials', join(station.dir, 'station.credentials.json'), '--json']);
    expect(joined.stderr).toBe('');
    expect(JSON.parse(joined.stdout)).toMatchObject({ station: name, pushed: { batches: 1, authorisations: 1, records: 3 } });

    station.provision({ serial: 'CLI0004', imei: null });
    const before = await runCliAsync(['depot', 'status', '--db', db]);
    expect(before.stdout).toMatch(/Backlog: \d+ \(step events \d+, records 1\)/);
    const synced = await runCliAsync(['depot', 'sync', '--db', db, '--once']);
    expect(synced.stdout).toMatch(/^Pushed 0 batches, 0 authorisations, \d+ step events, 1 records, 0 asset tags, 0 label jobs, 0 label outcomes\.\n$/);
    const after = await runCliAsync(['depot', 'status', '--db', db, '--json']);
    const status = JSON.parse(after.stdout) as { backlog: Record<string, number>; depot: { heads: { records: number } }; credentials: Record<string, unknown> };
    expect(status.backlog).toEqual({ batches: 0, authorisations: 0, step_events: 0, records: 0, asset_tags: 0, label_jobs: 0, label_outcomes: 0 });
    expect(status.depot.heads.records).toBe(4);
    expect(status.credentials).not.toHaveProperty('password');

    const depot = await runCliAsync(['depot', 'status', '--url', url, '--json']);
    const stations = JSON.parse(depot.stdout) as { name: string; records: number; headSeq: number; lastContactAt: string | null }[];
    expect(stations).toEqual([expect.objectContaining({ name, records: 4, headSeq: 4 })]);
    expect(stations[0]?.lastContactAt).not.toBeNull();
    // The station's own report: nothing waiting, no refusal, the tags left in its lease (all pushed, so the depot's count too).
    const tagsLeft = (stations[0] as unknown as { tagsLeft: number }).tagsLeft;
    expect(tagsLeft).toBeGreaterThan(25);
    expect(stations[0]).toMatchObject({
      report: { backlog: { batches: 0, authorisations: 0, step_events: 0, records: 0, asset_tags: 0, label_jobs: 0, label_outcomes: 0 }, refusal: null, tagsLeft, tagWarning: null },
    });
    const table = await runCliAsync(['depot', 'status', '--url', url]);
    expect(table.stdout).toMatch(/^STATION +LAST CONTACT +RECORDS HELD +HEAD SEQ +RECEIVED TODAY +FAILED TODAY +BACKLOG +TAGS LEFT +LABELS +LABELS FAILED +ALARMS\n/);
    expect(table.stdout).toMatch(new RegExp(`^${name} +\\d{4}-\\d\\d-\\d\\dT[^ ]+ +4 +4 +4 +0 +0 +${tagsLeft} +0 +0 +0$`, 'm'));
  });

  it("offer-operators lists the station's operators the depot lacks, and with an admin's PIN adds them there", async () => {
    const db = join(station.dir, DATABASE_FILE);
    const listed = await runCliAsync(['depot', 'offer-operators', '--db', db]);
    expect(listed.stdout).toMatch(/^Operators of this station the depot lacks \(3\):\n {2}admin\tadmin\tDepot Admin\n/);
    expect(listed.stdout).toContain(`Offer them to the depot: lockstep depot offer-operators --db ${db} --as ADMIN`);
    // The join the offer is made under, which the station kept from its join, and until when the depot takes it.
    expect(listed.stdout).toMatch(/^Compared at join \d+ \(\d{4}-[^)]+\): the depot takes the offer until \d{4}-\S+, and not after another join; later, join again/m);
    const offered = await runCliAsync(['depot', 'offer-operators', '--db', db, '--as', ADMIN.id, '--id', TECHNICIAN.id, '--json'], { input: `${ADMIN.pin}\n` });
    expect(offered.stderr).toBe('');
    expect(JSON.parse(offered.stdout)).toMatchObject({ offered: [{ id: TECHNICIAN.id, role: 'technician' }], clashes: [] });
    const atDepot = await runCliAsync(['depot', 'operators', 'list', '--url', url]);
    expect(atDepot.stdout).toMatch(new RegExp(`^${TECHNICIAN.id}\ttechnician\tactive\tT\\. Ng\t\\(added .* by lockstep_station_${name}\\)$`, 'm'));
    const wrongPin = await runCliAsync(['depot', 'offer-operators', '--db', db, '--as', ADMIN.id], { input: '000000\n' });
    expect(wrongPin.status).toBe(1);
  });

  it('a record edited in SQLite: sync is refused and exits, the refusal survives a restart, status shows it', async () => {
    const db = join(station.dir, DATABASE_FILE);
    station.provision({ serial: 'CLI0005', imei: null });
    const sqlite = new DatabaseSync(db);
    sqlite.exec('DROP TRIGGER provisioning_records_no_update');
    sqlite.prepare(`UPDATE provisioning_records SET body_json = replace(body_json, '"CLI0005"', '"CLI9999"') WHERE seq = 5`).run();
    sqlite.close();
    const refused = await runCliAsync(['depot', 'sync', '--db', db]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/depot: REFUSED at .*record 5 of station .* does not match its hash/);
    const again = await runCliAsync(['depot', 'sync', '--db', db, '--once']);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/the depot refused this station at .*run 'lockstep depot join' again/s);
    const status = await runCliAsync(['depot', 'status', '--db', db]);
    expect(status.status).toBe(1);
    expect(status.stdout).toMatch(/^REFUSED at .*does not match its hash/m);
    expect(status.stdout).toMatch(/Backlog: 1 \(records 1\)/);
    // The station told the depot why it stopped: the depot's status raises the alarm.
    const depot = await runCliAsync(['depot', 'status', '--url', url]);
    expect(depot.stdout).toMatch(new RegExp(`^${name} .* +1 +\\d+ +0 +0 +1$`, 'm'));
    expect(depot.stdout).toMatch(new RegExp(`^ALARM ${name}: REFUSED \\(reported .*\\): the depot said: record 5 of station .* does not match its hash`, 'm'));
    const json = JSON.parse((await runCliAsync(['depot', 'status', '--url', url, '--json'])).stdout) as { report: { refusal: string; backlog: { records: number } } }[];
    expect(json[0]?.report).toMatchObject({ refusal: expect.stringMatching(/does not match its hash/), backlog: { records: 1 } });
  });

  it('a credentials file other users can read is refused', async () => {
    const path = join(station.dir, 'station.credentials.json');
    chmodSync(path, 0o644);
    const joined = await runCliAsync(['depot', 'join', '--db', join(station.dir, DATABASE_FILE), '--credentials', path]);
    expect(joined.status).toBe(1);
    expect(joined.stderr).toMatch(/can be read by other users \(mode 644\); chmod 600 it/);
  });
});
