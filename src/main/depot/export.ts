// `lockstep depot export --format jsonl`: every station's chain as the depot holds it, as JSON Lines
// an auditor verifies offline (docs/records.md, "The depot export"). For each station: its records
// whose recordedAt falls in [from, to), the records in between as elided lines, up to the depot's
// head for it, then the station's head line. The chain lines are the bytes a station's own export
// writes, read from PostgreSQL's `json` column, which keeps the text it was given.
import type pg from 'pg';
import { DEPOT_EXPORT_FORMAT, type DepotExportFilter, type StationHeadLine } from '../../shared/depot-export.ts';
import { canonicalJson } from '../records/canonical-json.ts';
import { GENESIS_HASH, type ChainLink } from '../records/chain.ts';
import { unfilteredHeadFields } from '../records/signed-head.ts';
import type { ChainHeadLine } from '../../shared/records.ts';
import { writeFileAtomically } from '../records/export-file.ts';
import { elidedLineText, recordLineText } from '../records/export-line.ts';
import { heldLabelPages, heldRecordPages, inRange, withDepotSnapshot, type StationRow } from './export-snapshot.ts';

export interface DepotExportSummary {
  readonly stations: number;
  readonly records: number;
  readonly lines: number;
}

/**
 * The newest head the station signed, rebuilt as the chain-head line it signed (the depot keeps the
 * members that line is made of). Read in the export's transaction, so it is a record the section holds.
 */
export async function newestSignedHead(client: pg.Client, station: StationRow): Promise<ChainHeadLine | null> {
  const result = await client.query<{ head_seq: string; head_hash: string; signed_at: string; format: string; public_key: string; signature: string }>(
    'SELECT head_seq, head_hash, signed_at, format, public_key, signature FROM depot.signed_heads WHERE station = $1 ORDER BY head_seq DESC LIMIT 1',
    [station.name],
  );
  const row = result.rows[0];
  if (!row) return null;
  // The format is the station's text as it signed it; records verify judges it.
  const format = row.format as ChainHeadLine['format'];
  const fields = unfilteredHeadFields({ fingerprint: station.key_fingerprint, publicKey: row.public_key }, { seq: Number(row.head_seq), hash: row.head_hash }, row.signed_at, format);
  return { ...fields, signature: row.signature };
}

/**
 * The section's label lines (format 3): each job, then each outcome, of a record the section holds in
 * full, in id order, its body as the station sent it (canonical JSON, so the line is too).
 */
async function* labelLines(
  client: pg.Client,
  station: string,
  recordSeqs: ReadonlySet<number>,
  counts: { labelJobs: number; labelOutcomes: number },
): AsyncGenerator<string> {
  for (const [table, type, member, count] of [
    ['label_jobs', 'label-job', 'job', 'labelJobs'],
    ['label_outcomes', 'label-outcome', 'outcome', 'labelOutcomes'],
  ] as const) {
    for await (const page of heldLabelPages(client, table, station)) {
      const held = page.filter(({ recordSeq }) => recordSeqs.has(recordSeq));
      counts[count] += held.length;
      if (held.length > 0) yield held.map(({ body }) => `${canonicalJson({ type, [member]: JSON.parse(body) as unknown })}\n`).join('');
    }
  }
}

/** One station's section: chain lines from the first matching record to the head, its label lines, then its head line. */
async function* stationSection(client: pg.Client, station: StationRow, filter: DepotExportFilter, counts: { records: number; lines: number }): AsyncGenerator<string> {
  const recordSeqs = new Set<number>();
  let started = false;
  let first: ChainLink | null = null;
  let last: ChainLink | null = null;
  let lines = 0;
  let records = 0;
  for await (const page of heldRecordPages(client, station.name)) {
    let text = '';
    for (const { link, body } of page) {
      last = link;
      const wanted = inRange(body, filter);
      // Records before the first match are not in the export; from it on, every record is, in full or elided.
      if (!started && !wanted) continue;
      started = true;
      first ??= link;
      lines += 1;
      if (wanted) {
        records += 1;
        recordSeqs.add(link.seq);
      }
      text += `${wanted ? recordLineText(link, body) : elidedLineText(link)}\n`;
    }
    if (text) yield text;
  }
  const labels = { labelJobs: 0, labelOutcomes: 0 };
  yield* labelLines(client, station.name, recordSeqs, labels);
  counts.records += records;
  counts.lines += lines + labels.labelJobs + labels.labelOutcomes + 1;
  const signedHead = await newestSignedHead(client, station);
  const head: StationHeadLine = {
    type: 'station-head',
    station: station.name,
    keyFingerprint: station.key_fingerprint,
    registeredAt: station.registered_at.toISOString(),
    lines,
    records,
    firstPrevHash: first?.prevHash ?? last?.hash ?? GENESIS_HASH,
    headSeq: last?.seq ?? 0,
    headHash: last?.hash ?? GENESIS_HASH,
    publicKey: signedHead?.stationPublicKey ?? null,
    signedHead,
    ...labels,
  };
  yield `${canonicalJson(head)}\n`;
}

/**
 * Writes the depot export to `out` (under a temporary name, then renamed), reading as the
 * administrator or an auditor (`lockstep_auditor` reads every row).
 */
export async function exportDepot(config: pg.ClientConfig, filter: DepotExportFilter, out: string, now: () => Date = () => new Date()): Promise<DepotExportSummary> {
  const counts = { records: 0, lines: 1, stations: 0 };
  return withDepotSnapshot(config, filter, async ({ client, database, stations }) => {
    async function* file(): AsyncGenerator<string> {
      yield `${canonicalJson({ type: 'depot-export', format: DEPOT_EXPORT_FORMAT })}\n`;
      for (const station of stations) {
        counts.stations += 1;
        yield* stationSection(client, station, filter, counts);
      }
      yield `${canonicalJson({ type: 'depot-head', database, exportedAt: now().toISOString(), filter, stations: counts.stations, lines: counts.lines, records: counts.records })}\n`;
    }
    await writeFileAtomically(out, file());
    return { stations: counts.stations, records: counts.records, lines: counts.lines + 1 };
  });
}
