// `lockstep depot export --format pdf`: a report across stations for reading. The scope and the
// depot's totals, then per station (in name order) a section: its name, registered key fingerprint,
// the chain head the depot holds and the newest head the station signed, its records and failures
// in the range, then the devices and failures tables of the station's own report
// (src/main/records/pdf-report.ts), then the labels printed for those records (pdf-label-rows.ts).
// Nothing in it is signed: the depot holds no station's key, so
// the report says that only the JSON Lines export can be verified.
import type pg from 'pg';
import type { DepotExportFilter } from '../../shared/depot-export.ts';
import { GENESIS_HASH } from '../records/chain.ts';
import { writeFileAtomically } from '../records/export-file.ts';
import {
  DEVICE_HEADER,
  DEVICES_LEGEND,
  deviceRows,
  FAILURE_HEADER,
  failureRows,
  JSONL_ONLY_VERIFIED,
  openPdfReport,
  savePdfReport,
  startTable,
  type PdfReport,
} from '../records/pdf-report.ts';
import type { DepotViewSummary } from './export-csv.ts';
import { newestSignedHead } from './export.ts';
import { viewedLabels } from './export-label-views.ts';
import { LABEL_HEADER, LABELS_LEGEND, labelRows } from './pdf-label-rows.ts';
import { viewedRecords, withDepotSnapshot, type StationRow } from './export-snapshot.ts';

interface Tally {
  records: number;
  failed: number;
}

async function tally(client: pg.Client, station: string, filter: DepotExportFilter): Promise<Tally> {
  const counts: Tally = { records: 0, failed: 0 };
  for await (const page of viewedRecords(client, station, filter)) {
    counts.records += page.length;
    counts.failed += page.filter(({ record }) => record.outcome === 'failed').length;
  }
  return counts;
}

/** The depot's last record of the station, in or out of the range. */
async function heldHead(client: pg.Client, station: string): Promise<{ seq: number; hash: string }> {
  const row = (await client.query<{ seq: string; hash: string }>('SELECT seq, hash FROM depot.records WHERE station = $1 ORDER BY seq DESC LIMIT 1', [station])).rows[0];
  return row ? { seq: Number(row.seq), hash: row.hash } : { seq: 0, hash: GENESIS_HASH };
}

/** Draws the station's section; returns its label entries' count. */
async function stationSection({ write, fonts, heading }: PdfReport, client: pg.Client, station: StationRow, filter: DepotExportFilter, counts: Tally): Promise<number> {
  write.ensure(200);
  heading(`Station ${station.name}`);
  write.text(`Registered ${station.registered_at.toISOString()}; key fingerprint (SHA-256):`, { trusted: true });
  write.text(station.key_fingerprint, { font: fonts.mono, trusted: true });
  const head = await heldHead(client, station.name);
  write.text(`Chain head held by the depot: record ${head.seq}`, { trusted: true });
  write.text(`Head hash: ${head.hash}`, { font: fonts.mono, trusted: true });
  const signed = await newestSignedHead(client, station);
  write.text(
    signed === null
      ? 'The depot holds no chain head signed by this station.'
      : `Newest head the station signed: record ${signed.headSeq}, signed ${signed.exportedAt} (checked by records verify on the JSON Lines export).`,
    { trusted: true },
  );
  write.text(`Records: ${counts.records}   provisioned: ${counts.records - counts.failed}   failed: ${counts.failed}`, { font: fonts.bold, trusted: true });
  write.gap();

  write.text('Devices', { font: fonts.bold, trusted: true });
  const devices = startTable(write, DEVICE_HEADER);
  for await (const page of viewedRecords(client, station.name, filter)) for (const { record } of page) devices.add(deviceRows(record));
  devices.end();
  write.gap();

  write.text(`Failures (${counts.failed})`, { font: fonts.bold, trusted: true });
  if (counts.failed === 0) write.text('No handset of this station in this report failed.', { trusted: true });
  else {
    const failures = startTable(write, FAILURE_HEADER);
    for await (const page of viewedRecords(client, station.name, filter)) {
      for (const { record } of page) if (record.outcome === 'failed') failures.add(failureRows(record));
    }
    failures.end();
  }
  write.gap();

  const entries = await viewedLabels(client, station.name, filter);
  write.text(`Labels (${entries.length})`, { font: fonts.bold, trusted: true });
  if (entries.length === 0) write.text('No label was printed for a handset of this station in this report.', { trusted: true });
  else {
    write.text(LABELS_LEGEND, { trusted: true });
    const labels = startTable(write, LABEL_HEADER);
    for (const entry of entries) labels.add(labelRows(entry));
    labels.end();
  }
  return entries.length;
}

export async function exportDepotPdf(config: pg.ClientConfig, filter: DepotExportFilter, out: string, now: () => Date = () => new Date()): Promise<DepotViewSummary> {
  const report = await openPdfReport('Lockstep depot report');
  const { write, fonts, heading } = report;
  const exportedAt = now().toISOString();
  return withDepotSnapshot(config, filter, async ({ client, database, stations }) => {
    // Counted first, so the totals and each section's heading come before its tables.
    const counts = new Map<string, Tally>();
    for (const station of stations) counts.set(station.name, await tally(client, station.name, filter));
    const total = [...counts.values()].reduce((sum, each) => ({ records: sum.records + each.records, failed: sum.failed + each.failed }), { records: 0, failed: 0 });

    // The database name is the administrator's text, checked by PostgreSQL only for its length.
    write.text(`Exported ${exportedAt} from the depot database ${database}`);
    write.gap();
    write.text(`Filter: station ${filter.station ?? 'all'}, recorded from ${filter.from ?? 'the start'}, until ${filter.to ?? 'now'}`, { trusted: true });
    write.text(`Stations: ${stations.length}   records: ${total.records}   provisioned: ${total.records - total.failed}   failed: ${total.failed}`, {
      font: fonts.bold,
      trusted: true,
    });
    write.text(JSONL_ONLY_VERIFIED, { trusted: true });
    write.gap();
    write.text(DEVICES_LEGEND, { trusted: true });

    let labels = 0;
    for (const station of stations) labels += await stationSection(report, client, station, filter, counts.get(station.name) ?? { records: 0, failed: 0 });

    heading('Verification');
    write.text(
      'This report is not signed: the depot holds no station key. Each station signs the chain heads it pushes, and records verify checks those ' +
        'signatures in the JSON Lines export.',
      { trusted: true },
    );
    write.text(JSONL_ONLY_VERIFIED, { trusted: true });
    await writeFileAtomically(out, [await savePdfReport(report, `Lockstep depot report ${exportedAt}`)]);
    const summary = { stations: stations.length, records: total.records, labels };
    return report.fontWarning === null ? summary : { ...summary, warning: report.fontWarning };
  });
}
