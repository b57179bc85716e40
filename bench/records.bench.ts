// Records benchmark: 100 000 provisioning records committed through the station's API (each its
// own durable transaction, as the pipeline commits them), then exported to CSV and to JSON Lines,
// and the JSON Lines verified offline, then a PDF report of all of them. Target: each CSV/JSON Lines
// export and the verification under 2 s.
// References measured in the same run: SQLite's floor for a durable one-row commit, a bare read of
// every stored row, and reading + SHA-256 of the export file.
// History's search over the same 100 000 records (record-search.ts): each search is timed against
// listing one page without a search, and against the way it was done before (parse every record of
// the filter and match in JS); and the schema-6 migration that indexes a database of that size.
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openDatabase } from '../src/main/records/database.ts';
import { recordFromRow } from '../src/main/records/provisioning-log.ts';
import { DATABASE_FILE, openStationRecords, type StationRecords } from '../src/main/records/station-records.ts';
import { verifyJsonlExport } from '../src/main/records/verify-export.ts';
import { BUNDLE_HASH, recordFor } from '../tests/integration/records/fixture.ts';

const RECORDS = 100_000;
const REFERENCE_COMMITS = 10_000;
const TARGET_MS = 2000;
/** History's page size, and how often each search is repeated (the median is reported). */
const PAGE = 50;
const SEARCH_REPEATS = 21;

const dir = mkdtempSync(join(tmpdir(), 'lockstep-records-bench-'));
const peakMiB = (): string => (process.resourceUsage().maxRSS / 1024).toFixed(0);

async function timed<T>(work: () => T | Promise<T>): Promise<{ ms: number; result: T }> {
  const start = performance.now();
  const result = await work();
  return { ms: performance.now() - start, result };
}

/** `referenceMs` null: the line is itself a reference or has no target. */
function report(name: string, ms: number, referenceMs: number | null, extra = ''): void {
  const ratio = referenceMs === null ? '' : `  ${(ms / referenceMs).toFixed(2)}x reference`;
  const verdict = referenceMs === null ? '' : ms <= TARGET_MS ? '  (target < 2 s: met)' : '  (target < 2 s: MISSED)';
  process.stdout.write(`${name.padEnd(34)} ${ms.toFixed(0).padStart(7)} ms${ratio}${verdict}${extra}  peak RSS ${peakMiB()} MiB\n`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** The median time of `work` over SEARCH_REPEATS runs, and its last answer. */
function repeated<T>(work: () => T): { ms: number; result: T } {
  const times: number[] = [];
  let result = work();
  for (let n = 0; n < SEARCH_REPEATS; n += 1) {
    const start = performance.now();
    result = work();
    times.push(performance.now() - start);
  }
  return { ms: median(times), result };
}

/** History's searches: what a scanner sends, a typed fragment, text that matches nothing. */
function benchSearch(records: StationRecords): void {
  const page = (search: string) => records.search.page({}, { search, limit: PAGE });
  const listing = repeated(() => page(''));
  const line = (name: string, ms: number, extra: string): void => {
    process.stdout.write(`${name.padEnd(42)} ${ms.toFixed(2).padStart(8)} ms  ${(ms / listing.ms).toFixed(1).padStart(6)}x one page${extra}\n`);
  };
  line(`reference: list one page (${PAGE}), no search`, listing.ms, `  ${listing.result.records.length} records`);
  const searches: [string, string][] = [
    ['scanned serial (whole)', 'LS7B0054321'],
    ['scanned IMEI (whole)', '352099000054321'],
    ['typed fragment, 4 chars, a few matches', '4321'],
    ['typed fragment, many matches', 'LS7B00'],
    ['3 chars, no match', 'ZZZ'],
    ['2 chars, no match (scans the keys)', 'QQ'],
    ['2 chars, many matches', '99'],
  ];
  for (const [name, text] of searches) {
    const found = repeated(() => page(text));
    line(`search: ${name}`, found.ms, `  ${found.result.records.length} shown${found.result.next === null ? '' : ', more'}`);
  }
  // The way records.list searched before: every record of the filter read, parsed and matched in JS.
  const needle = '0054321';
  const old = repeated(() => {
    const found = [];
    for (const row of records.log.rows({})) {
      const record = recordFromRow(row);
      if ([record.serial, record.imei].some((value) => value !== null && value.toLowerCase().includes(needle))) found.push(record);
    }
    return found;
  });
  line('before: parse every record, match in JS', old.ms, `  ${old.result.length} found`);
}

/** The schema-6 migration on a database of RECORDS records made before it: the index built on opening. */
function benchMigration(): void {
  const database = join(dir, DATABASE_FILE);
  const raw = new DatabaseSync(database);
  raw.exec('DROP TRIGGER provisioning_records_search; DROP TABLE record_search; DROP TABLE operator_changes; PRAGMA user_version = 5');
  raw.close();
  const start = performance.now();
  const reopened = openStationRecords(dir);
  report(`migrate to schema 6 (index ${RECORDS})`, performance.now() - start, null, `  ${reopened.search.page({}, { search: 'LS7B0054321', limit: 1 }).records.length} found after`);
  reopened.close();
}

try {
  // Reference: SQLite's durable one-row commit with the station's settings.
  const scratch = openDatabase(join(dir, 'scratch.sqlite'));
  scratch.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  const bare = scratch.prepare('INSERT INTO t (body) VALUES (?)');
  const commitFloor = await timed(() => {
    for (let n = 0; n < REFERENCE_COMMITS; n += 1) {
      scratch.exec('BEGIN IMMEDIATE');
      bare.run(`{"serial":"LS7B${n}"}`);
      scratch.exec('COMMIT');
    }
  });
  scratch.close();
  const floorPerCommit = commitFloor.ms / REFERENCE_COMMITS;

  const records = openStationRecords(dir);
  records.operators.createFirstAdmin({ id: 'admin', displayName: 'Bench Admin', pin: '4711235' });
  const batch = records.startBatch({ name: 'bench', product: 'lockstep-ref', bundleHash: BUNDLE_HASH, bundleVersion: 'LSR-14.2.0', operatorId: 'admin' });
  const insert = await timed(() => {
    for (let n = 0; n < RECORDS; n += 1) {
      const serial = `LS7B${String(n).padStart(7, '0')}`;
      const device = records.registerDevice({ batchId: batch.id, serial, identity: { serialno: serial } });
      records.commitProvisioningRecord(
        recordFor(device.id, {
          imei: `35209900${String(n).padStart(7, '0')}`,
          operatorId: 'admin',
          ...(n % 50 === 49
            ? {}
            : { outcome: 'provisioned', failedStep: null, failureCode: null, failureReason: null, fusesBurned: ['CAMERA_DISABLE', 'GPS_DISABLE'], fuseReadback: [{ bank: 3, word: 0, value: 0x31 }], locked: true }),
        }),
      );
    }
  });
  const perRecord = insert.ms / RECORDS;
  report(`insert ${RECORDS} records`, insert.ms, null, `  ${(perRecord * 1000).toFixed(0)} us/record (register + commit: 2 durable commits; floor ${(floorPerCommit * 1000).toFixed(0)} us/commit, ${(perRecord / (2 * floorPerCommit)).toFixed(2)}x)`);

  const readAll = await timed(() => {
    let bytes = 0;
    for (const row of records.log.rows({})) bytes += row.body_json.length;
    return bytes;
  });
  report('reference: read every row', readAll.ms, null);
  benchSearch(records);

  const csv = await timed(() => records.export('csv', {}, join(dir, 'records.csv')));
  report('export CSV', csv.ms, readAll.ms, `  ${(statSync(join(dir, 'records.csv')).size / 2 ** 20).toFixed(1)} MiB`);
  const jsonl = await timed(() => records.export('jsonl', {}, join(dir, 'records.jsonl')));
  report('export JSON Lines', jsonl.ms, readAll.ms, `  ${(statSync(join(dir, 'records.jsonl')).size / 2 ** 20).toFixed(1)} MiB`);

  const hashFile = await timed(async () => {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(join(dir, 'records.jsonl'))) hash.update(chunk as Buffer);
    return hash.digest('hex');
  });
  report('reference: read + SHA-256 of file', hashFile.ms, null);
  const verified = await timed(() => verifyJsonlExport(join(dir, 'records.jsonl'), records.identity.publicKey));
  if (!verified.result.intact) throw new Error(`the export does not verify: ${verified.result.message}`);
  report('verify JSON Lines', verified.ms, hashFile.ms, `  ${verified.result.records} records intact`);

  const filtered = await timed(() => records.export('jsonl', { status: 'failed' }, join(dir, 'failed.jsonl')));
  report('export JSON Lines, failed only', filtered.ms, readAll.ms, `  ${filtered.result.records} records`);

  // Last, since peak RSS only grows: what the PDF report of every record adds to the figures above.
  const pdf = await timed(() => records.export('pdf', {}, join(dir, 'report.pdf')));
  report('export PDF report (no target)', pdf.ms, null, `  ${(statSync(join(dir, 'report.pdf')).size / 2 ** 20).toFixed(1)} MiB`);
  records.close();
  benchMigration();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
