// What every depot export reads from (`lockstep depot export`, jsonl, csv or pdf): one repeatable-read
// transaction as the administrator or an auditor, so every station's section is taken at the same
// moment; the stations in name order; each station's chain a page at a time, in seq order.
import type pg from 'pg';
import type { DepotExportFilter } from '../../shared/depot-export.ts';
import { recordLineSchema, type ProvisioningRecordBody } from '../../shared/records.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import type { ChainLink } from '../records/chain.ts';
import { DepotError } from './errors.ts';
import { boundedClient } from './bounded-close.ts';
import { asDepotFailure } from './refusals.ts';

/** Records read per query: one page of a station's chain in memory at a time. */
const PAGE = 1_000;

export interface StationRow {
  readonly name: string;
  readonly key_fingerprint: string;
  readonly registered_at: Date;
}

/** One record as the depot holds it: its place in the chain and its body, the exact text the station hashed. */
export interface HeldRecord {
  readonly link: ChainLink;
  readonly body: string;
}

export interface DepotSnapshot {
  readonly client: pg.Client;
  /** The depot's database name. */
  readonly database: string;
  /** The stations the filter names (all of them without one), in name order. */
  readonly stations: readonly StationRow[];
}

/**
 * Runs `read` in one read-only, repeatable-read transaction. A filter naming a station the depot
 * does not know is refused; a file that cannot be written keeps the records' own code
 * (EXPORT_NOT_WRITABLE, …); anything PostgreSQL says becomes a DepotError with its SQLSTATE.
 */
export async function withDepotSnapshot<T>(config: pg.ClientConfig, filter: DepotExportFilter, read: (snapshot: DepotSnapshot) => Promise<T>): Promise<T> {
  const { client, close } = boundedClient(config);
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const database = (await client.query<{ name: string }>('SELECT current_database() AS name')).rows[0]?.name ?? '';
    const stations = await client.query<StationRow>(
      'SELECT name, key_fingerprint, registered_at FROM depot.stations WHERE $1::text IS NULL OR name = $1 ORDER BY name',
      [filter.station],
    );
    if (filter.station !== null && stations.rows.length === 0) throw new DepotError(`the depot has no station named ${filter.station}.`);
    const result = await read({ client, database, stations: stations.rows });
    await client.query('COMMIT');
    return result;
  } catch (error) {
    throw asDepotFailure(error);
  } finally {
    await close();
  }
}

/** A station's whole chain as the depot holds it, a page at a time. */
export async function* heldRecordPages(client: pg.Client, station: string): AsyncGenerator<HeldRecord[]> {
  let after = 0;
  for (;;) {
    const page = await client.query<{ seq: string; prev_hash: string; hash: string; body: string }>(
      'SELECT seq, prev_hash, hash, body::text AS body FROM depot.records WHERE station = $1 AND seq > $2 ORDER BY seq LIMIT $3',
      [station, after, PAGE],
    );
    if (page.rows.length === 0) return;
    const records = page.rows.map((row) => ({ link: { seq: Number(row.seq), prevHash: row.prev_hash, hash: row.hash }, body: row.body }));
    after = records[records.length - 1]?.link.seq ?? after;
    yield records;
  }
}

/** A label job or outcome as the depot holds it: the record it labels and the station's row, the exact text it sent. */
export interface HeldLabel {
  readonly id: number;
  readonly recordSeq: number;
  readonly body: string;
}

/** A station's label jobs or outcomes as the depot holds them, in id order, a page at a time. */
export async function* heldLabelPages(client: pg.Client, table: 'label_jobs' | 'label_outcomes', station: string): AsyncGenerator<HeldLabel[]> {
  let after = 0;
  for (;;) {
    const page = await client.query<{ id: string; record_seq: string; body: string }>(
      `SELECT id, record_seq, body::text AS body FROM depot.${table} WHERE station = $1 AND id > $2 ORDER BY id LIMIT $3`,
      [station, after, PAGE],
    );
    if (page.rows.length === 0) return;
    const labels = page.rows.map((row) => ({ id: Number(row.id), recordSeq: Number(row.record_seq), body: row.body }));
    after = labels[labels.length - 1]?.id ?? after;
    yield labels;
  }
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

/** Whether a record's recordedAt lies in the filter's [from, to). */
export function inRange(body: string, filter: DepotExportFilter): boolean {
  if (filter.from === null && filter.to === null) return true;
  const at = recordedAt(body);
  return at !== null && (filter.from === null || at >= filter.from) && (filter.to === null || at < filter.to);
}

const recordBodySchema = recordLineSchema.shape.record;

/** A record in the filter's range, its body validated: a view for reading shows only what it has checked. */
export interface ViewedRecord {
  readonly link: ChainLink;
  readonly record: ProvisioningRecordBody;
}

/**
 * A station's records in the filter's range, each body checked against the record formats. The depot
 * checked the body's hash and seq, not its fields (a station sent it); a body that is not a record
 * stops the view, naming it, rather than showing a guess. The JSON Lines export carries it as it is.
 */
export async function* viewedRecords(client: pg.Client, station: string, filter: DepotExportFilter): AsyncGenerator<ViewedRecord[]> {
  for await (const page of heldRecordPages(client, station)) {
    const viewed: ViewedRecord[] = [];
    for (const { link, body } of page) {
      if (!inRange(body, filter)) continue;
      const parsed = recordBodySchema.safeParse(JSON.parse(body));
      if (!parsed.success) {
        throw new DepotError(
          `record ${link.seq} of station ${station} is not a provisioning record this Lockstep can show (${displaySafe(parsed.error.issues[0]?.message ?? 'invalid', 200)}); ` +
            'export the depot as JSON Lines (--format jsonl) and check it with lockstep records verify.',
        );
      }
      viewed.push({ link, record: parsed.data });
    }
    if (viewed.length > 0) yield viewed;
  }
}
