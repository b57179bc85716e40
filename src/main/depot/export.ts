// `lockstep depot export`: every station's chain as the depot holds it, as JSON Lines an auditor
// verifies offline (docs/records.md, "The depot export"). For each station: its records whose
// recordedAt falls in [from, to), the records in between as elided lines, up to the depot's head for
// it, then the station's head line. The chain lines are the bytes a station's own export writes,
// read from PostgreSQL's `json` column, which keeps the text it was given.
import pg from 'pg';
import { DEPOT_EXPORT_FORMAT, type DepotExportFilter, type StationHeadLine } from '../../shared/depot-export.ts';
import { canonicalJson } from '../records/canonical-json.ts';
import { GENESIS_HASH, type ChainLink } from '../records/chain.ts';
import { unfilteredHeadFields } from '../records/signed-head.ts';
import type { ChainHeadLine } from '../../shared/records.ts';
import { writeFileAtomically } from '../records/export-file.ts';
import { elidedLineText, recordLineText } from '../records/export-line.ts';
import { RecordsError } from '../records/errors.ts';
import { DepotError } from './errors.ts';
import { asDepotError } from './refusals.ts';

/** Records read per query: one page of a station's chain in memory at a time. */
const PAGE = 1_000;

export interface DepotExportSummary {
  readonly stations: number;
  readonly records: number;
  readonly lines: number;
}

/** The record's own commit time, compared as text (it is always in Date.toISOString's form). */
function recordedAt(body: string): string | null {
  try {
    const value = (JSON.parse(body) as { recordedAt?: unknown } | null)?.recordedAt;
    return typeof value === 'string' ? value : null;
  } catch {
    return null;
  }
}

function matches(body: string, filter: DepotExportFilter): boolean {
  if (filter.from === null && filter.to === null) return true;
  const at = recordedAt(body);
  return at !== null && (filter.from === null || at >= filter.from) && (filter.to === null || at < filter.to);
}

interface StationRow {
  readonly name: string;
  readonly key_fingerprint: string;
  readonly registered_at: Date;
}

/**
 * The newest head the station signed, rebuilt as the chain-head line it signed (the depot keeps the
 * members that line is made of). Read in the export's transaction, so it is a record the section holds.
 */
async function newestSignedHead(client: pg.Client, station: StationRow): Promise<ChainHeadLine | null> {
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

/** One station's section: chain lines from the first matching record to the head, then its head line. */
async function* stationSection(client: pg.Client, station: StationRow, filter: DepotExportFilter, counts: { records: number; lines: number }): AsyncGenerator<string> {
  let after = 0;
  let started = false;
  let first: ChainLink | null = null;
  let last: ChainLink | null = null;
  let lines = 0;
  let records = 0;
  for (;;) {
    const page = await client.query<{ seq: string; prev_hash: string; hash: string; body: string }>(
      'SELECT seq, prev_hash, hash, body::text AS body FROM depot.records WHERE station = $1 AND seq > $2 ORDER BY seq LIMIT $3',
      [station.name, after, PAGE],
    );
    if (page.rows.length === 0) break;
    let text = '';
    for (const row of page.rows) {
      const link: ChainLink = { seq: Number(row.seq), prevHash: row.prev_hash, hash: row.hash };
      after = link.seq;
      last = link;
      const wanted = matches(row.body, filter);
      // Records before the first match are not in the export; from it on, every record is, in full or elided.
      if (!started && !wanted) continue;
      started = true;
      first ??= link;
      lines += 1;
      if (wanted) records += 1;
      text += `${wanted ? recordLineText(link, row.body) : elidedLineText(link)}\n`;
    }
    if (text) yield text;
  }
  counts.records += records;
  counts.lines += lines + 1;
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
  };
  yield `${canonicalJson(head)}\n`;
}

/**
 * Writes the depot export to `out` (under a temporary name, then renamed), reading as the
 * administrator or an auditor (`lockstep_auditor` reads every row). One repeatable-read transaction,
 * so every station's section is taken at the same moment.
 */
export async function exportDepot(config: pg.ClientConfig, filter: DepotExportFilter, out: string, now: () => Date = () => new Date()): Promise<DepotExportSummary> {
  const client = new pg.Client(config);
  client.on('error', () => undefined);
  const counts = { records: 0, lines: 1, stations: 0 };
  try {
    await client.connect();
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const database = (await client.query<{ name: string }>('SELECT current_database() AS name')).rows[0]?.name ?? '';
    const stations = await client.query<StationRow>(
      'SELECT name, key_fingerprint, registered_at FROM depot.stations WHERE $1::text IS NULL OR name = $1 ORDER BY name',
      [filter.station],
    );
    if (filter.station !== null && stations.rows.length === 0) throw new DepotError(`the depot has no station named ${filter.station}.`);
    async function* file(): AsyncGenerator<string> {
      yield `${canonicalJson({ type: 'depot-export', format: DEPOT_EXPORT_FORMAT })}\n`;
      for (const station of stations.rows) {
        counts.stations += 1;
        yield* stationSection(client, station, filter, counts);
      }
      yield `${canonicalJson({ type: 'depot-head', database, exportedAt: now().toISOString(), filter, stations: counts.stations, lines: counts.lines, records: counts.records })}\n`;
    }
    await writeFileAtomically(out, file());
    await client.query('COMMIT');
    return { stations: counts.stations, records: counts.records, lines: counts.lines + 1 };
  } catch (error) {
    // A file that cannot be written keeps the records' own code (EXPORT_NOT_WRITABLE, …).
    throw error instanceof RecordsError ? error : asDepotError(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}
