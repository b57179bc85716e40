// Label jobs and outcomes in the depot export (format 3) and in the depot status: each section carries
// the labels of the records it holds in full, as the depot holds them (hostile printer text byte for
// byte), `records verify` checks them against the section, and a format 2 file still verifies. The CSV
// view writes them to a second file, one row per print of a label; the PDF view draws a labels table
// per station; both show hostile printer text escaped.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { depotOverview } from '../../../src/main/depot/admin.ts';
import { writeCredentialsFile } from '../../../src/main/depot/connection.ts';
import { joinDepot } from '../../../src/main/depot/station-depot.ts';
import { DEPOT_LABELS_CSV_HEADER } from '../../../src/main/depot/export-csv.ts';
import { canonicalJson } from '../../../src/main/records/canonical-json.ts';
import { withLabelStore } from '../../../src/main/labels/label-store.ts';
import type { DepotVerifyOutcome, LabelJobLine, LabelOutcomeLine } from '../../../src/shared/depot-export.ts';
import { runCliAsync } from '../../lockstep-cli.ts';
import { parseCsv } from '../../support/csv.ts';
import { createStationFixture, TECHNICIAN, type StationFixture } from '../records/fixture.ts';
import { layoutText, pageCount, renderPages, unwrapped } from '../records/pdf-reading.ts';
import { createDepot, POSTGRES_MISSING, postgresPerFile, registerStation } from './fixture.ts';

let depot: Awaited<ReturnType<typeof createDepot>>;
let admin: pg.Client;
let station: StationFixture;
let name = '';
let url = '';
const { server: pgServer } = postgresPerFile();
/** The station's clock: each handset is committed a minute after the one before. */
let clock = Date.parse('2026-12-01T08:00:00.000Z');
/** Printer text is hostile: control and bidi characters, and a NUL the depot's JSON operators refuse. */
const HOSTILE_DETAIL = 'out of paper \u0007 \u202e \u0000';

/** Records 1 to 3: record 1 printed; record 2 failed, then reprinted and not taken (no outcome); record 3 never tried. */
beforeAll(async () => {
  if (POSTGRES_MISSING) return;
  depot = await createDepot(pgServer());
  url = pgServer().url(depot.database);
  process.env.PGPASSWORD = pgServer().adminPassword;
  admin = new pg.Client(depot.admin);
  await admin.connect();
  station = createStationFixture({ assetTagPattern: 'LS-{yyyy}-{seq:06}', now: () => new Date(clock) });
  for (let i = 1; i <= 3; i += 1) {
    clock += 60_000;
    station.provision({ serial: `XL${String(i).padStart(5, '0')}`, imei: null });
  }
  withLabelStore(station.records.databasePath, (store) => {
    const job = (recordSeq: number, reason: string | null = null) =>
      store.createJob({ recordSeq, printer: 'file:/tmp/label.zpl', format: 'zpl', template: '4x2-203', operatorId: TECHNICIAN.id, reason });
    store.finishJob(job(1).id, 'accepted', 'printed');
    store.finishJob(job(2).id, 'failed', HOSTILE_DETAIL);
    job(2, 'jammed; loaded a new roll');
  });
  const credentials = await registerStation(pgServer(), depot, station.records.identity.fingerprint);
  name = credentials.station;
  const credentialsPath = join(station.dir, 'handed-over.json');
  await writeCredentialsFile(credentialsPath, credentials);
  await joinDepot({ databasePath: station.records.databasePath, credentialsPath, stationFingerprint: station.records.identity.fingerprint });
}, 120_000);

afterAll(async () => {
  delete process.env.PGPASSWORD;
  await admin?.end().catch(() => undefined);
  station?.cleanup();
});

async function exportTo(file: string, ...options: string[]): Promise<string[]> {
  const run = await runCliAsync(['depot', 'export', '--url', url, '--format', 'jsonl', '--out', file, ...options]);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return readFileSync(file, 'utf8').trimEnd().split('\n');
}

async function verify(file: string): Promise<DepotVerifyOutcome> {
  return JSON.parse((await runCliAsync(['records', 'verify', file, '--json'])).stdout) as DepotVerifyOutcome;
}

async function verifyLines(file: string, lines: readonly string[]): Promise<DepotVerifyOutcome> {
  writeFileSync(file, `${lines.join('\n')}\n`);
  return verify(file);
}

const typeOf = (line: string | undefined): string => (JSON.parse(line ?? '{}') as { type: string }).type;

describe.skipIf(POSTGRES_MISSING)('labels in the depot export and status', () => {
  it("exports each record's label jobs and outcomes after the chain lines, the depot's bodies byte for byte, and records verify finds them intact", async () => {
    const file = join(station.dir, 'labels.jsonl');
    const lines = await exportTo(file);
    expect(lines[0]).toBe('{"format":"lockstep-depot-export/3","type":"depot-export"}');
    expect(lines.map(typeOf)).toEqual(['depot-export', 'record', 'record', 'record', 'label-job', 'label-job', 'label-job', 'label-outcome', 'label-outcome', 'station-head', 'depot-head']);
    const jobs = await admin.query<{ body: string }>('SELECT body::text AS body FROM depot.label_jobs WHERE station = $1 ORDER BY id', [name]);
    const outcomes = await admin.query<{ body: string }>('SELECT body::text AS body FROM depot.label_outcomes WHERE station = $1 ORDER BY id', [name]);
    expect(lines.slice(4, 7)).toEqual(jobs.rows.map(({ body }) => `{"job":${body},"type":"label-job"}`));
    expect(lines.slice(7, 9)).toEqual(outcomes.rows.map(({ body }) => `{"outcome":${body},"type":"label-outcome"}`));
    expect(lines[8]).toContain('out of paper \\u0007 \u202e \\u0000');
    expect(JSON.parse(lines[9] ?? '{}')).toMatchObject({ type: 'station-head', records: 3, lines: 3, labelJobs: 3, labelOutcomes: 2 });
    expect(JSON.parse(lines[10] ?? '{}')).toMatchObject({ lines: 10, records: 3 });
    const outcome = await verify(file);
    expect(outcome).toMatchObject({ intact: true, format: 'lockstep-depot-export/3', stations: [{ station: name, labelJobs: 3, labelOutcomes: 2 }] });
    const text = await runCliAsync(['records', 'verify', file]);
    expect(text.stdout).toMatch(/3 records in range, 3 label jobs and 2 outcomes of them/);
    expect(text.stdout).toMatch(/no station hashed nor signed them/);
  });

  it('a time range carries only the labels of the records it holds in full', async () => {
    const file = join(station.dir, 'range.jsonl');
    // Record 2 only (08:02); record 3 is elided after it.
    const lines = await exportTo(file, '--from', '2026-12-01T08:02:00Z', '--to', '2026-12-01T08:03:00Z');
    expect(lines.map(typeOf)).toEqual(['depot-export', 'record', 'elided', 'label-job', 'label-job', 'label-outcome', 'station-head', 'depot-head']);
    expect(lines.slice(3, 6).map((line) => (JSON.parse(line) as { job?: { record_seq: number }; outcome?: { record_seq: number } })).map((label) => (label.job ?? label.outcome)?.record_seq)).toEqual([2, 2, 2]);
    expect(await verify(file)).toMatchObject({ intact: true, records: 1, stations: [{ labelJobs: 2, labelOutcomes: 1 }] });
  });

  it('a deleted job, a label moved before the chain, a label of a record not in the section, a reordered line and a changed count are each refused', async () => {
    const file = join(station.dir, 'tampered.jsonl');
    const lines = await exportTo(file);
    const head = JSON.parse(lines[9] ?? '{}') as Record<string, unknown>;
    const cases: [string, string[], { problem: string; line: number }][] = [
      // The first job gone (and the counts fixed up): its outcome names a job the section lacks.
      ['deleted job', [...lines.slice(0, 4), ...lines.slice(5, 9), canonicalJson({ ...head, labelJobs: 2 }), ...lines.slice(10)], { problem: 'deleted', line: 7 }],
      ['label before the chain', [lines[0]!, lines[4]!, ...lines.slice(1, 4), ...lines.slice(5)], { problem: 'edited', line: 2 }],
      ['outcome before a job', [...lines.slice(0, 6), lines[7]!, lines[6]!, ...lines.slice(8)], { problem: 'inserted', line: 8 }],
      ['count changed', [...lines.slice(0, 9), canonicalJson({ ...head, labelOutcomes: 3 }), ...lines.slice(10)], { problem: 'deleted', line: 10 }],
    ];
    for (const [about, edited, expected] of cases) expect(await verifyLines(file, edited), about).toMatchObject({ intact: false, ...expected });
    // A job's record changed in its text: it labels record 3 while its outcome says record 1.
    const moved = lines[4]!.replace('"record_seq":1', '"record_seq":3');
    expect(await verifyLines(file, [...lines.slice(0, 4), moved, ...lines.slice(5)])).toMatchObject({ intact: false, problem: 'edited', line: 8 });
    // Not canonical JSON (a space): an edit.
    expect(await verifyLines(file, [...lines.slice(0, 4), lines[4]!.replace('{"job":', '{ "job":'), ...lines.slice(5)])).toMatchObject({ intact: false, problem: 'edited', line: 5 });
  });

  it('a lockstep-depot-export/2 file (before labels) is verified by its own rules; label lines in it are not its lines', async () => {
    const file = join(station.dir, 'format2.jsonl');
    const lines = await exportTo(file);
    const older = lines
      .filter((line) => !typeOf(line).startsWith('label-'))
      .map((line) => {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (parsed.type === 'depot-export') return canonicalJson({ ...parsed, format: 'lockstep-depot-export/2' });
        if (parsed.type === 'depot-head') return canonicalJson({ ...parsed, lines: 5 });
        if (parsed.type !== 'station-head') return line;
        const { labelJobs: _labelJobs, labelOutcomes: _labelOutcomes, ...v2 } = parsed;
        return canonicalJson(v2);
      });
    expect(await verifyLines(file, older)).toMatchObject({ intact: true, format: 'lockstep-depot-export/2' });
    expect(await verifyLines(file, [...older.slice(0, 4), lines[4]!, ...older.slice(4)])).toMatchObject({ intact: false, problem: 'malformed', line: 5 });
  });

  it('writes the labels of a CSV view to NAME.labels.csv: one row per print, with its job and outcome, hostile text escaped', async () => {
    const jobs = (await admin.query<{ body: LabelJobLine['job'] }>('SELECT body FROM depot.label_jobs WHERE station = $1 ORDER BY id', [name])).rows.map((row) => row.body);
    const outcomes = (await admin.query<{ body: LabelOutcomeLine['outcome'] }>('SELECT body FROM depot.label_outcomes WHERE station = $1 ORDER BY id', [name])).rows.map(
      (row) => row.body,
    );
    const [printed, failed, reprint] = jobs;
    const outcomeOf = (jobId: number | undefined) => outcomes.find((outcome) => outcome.job_id === jobId);
    const file = join(station.dir, 'views.csv');
    const run = await runCliAsync(['depot', 'export', '--url', url, '--format', 'csv', '--out', file]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(`to ${file} and their 3 label(s) to ${join(station.dir, 'views.labels.csv')} as CSV, for reading;`);
    const [header, ...rows] = parseCsv(readFileSync(join(station.dir, 'views.labels.csv'), 'utf8'));
    expect(header?.join(',')).toBe(DEPOT_LABELS_CSV_HEADER);
    const cell = (row: readonly string[] | undefined, column: string): string | undefined => row?.[header?.indexOf(column) ?? -1];
    expect(rows.map((row) => [cell(row, 'station'), cell(row, 'record_seq'), cell(row, 'serial'), cell(row, 'job_id'), cell(row, 'kind'), cell(row, 'status')])).toEqual([
      [name, '1', 'XL00001', String(printed?.id), 'first', 'accepted'],
      [name, '2', 'XL00002', String(failed?.id), 'first', 'failed'],
      [name, '2', 'XL00002', String(reprint?.id), 'reprint', 'not taken (yet)'],
    ]);
    expect(header?.map((column) => cell(rows[0], column))).toEqual([
      name,
      '1',
      'XL00001',
      String(printed?.id),
      'first',
      printed?.requested_at,
      TECHNICIAN.id,
      '',
      'file:/tmp/label.zpl',
      'zpl',
      '4x2-203',
      'accepted',
      String(outcomeOf(printed?.id)?.id),
      outcomeOf(printed?.id)?.at,
      TECHNICIAN.id,
      'printed',
    ]);
    expect(cell(rows[1], 'printer_detail')).toBe('out of paper \\x07 \\u202E \\x00');
    expect([cell(rows[2], 'reason'), cell(rows[2], 'outcome_id'), cell(rows[2], 'outcome_at'), cell(rows[2], 'printer_detail')]).toEqual(['jammed; loaded a new roll', '', '', '']);

    // Record 2 only: its two jobs. records verify refuses the labels file as a view.
    const ranged = join(station.dir, 'range.csv');
    expect((await runCliAsync(['depot', 'export', '--url', url, '--format', 'csv', '--out', ranged, '--from', '2026-12-01T08:02:00Z', '--to', '2026-12-01T08:03:00Z'])).status).toBe(0);
    const [, ...rangedRows] = parseCsv(readFileSync(join(station.dir, 'range.labels.csv'), 'utf8'));
    expect(rangedRows.map((row) => cell(row, 'job_id'))).toEqual([String(failed?.id), String(reprint?.id)]);
    const verified = await runCliAsync(['records', 'verify', join(station.dir, 'range.labels.csv')]);
    expect(verified.status).not.toBe(0);
    expect(`${verified.stdout}${verified.stderr}`).toMatch(/is a CSV export: only JSON Lines exports \(\.jsonl\) can be verified/);
  });

  it("draws a labels table in each station's PDF section: job, outcome, reason and the printer's words escaped; every page renders", async () => {
    const file = join(station.dir, 'views.pdf');
    const run = await runCliAsync(['depot', 'export', '--url', url, '--format', 'pdf', '--out', file]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(', with 3 label(s), as PDF, for reading;');
    const text = layoutText(file);
    const labels = unwrapped(text.slice(text.indexOf('Labels (3)')));
    expect(labels).toContain(unwrapped('Requested (UTC) Requested by Printer Outcome'));
    for (const shown of ['accepted', 'failed', 'not taken (yet)', 'reprint', 'jammed; loaded a new roll', 'zpl, 4x2-203', `${TECHNICIAN.id}: printed`]) {
      expect(labels, shown).toContain(unwrapped(shown));
    }
    expect(labels).toContain(unwrapped(`${TECHNICIAN.id}: out of paper \\x07 \\u202E \\x00`));
    expect(text).not.toContain('\u202e');
    // Each print's first row, by record, then in the order they happened: seq, serial, job, kind, …, outcome.
    const entries = text.split('\n').filter((line) => /^\d+ +XL\d{5} /.test(line));
    expect(entries.map((line) => line.split(/ {2,}/).filter((cell) => cell !== ''))).toEqual([
      ['1', 'XL00001', '1', 'first', expect.stringMatching(/^2026-\d\d-\d\d \d\d:\d\d:\d\d tech\.ng$/), 'file:/tmp/label.zpl', 'accepted'],
      ['2', 'XL00002', '2', 'first', expect.stringMatching(/ tech\.ng$/), 'file:/tmp/label.zpl', 'failed'],
      ['2', 'XL00002', '3', 'reprint', expect.stringMatching(/ tech\.ng$/), 'file:/tmp/label.zpl', 'not taken (yet)'],
    ]);
    expect(renderPages(file, mkdtempSync(join(station.dir, 'pages-')))).toHaveLength(pageCount(file));

    // Record 3 only: never labelled.
    const none = join(station.dir, 'none.pdf');
    expect((await runCliAsync(['depot', 'export', '--url', url, '--format', 'pdf', '--out', none, '--from', '2026-12-01T08:03:00Z'])).status).toBe(0);
    expect(unwrapped(layoutText(none))).toContain(unwrapped('Labels (0) No label was printed for a handset of this station in this report.'));
  });

  it('the depot status counts each station’s label jobs and failed labels', async () => {
    const overview = (await depotOverview(depot.admin)).find((held) => held.name === name);
    expect(overview).toMatchObject({ labelJobs: 3, labelsAccepted: 1, labelsFailed: 1 });
    const table = await runCliAsync(['depot', 'status', '--url', url]);
    expect(table.stdout).toMatch(new RegExp(`^${name} .* +3 +1 +\\d+$`, 'm'));
  });
});
