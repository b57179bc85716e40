// `lockstep depot export --format csv|pdf` from a real PostgreSQL: views across stations for reading.
// The CSV read back by a strict RFC 4180 reader: one row per record, its station in front and the rest
// of the row exactly the station's own CSV row (formula triggers neutralised the same way). The PDF
// read back with pdftotext and rendered with pdftoppm: a section per station with its key
// fingerprint, the head the depot holds, its counts and its handsets. Neither can be verified, and
// both say so; records verify refuses them as reading views.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCredentialsFile } from '../../../src/main/depot/connection.ts';
import { joinDepot } from '../../../src/main/depot/station-depot.ts';
import { canonicalJson } from '../../../src/main/records/canonical-json.ts';
import { chainHash, GENESIS_HASH } from '../../../src/main/records/chain.ts';
import { runCliAsync } from '../../lockstep-cli.ts';
import { parseCsv } from '../../support/csv.ts';
import { createStationFixture, type StationFixture } from '../records/fixture.ts';
import { layoutText, pageCount, readPdf, renderPages, unwrapped } from '../records/pdf-reading.ts';
import { connectAsStation, createDepot, POSTGRES_MISSING, postgresPerFile, registerStation } from './fixture.ts';

const postgres = postgresPerFile();
let url = '';
let dir = '';
const stations: { fixture: StationFixture; name: string }[] = [];
/** The stations' clock: each handset is committed a minute after the one before. */
let clock = Date.parse('2026-12-02T09:00:00.000Z');

const CHINESE_REASON = '闪存写入失败：分区校验不一致';
/** Per station, the handsets it provisions: hostile serials a spreadsheet would run, and a failure worded in Chinese. */
const HANDSETS = [
  [
    { serial: "=cmd|' /C calc'!A0", imei: null },
    { serial: 'VIEW-A-2', imei: null, fail: { step: 'verify', reason: CHINESE_REASON } },
    { serial: '序列号-A-3', imei: null },
  ],
  [
    { serial: '+SUM(1,2)', imei: null },
    { serial: '\tTAB-B-2', imei: null },
  ],
] as const;

beforeAll(async () => {
  if (POSTGRES_MISSING) return;
  const server = postgres.server();
  const depot = await createDepot(server);
  url = server.url(depot.database);
  process.env.PGPASSWORD = server.adminPassword;
  dir = mkdtempSync(join(tmpdir(), 'lockstep-depot-views-'));
  for (const handsets of HANDSETS) {
    const fixture = createStationFixture({ now: () => new Date(clock) });
    for (const handset of handsets) {
      clock += 60_000;
      fixture.provision(handset);
    }
    const credentials = await registerStation(server, depot, fixture.records.identity.fingerprint);
    const credentialsPath = join(fixture.dir, 'handed-over.json');
    await writeCredentialsFile(credentialsPath, credentials);
    await joinDepot({ databasePath: fixture.records.databasePath, credentialsPath, stationFingerprint: fixture.records.identity.fingerprint });
    stations.push({ fixture, name: credentials.station });
  }
}, 120_000);

afterAll(() => {
  delete process.env.PGPASSWORD;
  for (const { fixture } of stations) fixture.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function exportView(format: 'csv' | 'pdf', name: string, ...options: string[]): Promise<{ file: string; stdout: string }> {
  const file = join(dir, name);
  const run = await runCliAsync(['depot', 'export', '--url', url, '--format', format, '--out', file, ...options]);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return { file, stdout: run.stdout };
}

function twoStations(): [{ fixture: StationFixture; name: string }, { fixture: StationFixture; name: string }] {
  const [first, second] = stations;
  if (!first || !second) throw new Error('two stations expected');
  return [first, second];
}

describe.skipIf(POSTGRES_MISSING)('the depot export as CSV and PDF, views for reading', () => {
  it("writes a CSV with one row per record and its station, each row the station's own CSV row", async () => {
    const [first, second] = twoStations();
    const { file, stdout } = await exportView('csv', 'depot.csv');
    expect(stdout).toMatch(/^Exported 5 records of 2 station\(s\) .* as CSV, for reading; only the JSON Lines export \(--format jsonl\) can be verified/);
    const rows = parseCsv(readFileSync(file, 'utf8'));
    const [header, ...records] = rows;
    expect(header?.[0]).toBe('station');
    expect(records).toHaveLength(5);
    expect(records.every((row) => row.length === header?.length)).toBe(true);
    for (const { fixture, name } of [first, second]) {
      const own = join(dir, `${name}-own.csv`);
      await fixture.records.export('csv', {}, own);
      const [ownHeader, ...ownRows] = parseCsv(readFileSync(own, 'utf8'));
      expect(header?.slice(1)).toEqual(ownHeader);
      expect(records.filter((row) => row[0] === name).map((row) => row.slice(1))).toEqual(ownRows);
    }
    const serials = records.map((row) => row[header?.indexOf('serial') ?? -1]);
    expect(serials).toEqual(["'=cmd|' /C calc'!A0", 'VIEW-A-2', '序列号-A-3', "'+SUM(1,2)", '\\x09TAB-B-2']);
    for (const cell of records.flat()) expect(cell.charAt(0), cell).not.toMatch(/[=+\-@\t\r]/);
    expect(records[1]?.[header?.indexOf('failure_reason') ?? -1]).toBe(CHINESE_REASON);
  });

  it('keeps to a time range and one station; records verify refuses the CSV as a view, not as a damaged file', async () => {
    const [first] = twoStations();
    // The first station's records 2 and 3 (09:02, 09:03).
    const { file } = await exportView('csv', 'range.csv', '--from', '2026-12-02T09:02:00Z', '--to', '2026-12-02T09:04:00Z', '--station', first.name);
    const [, ...records] = parseCsv(readFileSync(file, 'utf8'));
    expect(records.map((row) => [row[0], row[1]])).toEqual([
      [first.name, '2'],
      [first.name, '3'],
    ]);
    const verified = await runCliAsync(['records', 'verify', file]);
    expect(verified.status).not.toBe(0);
    expect(`${verified.stdout}${verified.stderr}`).toMatch(/is a CSV export: only JSON Lines exports \(\.jsonl\) can be verified/);
  });

  it('draws a PDF with a section per station: key, held head, counts, its handsets and failures; every page renders', async () => {
    const [first, second] = twoStations();
    const { file, stdout } = await exportView('pdf', 'depot.pdf');
    expect(stdout).toMatch(/^Exported 5 records of 2 station\(s\) .* as PDF, for reading/);
    const text = unwrapped(layoutText(file));
    expect(text).toContain(unwrapped('Stations: 2 records: 5 provisioned: 4 failed: 1'));
    expect(text).toContain(unwrapped('Only the JSON Lines export of the same records (--format jsonl) can be verified'));
    expect(text).toContain(unwrapped('This report is not signed'));
    for (const [{ fixture, name }, counts] of [
      [first, 'Records: 3 provisioned: 2 failed: 1'],
      [second, 'Records: 2 provisioned: 2 failed: 0'],
    ] as const) {
      const head = fixture.records.log.head();
      const section = text.slice(text.indexOf(unwrapped(`Station ${name}`)));
      expect(section).toContain(fixture.records.identity.fingerprint);
      expect(section).toContain(unwrapped(`Chain head held by the depot: record ${head.seq}`));
      expect(section).toContain(head.hash);
      expect(section).toContain(unwrapped(`Newest head the station signed: record ${head.seq}`));
      expect(section).toContain(unwrapped(counts));
    }
    // Drawn with the system's CJK font (the preflight installs fonts-wqy-microhei), read back as the characters.
    expect(text).not.toContain('no CJK font found');
    expect(text).toContain(CHINESE_REASON);
    expect(text).toContain('序列号-A-3');
    expect(text).toContain(unwrapped("=cmd|' /C calc'!A0"));
    expect(text).toContain(unwrapped('No handset of this station in this report failed.'));

    const { pages, words } = readPdf(file);
    const rendered = renderPages(file, mkdtempSync(join(dir, 'pages-')));
    expect(rendered).toHaveLength(pageCount(file));
    expect(layoutText(file)).toContain(`page 1 of ${rendered.length}`);
    for (const page of rendered) expect(page).toMatchObject({ width: Math.ceil((595.28 * 50) / 72), height: Math.ceil((841.89 * 50) / 72) });
    for (const word of words) expect(word.xMax, word.text).toBeLessThanOrEqual((pages[word.page - 1]?.width ?? 0) - 39.5);
  });

  it('refuses a view of a record whose body is not a provisioning record, naming it; the JSON Lines export still carries it', async () => {
    const server = postgres.server();
    const depot = await createDepot(server);
    const key = createHash('sha256').update(randomBytes(32)).digest('hex');
    const credentials = await registerStation(server, depot, key);
    const client = await connectAsStation(credentials);
    try {
      const body = canonicalJson({ seq: 1, serial: 'NOT-A-RECORD' });
      await client.query('SELECT depot.ingest_records($1, $2, $3, $4, $5)', [key, [1], [GENESIS_HASH], [chainHash(GENESIS_HASH, body)], [body]]);
    } finally {
      await client.end();
    }
    const file = join(dir, 'not-a-record.csv');
    const run = await runCliAsync(['depot', 'export', '--url', server.url(depot.database), '--format', 'csv', '--out', file]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`record 1 of station ${credentials.station} is not a provisioning record .*--format jsonl`));
    const jsonl = await runCliAsync(['depot', 'export', '--url', server.url(depot.database), '--format', 'jsonl', '--out', join(dir, 'not-a-record.jsonl')]);
    expect(jsonl.status).toBe(0);
  });
});
