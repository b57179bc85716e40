// What a station pushes to its depot, read from its SQLite journal: each stream's rows after the
// last one the depot acknowledged, in id order. The reads go through a read-only connection of their
// own, so they never take the write lock the pipeline commits under.
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import type { DepotStream } from '../../shared/depot.ts';
import { canonicalJson } from '../records/canonical-json.ts';

/** A row of batches, authorisations or step events: its id and its columns as canonical JSON. */
export interface StreamRow {
  readonly id: number;
  readonly body: string;
}

/** A provisioning record exactly as hashed: `body` is the stored canonical JSON. */
export interface RecordRow {
  readonly id: number;
  readonly prevHash: string;
  readonly hash: string;
  readonly body: string;
}

// The columns are named, not `*`: what a station sends for a row must not change when a later
// journal migration adds a column, or a re-send of an acknowledged row would read as a rewrite.
const ROW_QUERIES = {
  batches: 'SELECT id, name, product, bundle_hash, bundle_version, operator_id, started_at, asset_tag_pattern FROM batches WHERE id > ? ORDER BY id LIMIT ?',
  authorisations:
    'SELECT id, batch_id, supervisor_id, fuses_json, lock, bundle_hash, device_cap, created_at, expires_at FROM authorisations WHERE id > ? ORDER BY id LIMIT ?',
  step_events: `SELECT e.id, d.batch_id, e.device_id, d.serial AS device_serial, e.step, e.status, e.code, e.data_json, e.unconverted, e.detail,
      e.operator_id, e.at, e.authorised, e.authorisation_id, e.authorisation_reason
    FROM step_events e JOIN devices d ON d.id = e.device_id WHERE e.id > ? ORDER BY e.id LIMIT ?`,
} as const;

const ID_COLUMNS: Record<DepotStream, { table: string; id: string }> = {
  batches: { table: 'batches', id: 'id' },
  authorisations: { table: 'authorisations', id: 'id' },
  step_events: { table: 'step_events', id: 'id' },
  records: { table: 'provisioning_records', id: 'seq' },
};

export interface StationSource {
  readonly rows: (stream: Exclude<DepotStream, 'records'>, after: number, limit: number) => StreamRow[];
  readonly records: (after: number, limit: number) => RecordRow[];
  /** How many rows of the stream lie after `after`: the backlog. */
  readonly countAfter: (stream: DepotStream, after: number) => number;
  readonly close: () => void;
}

export function openStationSource(databasePath: string): StationSource {
  const db = new DatabaseSync(databasePath, { readOnly: true, timeout: 5_000 });
  const rowQueries = {
    batches: db.prepare(ROW_QUERIES.batches),
    authorisations: db.prepare(ROW_QUERIES.authorisations),
    step_events: db.prepare(ROW_QUERIES.step_events),
  };
  const recordQuery = db.prepare('SELECT seq, prev_hash, hash, body_json FROM provisioning_records WHERE seq > ? ORDER BY seq LIMIT ?');
  const counts = Object.fromEntries(
    Object.entries(ID_COLUMNS).map(([stream, { table, id }]) => [stream, db.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${id} > ?`)]),
  ) as Record<DepotStream, ReturnType<DatabaseSync['prepare']>>;

  return {
    rows(stream, after, limit) {
      return rowQueries[stream].all(after, limit).map((row) => {
        // node:sqlite's rows have no prototype; canonical JSON encodes plain objects only.
        const plain: Record<string, SQLInputValue> = { ...(row as Record<string, SQLInputValue>) };
        return { id: plain.id as number, body: canonicalJson(plain) };
      });
    },
    records(after, limit) {
      return recordQuery.all(after, limit).map((row) => {
        const record = row as { seq: number; prev_hash: string; hash: string; body_json: string };
        return { id: record.seq, prevHash: record.prev_hash, hash: record.hash, body: record.body_json };
      });
    },
    countAfter(stream, after) {
      return (counts[stream].get(after) as { n: number }).n;
    },
    close: () => db.close(),
  };
}
