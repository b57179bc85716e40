// `lockstep depot export --format csv`: the records of every station (or one) in the range, one row
// each with its station in front, for spreadsheets. Each cell is the station CSV's own
// (src/main/records/export-csv.ts: escaped, capped, formula triggers neutralised, RFC 4180). Their
// label jobs and outcomes go to a second file beside it, `NAME.labels.csv`, one row per print of a
// label (export-label-views.ts): a row kind mixed into the records file would break its one row per
// record, each exactly the station's own row. A view for reading: only the JSON Lines export can be
// verified; the hashes let a row be matched to it.
import type pg from 'pg';
import type { DepotExportFilter } from '../../shared/depot-export.ts';
import { csvRecordRow, csvTextCell, DEPOT_CSV_HEADER } from '../records/export-csv.ts';
import { writeFileAtomically } from '../records/export-file.ts';
import { labelStatus, viewedLabels, type LabelEntry } from './export-label-views.ts';
import { viewedRecords, withDepotSnapshot } from './export-snapshot.ts';

/** How much a CSV or PDF view of the depot holds, for the confirmation line. */
export interface DepotViewSummary {
  readonly stations: number;
  readonly records: number;
  /** Label entries (a job with its outcome, a job not taken, an outcome without a job) of those records. */
  readonly labels: number;
  /** The CSV's second file, of the labels. */
  readonly labelsPath?: string;
  /** As a station export's (src/main/records/export-source.ts). */
  readonly warning?: string;
}

const id = (value: number | null | undefined): string => (value === null || value === undefined ? '' : String(value));

/** The labels file's columns after `station`: the record, the job (empty for an outcome from before jobs), its outcome (empty when not taken). */
const LABEL_COLUMNS: readonly [string, (entry: LabelEntry) => string][] = [
  ['record_seq', (e) => String(e.recordSeq)],
  ['serial', (e) => csvTextCell(e.serial)],
  ['job_id', (e) => id(e.job?.id)],
  ['kind', (e) => csvTextCell(e.job?.kind ?? null)],
  ['requested_at', (e) => csvTextCell(e.job?.requested_at ?? null)],
  ['requested_by', (e) => csvTextCell(e.job?.operator_id ?? null)],
  ['reason', (e) => csvTextCell(e.job?.reason ?? null)],
  ['printer', (e) => csvTextCell(e.job?.printer ?? e.outcome?.printer ?? null)],
  ['format', (e) => csvTextCell(e.job?.format ?? null)],
  ['template', (e) => csvTextCell(e.job?.template ?? null)],
  ['status', (e) => csvTextCell(labelStatus(e))],
  ['outcome_id', (e) => id(e.outcome?.id)],
  ['outcome_at', (e) => csvTextCell(e.outcome?.at ?? null)],
  ['outcome_by', (e) => csvTextCell(e.outcome?.operator_id ?? null)],
  ['printer_detail', (e) => csvTextCell(e.outcome?.detail ?? null)],
];

/** The first line of the depot's labels CSV. */
export const DEPOT_LABELS_CSV_HEADER = ['station', ...LABEL_COLUMNS.map(([name]) => name)].join(',');

/** Where the labels of the CSV written to `out` go: `depot.csv` → `depot.labels.csv`. */
export const labelsCsvPath = (out: string): string => `${out.replace(/\.csv$/i, '')}.labels.csv`;

export async function exportDepotCsv(config: pg.ClientConfig, filter: DepotExportFilter, out: string): Promise<DepotViewSummary> {
  return withDepotSnapshot(config, filter, async ({ client, stations }) => {
    let records = 0;
    let labels = 0;
    async function* rows(): AsyncGenerator<string> {
      yield `${DEPOT_CSV_HEADER}\r\n`;
      for (const station of stations) {
        const name = csvTextCell(station.name);
        for await (const page of viewedRecords(client, station.name, filter)) {
          records += page.length;
          yield page.map(({ link, record }) => `${name},${csvRecordRow(record, link)}\r\n`).join('');
        }
      }
    }
    async function* labelRows(): AsyncGenerator<string> {
      yield `${DEPOT_LABELS_CSV_HEADER}\r\n`;
      for (const station of stations) {
        const name = csvTextCell(station.name);
        const entries = await viewedLabels(client, station.name, filter);
        labels += entries.length;
        if (entries.length > 0) yield entries.map((entry) => `${name},${LABEL_COLUMNS.map(([, cell]) => cell(entry)).join(',')}\r\n`).join('');
      }
    }
    const labelsPath = labelsCsvPath(out);
    // Both from the same snapshot. Should the second write fail, the export fails saying so, and the labels file
    // written may stand beside an older records file: export again.
    await writeFileAtomically(labelsPath, labelRows());
    await writeFileAtomically(out, rows());
    return { stations: stations.length, records, labels, labelsPath };
  });
}
