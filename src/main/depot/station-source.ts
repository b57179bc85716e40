// What a station pushes to its depot, read from its SQLite journal: each stream's rows after the
// last one the depot acknowledged, in id order. The reads go through a read-only connection of their
// own, so they never take the write lock the pipeline commits under.
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import type { DepotStream, LabelStream, TagSupply } from '../../shared/depot.ts';
import { canonicalJson } from '../records/canonical-json.ts';
import { createDepotOperators, type DepotOperatorCopy, type OwnOperator } from '../records/depot-operators.ts';
import { createTagLeases } from '../records/tag-leases.ts';

/** A row of batches, authorisations or step events: its id and its columns as canonical JSON. */
export interface StreamRow {
  readonly id: number;
  readonly body: string;
}

/** A label job or outcome: the record it labels and (an outcome) its job and status, which the depot checks. */
export interface LabelRow extends StreamRow {
  readonly recordSeq: number;
  readonly jobId: number | null;
  readonly status: 'accepted' | 'failed' | null;
}

/** A provisioning record exactly as hashed: `body` is the stored canonical JSON. */
export interface RecordRow {
  readonly id: number;
  readonly prevHash: string;
  readonly hash: string;
  readonly body: string;
}

// The columns are named, not `*`: what a station sends for a row must not change when a later
// journal migration adds a column, or a re-send of an acknowledged row would read as a rewrite. For the
// same reason a step event row keeps naming its handset's serial `device_serial`, as depots already hold it
// (the one place outside migrations and old-format readers that still spells it so).
const ROW_QUERIES = {
  batches: 'SELECT id, name, product, bundle_hash, bundle_version, operator_id, started_at, asset_tag_pattern FROM batches WHERE id > ? ORDER BY id LIMIT ?',
  authorisations:
    'SELECT id, batch_id, supervisor_id, fuses_json, lock, bundle_hash, device_cap, created_at, expires_at FROM authorisations WHERE id > ? ORDER BY id LIMIT ?',
  step_events: `SELECT e.id, d.batch_id, e.device_id, d.serial AS device_serial, e.step, e.status, e.code, e.data_json, e.unconverted, e.detail,
      e.operator_id, e.at, e.authorised, e.authorisation_id, e.authorisation_reason
    FROM step_events e JOIN devices d ON d.id = e.device_id WHERE e.id > ? ORDER BY e.id LIMIT ?`,
  // Only tags drawn from the depot's leases, keyed by their record: tags a station numbered itself
  // before joining are not the depot's (its records carry them).
  asset_tags: `SELECT record_seq AS id, record_seq, tag, allocated_at, lease_id, lease_seq FROM asset_tags
    WHERE lease_id IS NOT NULL AND record_seq > ? ORDER BY record_seq LIMIT ?`,
  label_jobs: 'SELECT id, record_seq, kind, printer, format, template, operator_id, reason, requested_at FROM label_jobs WHERE id > ? ORDER BY id LIMIT ?',
  // The station's `labels` rows: each is the outcome of a job (job_id null before its schema 5).
  label_outcomes: 'SELECT id, record_seq, job_id, printer, status, detail, operator_id, at FROM labels WHERE id > ? ORDER BY id LIMIT ?',
} as const;

/** The last id (records: seq) of each stream the station holds: what the depot's heads are compared with. */
const LAST_ID_QUERIES: Record<DepotStream, string> = {
  batches: 'SELECT coalesce(max(id), 0) AS n FROM batches',
  authorisations: 'SELECT coalesce(max(id), 0) AS n FROM authorisations',
  step_events: 'SELECT coalesce(max(id), 0) AS n FROM step_events',
  records: 'SELECT coalesce(max(seq), 0) AS n FROM provisioning_records',
  asset_tags: 'SELECT coalesce(max(record_seq), 0) AS n FROM asset_tags WHERE lease_id IS NOT NULL',
  label_jobs: 'SELECT coalesce(max(id), 0) AS n FROM label_jobs',
  label_outcomes: 'SELECT coalesce(max(id), 0) AS n FROM labels',
};

const BACKLOG_QUERIES: Record<DepotStream, string> = {
  batches: 'SELECT count(*) AS n FROM batches WHERE id > ?',
  authorisations: 'SELECT count(*) AS n FROM authorisations WHERE id > ?',
  step_events: 'SELECT count(*) AS n FROM step_events WHERE id > ?',
  records: 'SELECT count(*) AS n FROM provisioning_records WHERE seq > ?',
  asset_tags: 'SELECT count(*) AS n FROM asset_tags WHERE lease_id IS NOT NULL AND record_seq > ?',
  label_jobs: 'SELECT count(*) AS n FROM label_jobs WHERE id > ?',
  label_outcomes: 'SELECT count(*) AS n FROM labels WHERE id > ?',
};

export interface StationSource {
  readonly rows: (stream: Exclude<DepotStream, 'records' | LabelStream>, after: number, limit: number) => StreamRow[];
  readonly labelRows: (stream: LabelStream, after: number, limit: number) => LabelRow[];
  readonly records: (after: number, limit: number) => RecordRow[];
  /** How many rows of the stream lie after `after`: the backlog. */
  readonly countAfter: (stream: DepotStream, after: number) => number;
  /** The stream's last id (records: seq) in the journal, 0 when it has none. */
  readonly lastId: (stream: DepotStream) => number;
  /** Where the station's asset tags come from and how many its leases have left. */
  readonly tagSupply: () => TagSupply;
  /** The newest lease the station journaled (0 before the first). */
  readonly lastLeaseId: () => number;
  /** The station's copy of its depot's operators, or null before the first. */
  readonly operatorCopy: () => DepotOperatorCopy | null;
  /** The station's own operators (none of the depot's changes applied to them, no clash resolved), PIN hashes included. */
  readonly ownOperators: () => OwnOperator[];
  readonly close: () => void;
}

export function openStationSource(databasePath: string): StationSource {
  const db = new DatabaseSync(databasePath, { readOnly: true, timeout: 5_000 });
  const rowQueries = {
    batches: db.prepare(ROW_QUERIES.batches),
    authorisations: db.prepare(ROW_QUERIES.authorisations),
    step_events: db.prepare(ROW_QUERIES.step_events),
    asset_tags: db.prepare(ROW_QUERIES.asset_tags),
    label_jobs: db.prepare(ROW_QUERIES.label_jobs),
    label_outcomes: db.prepare(ROW_QUERIES.label_outcomes),
  };
  /** A journal row as canonical JSON (node:sqlite's rows have no prototype; canonical JSON encodes plain objects only). */
  const plainRows = (stream: keyof typeof rowQueries, after: number, limit: number): Record<string, SQLInputValue>[] =>
    rowQueries[stream].all(after, limit).map((row) => ({ ...(row as Record<string, SQLInputValue>) }));
  // Only its reading statements run: this connection is read-only.
  const leases = createTagLeases(db, () => new Date());
  const operators = createDepotOperators(db, () => new Date());
  const recordQuery = db.prepare('SELECT seq, prev_hash, hash, body_json FROM provisioning_records WHERE seq > ? ORDER BY seq LIMIT ?');
  const prepareEach = (queries: Record<DepotStream, string>) =>
    Object.fromEntries(Object.entries(queries).map(([stream, sql]) => [stream, db.prepare(sql)])) as Record<DepotStream, ReturnType<DatabaseSync['prepare']>>;
  const counts = prepareEach(BACKLOG_QUERIES);
  const lastIds = prepareEach(LAST_ID_QUERIES);

  return {
    rows: (stream, after, limit) => plainRows(stream, after, limit).map((plain) => ({ id: plain.id as number, body: canonicalJson(plain) })),
    labelRows: (stream, after, limit) =>
      plainRows(stream, after, limit).map((plain) => ({
        id: plain.id as number,
        body: canonicalJson(plain),
        recordSeq: plain.record_seq as number,
        jobId: (plain.job_id as number | null | undefined) ?? null,
        status: (plain.status as LabelRow['status'] | undefined) ?? null,
      })),
    records(after, limit) {
      return recordQuery.all(after, limit).map((row) => {
        const record = row as { seq: number; prev_hash: string; hash: string; body_json: string };
        return { id: record.seq, prevHash: record.prev_hash, hash: record.hash, body: record.body_json };
      });
    },
    countAfter(stream, after) {
      return (counts[stream].get(after) as { n: number }).n;
    },
    lastId: (stream) => (lastIds[stream].get() as { n: number }).n,
    tagSupply: () => leases.supply(),
    lastLeaseId: () => leases.lastLeaseId(),
    operatorCopy: () => operators.copy(),
    ownOperators: () => operators.ownOperators(),
    close: () => db.close(),
  };
}
