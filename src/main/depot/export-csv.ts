// `lockstep depot export --format csv`: the records of every station (or one) in the range, one row
// each with its station in front, for spreadsheets. Each cell is the station CSV's own
// (src/main/records/export-csv.ts: escaped, capped, formula triggers neutralised, RFC 4180). A view
// for reading: only the JSON Lines export can be verified; the hashes let a row be matched to it.
import type pg from 'pg';
import type { DepotExportFilter } from '../../shared/depot-export.ts';
import { csvRecordRow, csvTextCell, DEPOT_CSV_HEADER } from '../records/export-csv.ts';
import { writeFileAtomically } from '../records/export-file.ts';
import { viewedRecords, withDepotSnapshot } from './export-snapshot.ts';

/** How much a CSV or PDF view of the depot holds, for the confirmation line. */
export interface DepotViewSummary {
  readonly stations: number;
  readonly records: number;
  /** As a station export's (src/main/records/export-source.ts). */
  readonly warning?: string;
}

export async function exportDepotCsv(config: pg.ClientConfig, filter: DepotExportFilter, out: string): Promise<DepotViewSummary> {
  return withDepotSnapshot(config, filter, async ({ client, stations }) => {
    let records = 0;
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
    await writeFileAtomically(out, rows());
    return { stations: stations.length, records };
  });
}
