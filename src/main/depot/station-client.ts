// A station's calls to its depot: one connection as the station's login role, through which it only
// ever calls the depot's ingest functions (migrations.ts), each checked against its key fingerprint.
import {
  DEPOT_STREAMS,
  depotJoinMarkSchema,
  tagLeaseSchema,
  type DepotCredentials,
  type DepotJoinMark,
  type DepotHeads,
  type DepotStream,
  type LabelStream,
  type StationReport,
  type TagLease,
} from '../../shared/depot.ts';
import type { ChainHeadLine } from '../../shared/records.ts';
import { pinProof } from '../records/pin-hash.ts';
import { boundedClient, CLOSE_GRACE_MS } from './bounded-close.ts';
import { DepotError } from './errors.ts';
import { stationConnection } from './connection.ts';
import { depotOperatorValues, MADE_BY_SQL, type DepotOperatorArguments } from './operators-admin.ts';
import type { LabelRow, RecordRow, StreamRow } from './station-source.ts';

export interface StationClient {
  /** What the depot holds of this station: where the sync resumes. */
  readonly hello: () => Promise<DepotHeads>;
  /** Sends rows of one stream in id order; returns the highest id the depot now holds. */
  readonly ingestRows: (stream: Exclude<DepotStream, 'records' | LabelStream>, rows: readonly StreamRow[]) => Promise<number>;
  /** Sends label jobs or outcomes in id order, each naming its record (an outcome its job); returns the highest id the depot now holds. */
  readonly ingestLabels: (stream: LabelStream, rows: readonly LabelRow[]) => Promise<number>;
  /** Sends records in chain order; returns the highest seq the depot now holds. */
  readonly ingestRecords: (records: readonly RecordRow[]) => Promise<number>;
  /** False once the connection broke (the server went away): the next call would fail. */
  readonly alive: () => boolean;
  /** Asks the depot for a new block of asset tag numbers (depot.lease_tags). */
  readonly leaseTags: () => Promise<TagLease>;
  /** The leases the depot gave this station after the one with id `after`, oldest first. */
  readonly leasesAfter: (after: number) => Promise<TagLease[]>;
  /**
   * The operator changes made at the depot after the one with id `after`, in order, as plain objects
   * for the journal to validate, and how long the station may sign operators in from its copy.
   */
  readonly operatorChanges: (after: number) => Promise<{ changes: unknown[]; offlineSignInS: number }>;
  /** Every operator the depot holds, in its newest state, as plain objects for the station to validate. */
  readonly depotOperators: () => Promise<unknown[]>;
  /** Journals this join at the depot (depot.record_join): the station's own operators may be offered under it for a while. */
  readonly recordJoin: () => Promise<DepotJoinMark>;
  /**
   * Adds operators of this station the depot lacks, under the join whose comparison the admin saw
   * (depot.offer_operators: refused whole if it holds any of the ids, or the join is not the latest or too old).
   */
  readonly offerOperators: (joinId: number | null, operators: readonly { id: string; displayName: string; role: string; pinHash: string }[]) => Promise<void>;
  /**
   * Makes a change an admin asked for in Settings, at the depot (depot.station_change_operator): the
   * admin's PIN proven against the depot's own verifier. Returns the change's id; a refusal throws a
   * DepotError with the depot's SQLSTATE (a wrong PIN is answered, and counted, rather than raised).
   */
  readonly changeOperator: (admin: { readonly id: string; readonly pin: string }, args: DepotOperatorArguments) => Promise<number>;
  /** The newest record of this station whose head the depot holds signed (0 for none). */
  readonly signedHeadSeq: () => Promise<number>;
  /** Sends a head the station signed (the head line of its unfiltered export at that record). */
  readonly ingestSignedHead: (head: ChainHeadLine) => Promise<void>;
  /** Tells the depot what only the station knows: its backlog, a refusal, its tags left. */
  readonly report: (report: StationReport) => Promise<void>;
  readonly close: () => Promise<void>;
}

export async function connectStation(credentials: DepotCredentials, timeoutMs: number): Promise<StationClient> {
  // Closing is bounded (bounded-close.ts), by the sync's timeout when that is shorter.
  const { client, close } = boundedClient(stationConnection(credentials, timeoutMs), Math.min(timeoutMs, CLOSE_GRACE_MS));
  // A connection that breaks while idle emits 'error' (or just 'end'); the next call then fails and says why.
  let alive = true;
  client.on('error', () => (alive = false));
  client.on('end', () => (alive = false));
  try {
    await client.connect();
  } catch (error) {
    await close();
    throw error;
  }
  const key = credentials.keyFingerprint;
  /** A lease as the depot describes it, checked: its pattern ends up printed on handsets. */
  const lease = (row: { id: unknown; pattern: unknown; first_seq: unknown; last_seq: unknown; leased_at: unknown }): TagLease => {
    const leasedAt = row.leased_at instanceof Date ? row.leased_at.toISOString() : row.leased_at;
    const parsed = tagLeaseSchema.safeParse({ id: row.id, pattern: row.pattern, firstSeq: row.first_seq, lastSeq: row.last_seq, leasedAt });
    if (!parsed.success) throw new DepotError(`the depot sent a tag lease this station cannot use: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return parsed.data;
  };
  const head = async (sql: string, values: unknown[]): Promise<number> => Number((await client.query<{ head: string }>(sql, values)).rows[0]?.head);
  return {
    async hello() {
      const row = {
        ...((await client.query('SELECT * FROM depot.hello($1)', [key])).rows[0] as Record<string, string>),
        ...((await client.query('SELECT * FROM depot.label_heads($1)', [key])).rows[0] as Record<string, string>),
      };
      const heads = Object.fromEntries(DEPOT_STREAMS.map((stream) => [stream, Number(row[`head_${stream}`])])) as Record<DepotStream, number>;
      return { ...heads, recordHash: String(row.head_record_hash) };
    },
    ingestRows: (stream, rows) =>
      head(`SELECT depot.ingest_${stream}($1, $2, $3) AS head`, [key, rows.map((row) => row.id), rows.map((row) => row.body)]),
    ingestLabels: (stream, rows) =>
      stream === 'label_jobs'
        ? head('SELECT depot.ingest_label_jobs($1, $2, $3, $4) AS head', [key, rows.map((row) => row.id), rows.map((row) => row.recordSeq), rows.map((row) => row.body)])
        : head('SELECT depot.ingest_label_outcomes($1, $2, $3, $4, $5, $6) AS head', [
            key,
            rows.map((row) => row.id),
            rows.map((row) => row.recordSeq),
            rows.map((row) => row.jobId),
            rows.map((row) => row.status),
            rows.map((row) => row.body),
          ]),
    ingestRecords: (records) =>
      head('SELECT depot.ingest_records($1, $2, $3, $4, $5) AS head', [
        key,
        records.map((record) => record.id),
        records.map((record) => record.prevHash),
        records.map((record) => record.hash),
        records.map((record) => record.body),
      ]),
    alive: () => alive,
    async leaseTags() {
      const result = await client.query(
        'SELECT lease_id AS id, lease_pattern AS pattern, lease_first_seq AS first_seq, lease_last_seq AS last_seq, lease_leased_at AS leased_at FROM depot.lease_tags($1)',
        [key],
      );
      if (result.rows.length !== 1) throw new DepotError(`the depot answered a tag lease with ${result.rows.length} rows`);
      return lease(result.rows[0]);
    },
    async leasesAfter(after) {
      // Row-level security shows this station's own leases only.
      const result = await client.query('SELECT id, pattern, first_seq, last_seq, leased_at FROM depot.tag_leases WHERE id > $1 ORDER BY id', [after]);
      return result.rows.map(lease);
    },
    async operatorChanges(after) {
      const result = await client.query<Record<string, unknown>>(
        `SELECT id, operator_id, change, display_name, role, pin_hash, disabled, made_at, ${MADE_BY_SQL} AS made_by FROM depot.operator_changes WHERE id > $1 ORDER BY id`,
        [after],
      );
      const settings = await client.query<{ seconds: number }>('SELECT offline_sign_in_s AS seconds FROM depot.operator_settings ORDER BY id DESC LIMIT 1');
      const changes = result.rows.map((row) => ({
        id: Number(row.id),
        operatorId: row.operator_id,
        change: row.change,
        displayName: row.display_name,
        role: row.role,
        pinHash: row.pin_hash,
        disabled: row.disabled,
        madeAt: row.made_at instanceof Date ? row.made_at.toISOString() : row.made_at,
        madeBy: row.made_by,
      }));
      return { changes, offlineSignInS: Number(settings.rows[0]?.seconds) };
    },
    async depotOperators() {
      const result = await client.query<Record<string, unknown>>(
        `SELECT DISTINCT ON (operator_id) operator_id, display_name, role, pin_hash, disabled FROM depot.operator_changes ORDER BY operator_id, id DESC`,
      );
      return result.rows.map((row) => ({ id: row.operator_id, displayName: row.display_name, role: row.role, pinHash: row.pin_hash, disabled: row.disabled }));
    },
    async recordJoin() {
      const row = (await client.query<{ join_id: string; join_at: Date }>('SELECT join_id, join_at FROM depot.record_join($1)', [key])).rows[0];
      const parsed = depotJoinMarkSchema.safeParse({ id: Number(row?.join_id), joinedAt: row?.join_at instanceof Date ? row.join_at.toISOString() : null });
      if (!parsed.success) throw new DepotError(`the depot answered the join with no usable id: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      return parsed.data;
    },
    async offerOperators(joinId, operators) {
      await client.query('SELECT depot.offer_operators($1, $2, $3, $4, $5, $6)', [
        key,
        joinId,
        operators.map((operator) => operator.id),
        operators.map((operator) => operator.displayName),
        operators.map((operator) => operator.role),
        operators.map((operator) => operator.pinHash),
      ]);
    },
    async changeOperator(admin, args) {
      const kdf = await client.query<{ kdf: string }>(
        `SELECT p.kdf FROM depot.operator_pin_proofs p
         WHERE p.change_id = (SELECT max(c.id) FROM depot.operator_changes c WHERE c.operator_id = $1 AND c.change IN ('added', 'pin-reset'))`,
        [admin.id],
      );
      const held = kdf.rows[0]?.kdf;
      // No verifier (a PIN set before the depot could check PINs), or one this station will not derive: the depot refuses, saying why.
      const proof = held === undefined ? null : pinProof(admin.pin, held);
      const result = await client.query<{ change_id: string | null; refused_code: string | null; refused_reason: string | null }>(
        'SELECT * FROM depot.station_change_operator($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
        [key, admin.id, proof, ...depotOperatorValues(args)],
      );
      const row = result.rows[0];
      if (!row || row.change_id === null) throw new DepotError(`the depot said: ${row?.refused_reason ?? 'no answer'}`, row?.refused_code ?? null);
      return Number(row.change_id);
    },
    async signedHeadSeq() {
      // Row-level security shows this station's own heads only.
      return Number((await client.query<{ seq: string }>('SELECT coalesce(max(head_seq), 0) AS seq FROM depot.signed_heads')).rows[0]?.seq ?? 0);
    },
    async ingestSignedHead(head) {
      await client.query('SELECT depot.ingest_signed_head($1, $2, $3, $4, $5, $6, $7)', [
        key,
        head.headSeq,
        head.headHash,
        head.exportedAt,
        head.format,
        head.stationPublicKey,
        head.signature,
      ]);
    },
    async report(report) {
      await client.query('SELECT depot.report_station($1, $2, $3, $4, $5, $6)', [
        key,
        JSON.stringify(report.backlog),
        report.refusal,
        report.tagsLeft,
        report.tagsPending,
        report.tagWarning,
      ]);
    },
    close,
  };
}
