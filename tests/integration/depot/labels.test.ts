// Label jobs and their outcomes reaching a real PostgreSQL depot (schema version 5): pushed once, in
// order, after the records they label; a re-send after a lost acknowledgement changes nothing and a
// changed one is refused; the depot refuses a label of a record or job it does not hold; a station's
// role cannot write, nor read, another station's label rows.
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCredentialsFile } from '../../../src/main/depot/connection.ts';
import { REFUSAL_CODES } from '../../../src/main/depot/migrations.ts';
import { connectStation } from '../../../src/main/depot/station-client.ts';
import { joinDepot } from '../../../src/main/depot/station-depot.ts';
import { openStationSource } from '../../../src/main/depot/station-source.ts';
import { createDepotSync } from '../../../src/main/depot/sync.ts';
import { withLabelStore } from '../../../src/main/labels/label-store.ts';
import type { DepotCredentials } from '../../../src/shared/depot.ts';
import { createStationFixture, TECHNICIAN, type StationFixture } from '../records/fixture.ts';
import { connectAsStation, createDepot, POSTGRES_MISSING, postgresPerFile, refusal, registerStation } from './fixture.ts';

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

const PRINTER = 'file:/tmp/lockstep-depot-label.zpl';
/** Printer text is hostile: control and bidi characters reach the depot byte for byte. */
const HOSTILE_DETAIL = 'out of paper \u0007 \u202e';

/**
 * A joined station with three tagged handsets whose labels went three ways: record 1 printed,
 * record 2 failed and then a reprint asked for and not taken (no outcome), record 3 never tried.
 */
async function stationWithLabels(): Promise<{ station: StationFixture; credentials: DepotCredentials; reprintJob: number }> {
  const station = createStationFixture({ assetTagPattern: 'LS-{yyyy}-{seq:06}' });
  cleanups.push(() => station.cleanup());
  for (let i = 1; i <= 3; i += 1) station.provision({ serial: `LB${String(i).padStart(5, '0')}`, imei: null });
  const reprintJob = withLabelStore(station.records.databasePath, (store) => {
    const job = (recordSeq: number, reason: string | null = null) => store.createJob({ recordSeq, printer: PRINTER, format: 'zpl', template: '4x2-203', operatorId: TECHNICIAN.id, reason });
    store.finishJob(job(1).id, 'accepted', 'printed');
    store.finishJob(job(2).id, 'failed', HOSTILE_DETAIL);
    return job(2, 'jammed; loaded a new roll').id;
  });
  const credentials = await registerStation(pgServer(), depot, station.records.identity.fingerprint);
  const credentialsPath = join(station.dir, 'handed-over.json');
  await writeCredentialsFile(credentialsPath, credentials);
  const joined = await joinDepot({ databasePath: station.records.databasePath, credentialsPath, stationFingerprint: station.records.identity.fingerprint });
  expect(joined.pushed).toMatchObject({ records: 3, label_jobs: 3, label_outcomes: 2 });
  return { station, credentials, reprintJob };
}

async function depotLabels(name: string): Promise<{ jobs: { id: number; record: number; body: string }[]; outcomes: { id: number; record: number; job: number | null; status: string; body: string }[] }> {
  const jobs = await admin.query<{ id: string; record_seq: string; body: string }>('SELECT id, record_seq, body::text AS body FROM depot.label_jobs WHERE station = $1 ORDER BY id', [name]);
  const outcomes = await admin.query<{ id: string; record_seq: string; job_id: string | null; status: string; body: string }>(
    'SELECT id, record_seq, job_id, status, body::text AS body FROM depot.label_outcomes WHERE station = $1 ORDER BY id',
    [name],
  );
  return {
    jobs: jobs.rows.map((row) => ({ id: Number(row.id), record: Number(row.record_seq), body: row.body })),
    outcomes: outcomes.rows.map((row) => ({ id: Number(row.id), record: Number(row.record_seq), job: row.job_id === null ? null : Number(row.job_id), status: row.status, body: row.body })),
  };
}

describe.skipIf(POSTGRES_MISSING)('label jobs and outcomes in a real PostgreSQL depot', () => {
  it("joining pushes the station's label jobs and outcomes once, byte for byte; a re-send after a lost acknowledgement changes nothing", async () => {
    const { station, credentials, reprintJob } = await stationWithLabels();
    const source = openStationSource(station.records.databasePath);
    cleanups.push(() => source.close());
    const held = await depotLabels(credentials.station);
    expect(held.jobs.map((job) => [job.id, job.record])).toEqual([[1, 1], [2, 2], [reprintJob, 2]]);
    expect(held.jobs.map((job) => job.body)).toEqual(source.labelRows('label_jobs', 0, 100).map((row) => row.body));
    expect(held.outcomes.map((outcome) => [outcome.record, outcome.job, outcome.status])).toEqual([[1, 1, 'accepted'], [2, 2, 'failed']]);
    expect(held.outcomes.map((outcome) => outcome.body)).toEqual(source.labelRows('label_outcomes', 0, 100).map((row) => row.body));
    expect(JSON.parse(held.outcomes[1]?.body ?? '{}')).toMatchObject({ detail: HOSTILE_DETAIL });

    // The acknowledgement was lost: the station sends the same rows again.
    const client = await connectStation(credentials, 10_000);
    cleanups.push(() => client.close());
    expect(await client.ingestLabels('label_jobs', source.labelRows('label_jobs', 0, 100))).toBe(reprintJob);
    expect(await client.ingestLabels('label_outcomes', source.labelRows('label_outcomes', 0, 100))).toBe(2);
    expect(await depotLabels(credentials.station)).toEqual(held);
    // A re-send that differs is a rewrite, refused.
    const [first] = source.labelRows('label_outcomes', 0, 1);
    if (!first) throw new Error('no outcome to change');
    const changed = refusal(client.ingestLabels('label_outcomes', [{ ...first, status: 'failed', body: first.body.replace('"accepted"', '"failed"') }]));
    expect(await changed).toMatchObject({ code: REFUSAL_CODES.conflict });

    // The reprint is taken later: the next pass pushes its outcome only.
    withLabelStore(station.records.databasePath, (store) => store.finishJob(reprintJob, 'accepted', 'printed'));
    const sync = createDepotSync({ databasePath: station.records.databasePath, credentials });
    cleanups.push(() => sync.stop());
    expect(await sync.drain()).toMatchObject({ records: 0, label_jobs: 0, label_outcomes: 1 });
    expect((await depotLabels(credentials.station)).outcomes.map((outcome) => [outcome.job, outcome.status])).toEqual([[1, 'accepted'], [2, 'failed'], [reprintJob, 'accepted']]);
    expect(await sync.drain()).toMatchObject({ label_jobs: 0, label_outcomes: 0 });
  });

  it('the depot refuses a label of a record it does not hold, and an outcome of a job it does not hold for that record', async () => {
    const { credentials, reprintJob } = await stationWithLabels();
    const client = await connectStation(credentials, 10_000);
    cleanups.push(() => client.close());
    const body = '{"id":99}';
    const unknownRecord = await refusal(client.ingestLabels('label_jobs', [{ id: reprintJob + 1, recordSeq: 99, jobId: null, status: null, body }]));
    expect(unknownRecord).toMatchObject({ code: REFUSAL_CODES.malformed, message: expect.stringMatching(/labels record 99, which the depot does not hold/) });
    const otherRecordsJob = await refusal(client.ingestLabels('label_outcomes', [{ id: 3, recordSeq: 3, jobId: 1, status: 'accepted', body }]));
    expect(otherRecordsJob).toMatchObject({ code: REFUSAL_CODES.malformed, message: expect.stringMatching(/answers job 1, which the depot does not hold for record 3/) });
    const secondOutcome = await refusal(client.ingestLabels('label_outcomes', [{ id: 3, recordSeq: 1, jobId: 1, status: 'failed', body }]));
    expect(secondOutcome).toMatchObject({ code: REFUSAL_CODES.conflict, message: expect.stringMatching(/already has an outcome/) });
    expect((await depotLabels(credentials.station)).outcomes).toHaveLength(2);
  });

  it("a station's role cannot write another station's label rows, nor read them", async () => {
    const a = await stationWithLabels();
    const b = await stationWithLabels();
    const before = await depotLabels(a.credentials.station);
    const asB = await connectAsStation(b.credentials);
    cleanups.push(() => asB.end());
    for (const sql of [
      `INSERT INTO depot.label_jobs (station, id, record_seq, body) VALUES ('${a.credentials.station}', 100, 1, '{}')`,
      `INSERT INTO depot.label_outcomes (station, id, record_seq, job_id, status, body) VALUES ('${a.credentials.station}', 100, 1, NULL, 'accepted', '{}')`,
      `UPDATE depot.label_outcomes SET status = 'accepted' WHERE station = '${a.credentials.station}'`,
      `DELETE FROM depot.label_jobs WHERE station = '${a.credentials.station}'`,
    ]) {
      expect(await refusal(asB.query(sql))).toMatchObject({ code: '42501' });
    }
    // Through the ingest function with A's key: refused; the function never takes a station name.
    const withAsKey = await refusal(asB.query('SELECT depot.ingest_label_jobs($1, $2, $3, $4)', [a.credentials.keyFingerprint, [100], [1], ['{}']]));
    expect(withAsKey.code).toBe(REFUSAL_CODES.wrongKey);
    const seen = await asB.query<{ station: string }>('SELECT DISTINCT station FROM depot.label_jobs UNION SELECT DISTINCT station FROM depot.label_outcomes');
    expect(seen.rows).toEqual([{ station: b.credentials.station }]);
    expect(await depotLabels(a.credentials.station)).toEqual(before);
  });
});
