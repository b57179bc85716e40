// The provisioning log: one hash-chained, append-only record per handset outcome. A record's
// content is stored as the exact canonical JSON that was hashed, so exports copy those bytes and
// an auditor recomputes the same hash.
import type { DatabaseSync } from 'node:sqlite';
import { z } from 'zod';
import {
  FAILURE_FIELDS,
  failureFieldsRule,
  provisioningRecordBodyV4Schema,
  recordSerial,
  type ProvisioningRecord,
  type ProvisioningRecordBody,
  type RecordFilter,
} from '../../shared/records.ts';
import { formatTag, parseTagPattern } from '../../shared/asset-tag.ts';
import { citationRefusal } from './authorisations.ts';
import { canonicalJson } from './canonical-json.ts';
import { GENESIS_HASH, chainHash, linkBreak, type ChainLink } from './chain.ts';
import { noSuchDevice, RecordsError } from './errors.ts';
import { filterSql } from './record-filter.ts';
import { inWriteTransaction } from './transactions.ts';
import { createTagLeases, type LeasedTag } from './tag-leases.ts';
import { parseInput } from './validation.ts';
import { displaySafe } from '../../shared/untrusted.ts';

/** What the pipeline commits: the record minus what the store assigns (seq, time, batch and serial of the device). */
export const newRecordSchema = provisioningRecordBodyV4Schema
  .omit({ seq: true, recordedAt: true, batchId: true, serial: true, recordVersion: true, assetTag: true })
  .extend({
    deviceId: z.int().positive(),
    failedStep: provisioningRecordBodyV4Schema.shape.failedStep.default(null),
    failureReason: provisioningRecordBodyV4Schema.shape.failureReason.default(null),
    failureCode: provisioningRecordBodyV4Schema.shape.failureCode.default(null),
    fusesFoundSet: provisioningRecordBodyV4Schema.shape.fusesFoundSet.default([]),
  })
  .superRefine(failureFieldsRule(FAILURE_FIELDS[4]));
export type NewRecord = z.input<typeof newRecordSchema>;

/** A stored record as the exports read it: the hashed bytes and the columns filters use. */
export interface RecordRow {
  seq: number;
  batch_id: number;
  recorded_at: string;
  outcome: string;
  body_json: string;
  prev_hash: string;
  hash: string;
}

export function recordFromRow(row: RecordRow): ProvisioningRecord {
  const body = JSON.parse(row.body_json) as ProvisioningRecordBody;
  return { ...body, serial: recordSerial(body), prevHash: row.prev_hash, hash: row.hash };
}

export type ChainCheck =
  | { readonly intact: true; readonly records: number; readonly head: ChainLink }
  | { readonly intact: false; readonly seq: number; readonly message: string };

const COLUMNS = 'seq, batch_id, recorded_at, outcome, body_json, prev_hash, hash';

export function createProvisioningLog(db: DatabaseSync, now: () => Date) {
  const headQuery = db.prepare('SELECT seq, prev_hash AS prevHash, hash FROM provisioning_records ORDER BY seq DESC LIMIT 1');
  const insert = db.prepare(
    'INSERT INTO provisioning_records (seq, device_id, batch_id, recorded_at, outcome, body_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );

  const deviceById = db.prepare('SELECT d.batch_id, d.serial, b.asset_tag_pattern FROM devices d JOIN batches b ON b.id = d.batch_id WHERE d.id = ?');
  const tagTaken = db.prepare('SELECT 1 FROM asset_tags WHERE tag = ?');
  const nextSeq = db.prepare('SELECT next_seq FROM asset_tag_sequences WHERE pattern = ?');
  const saveSeq = db.prepare('INSERT INTO asset_tag_sequences (pattern, next_seq) VALUES (?, ?) ON CONFLICT (pattern) DO UPDATE SET next_seq = excluded.next_seq');
  const insertTag = db.prepare('INSERT INTO asset_tags (tag, record_seq, allocated_at) VALUES (?, ?, ?)');

  /** The next free tag of `pattern`, its sequence advanced past it; inside the record's transaction. */
  function allocateTag(pattern: string, at: Date): string {
    const parsed = parseTagPattern(pattern);
    if ('problem' in parsed) {
      throw new RecordsError('RECORDS_REFUSED', `the batch's asset tag pattern is invalid: ${parsed.problem}`, {
        detail: 'TAG_PATTERN_INVALID',
        params: { pattern: displaySafe(pattern, 80) },
      });
    }
    let seq = (nextSeq.get(pattern) as { next_seq: number } | undefined)?.next_seq ?? 1;
    // Another pattern may have produced the same text already (LS-{seq} and LS-{seq:1}): skip past it.
    while (tagTaken.get(formatTag(parsed, at, seq))) seq += 1;
    saveSeq.run(pattern, seq + 1);
    return formatTag(parsed, at, seq);
  }
  const leases = createTagLeases(db, now);
  const tagOfRecord = db.prepare('SELECT tag FROM asset_tags WHERE record_seq = ?');
  const activeOperator = db.prepare('SELECT 1 FROM operators WHERE id = ? AND disabled_at IS NULL');

  function head(): ChainLink {
    return (headQuery.get() as ChainLink | undefined) ?? { seq: 0, prevHash: GENESIS_HASH, hash: GENESIS_HASH };
  }

  return {
    head,

    /** Appends a record to the chain; returns once it is durably committed. */
    commit(input: NewRecord): ProvisioningRecord {
      const record = parseInput(newRecordSchema, input, 'provisioning record');
      return inWriteTransaction(db, () => {
        const device = deviceById.get(record.deviceId) as { batch_id: number; serial: string; asset_tag_pattern: string | null } | undefined;
        if (!device) throw noSuchDevice(record.deviceId, 'register it first.');
        if (!activeOperator.get(record.operatorId)) {
          const operator = displaySafe(record.operatorId, 32);
          throw new RecordsError('RECORDS_REFUSED', `operator '${operator}' does not exist or is disabled.`, { detail: 'OPERATOR_NOT_ACTIVE', params: { operator } });
        }
        const refusal = record.authorisationId === null ? null : citationRefusal(db, record.authorisationId, { batchId: device.batch_id, serial: device.serial });
        if (refusal) throw refusal;
        const previous = head();
        const at = now();
        const tagged = record.outcome === 'provisioned' && device.asset_tag_pattern !== null;
        // In a depot the tag comes from a lease (tag-leases.ts); when they are spent it stays pending, never invented.
        const fromDepot = tagged && leases.inDepot();
        const leased: LeasedTag | null = fromDepot ? leases.draw(at) : null;
        const assetTag = fromDepot ? (leased?.tag ?? null) : tagged ? allocateTag(device.asset_tag_pattern as string, at) : null;
        const body: ProvisioningRecordBody = {
          seq: previous.seq + 1,
          recordedAt: at.toISOString(),
          batchId: device.batch_id,
          serial: device.serial,
          product: record.product,
          hwRevision: record.hwRevision,
          bootloaderVersion: record.bootloaderVersion,
          imei: record.imei,
          firmwareVersion: record.firmwareVersion,
          bundleHash: record.bundleHash,
          bundleVersion: record.bundleVersion,
          fusesBurned: record.fusesBurned,
          fuseReadback: record.fuseReadback,
          locked: record.locked,
          outcome: record.outcome,
          failedStep: record.failedStep,
          failureReason: record.failureReason,
          failureCode: record.failureCode,
          operatorId: record.operatorId,
          authorisationId: record.authorisationId,
          recordVersion: 4,
          assetTag,
          fusesFoundSet: record.fusesFoundSet,
          evidence: record.evidence,
        };
        const canonical = canonicalJson(body);
        const hash = chainHash(previous.hash, canonical);
        insert.run(body.seq, record.deviceId, body.batchId, body.recordedAt, body.outcome, canonical, previous.hash, hash);
        if (leased) leases.take(leased, body.seq, body.recordedAt);
        else if (fromDepot) leases.markPending(body.seq, body.recordedAt);
        else if (assetTag !== null) insertTag.run(assetTag, body.seq, body.recordedAt);
        return { ...body, prevHash: previous.hash, hash };
      });
    },

    /**
     * A provisioned record's asset tag: the one in its body or, for a handset that was pending when
     * recorded (a depot station out of tags, tag-leases.ts), the one a later lease gave it.
     */
    assetTag(record: ProvisioningRecord): string | null {
      if ('assetTag' in record && record.assetTag !== null) return record.assetTag;
      return (tagOfRecord.get(record.seq) as { tag: string } | undefined)?.tag ?? null;
    },

    get(seq: number): ProvisioningRecord | null {
      const row = db.prepare(`SELECT ${COLUMNS} FROM provisioning_records WHERE seq = ?`).get(seq) as RecordRow | undefined;
      return row ? recordFromRow(row) : null;
    },

    /** The sequence number of the device's provisioned record, if it has one: the pipeline's proof it is done. */
    provisionedSeq(deviceId: number): number | null {
      const row = db.prepare("SELECT seq FROM provisioning_records WHERE device_id = ? AND outcome = 'provisioned' ORDER BY seq DESC LIMIT 1").get(deviceId) as
        | { seq: number }
        | undefined;
      return row?.seq ?? null;
    },

    /** Records matching `filter` in chain order, read from SQLite one row at a time. */
    rows(filter: RecordFilter, afterSeq = 0): Iterable<RecordRow> {
      const { where, params } = filterSql(filter);
      return db.prepare(`SELECT ${COLUMNS} FROM provisioning_records WHERE seq > ? AND ${where} ORDER BY seq`).iterate(afterSeq, ...params) as Iterable<RecordRow>;
    },

    /** The newest `limit` records matching `filter`, in chain order. */
    latest(filter: RecordFilter, limit: number): ProvisioningRecord[] {
      const { where, params } = filterSql(filter);
      const rows = db.prepare(`SELECT ${COLUMNS} FROM provisioning_records WHERE ${where} ORDER BY seq DESC LIMIT ?`).all(...params, limit) as unknown as RecordRow[];
      return rows.reverse().map(recordFromRow);
    },

    count(filter: RecordFilter): number {
      const { where, params } = filterSql(filter);
      return (db.prepare(`SELECT COUNT(*) AS n FROM provisioning_records WHERE ${where}`).get(...params) as { n: number }).n;
    },

    /** Recomputes every hash and link of the stored chain, from the genesis to the head. */
    verifyChain(): ChainCheck {
      let previous: ChainLink = { seq: 0, prevHash: GENESIS_HASH, hash: GENESIS_HASH };
      for (const row of db.prepare(`SELECT ${COLUMNS} FROM provisioning_records ORDER BY seq`).iterate() as Iterable<RecordRow>) {
        const link: ChainLink = { seq: row.seq, prevHash: row.prev_hash, hash: row.hash };
        const broken = linkBreak(previous, link);
        if (broken) return { intact: false, seq: row.seq, message: `record ${row.seq} does not follow record ${previous.seq} (${broken.kind})` };
        if (chainHash(row.prev_hash, row.body_json) !== row.hash || (JSON.parse(row.body_json) as { seq: unknown }).seq !== row.seq) {
          return { intact: false, seq: row.seq, message: `record ${row.seq}'s content does not match its hash` };
        }
        previous = link;
      }
      return { intact: true, records: previous.seq, head: previous };
    },
  };
}

export type ProvisioningLog = ReturnType<typeof createProvisioningLog>;
