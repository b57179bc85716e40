// JSON Lines export: the records matching the filter with their hashes, the records in between
// that do not match as "elided" lines (sequence number and hashes only, so the chain stays
// checkable end to end), then one chain-head line signed by the station key. docs/records.md
// describes the format and how an auditor verifies it.
import type { DatabaseSync } from 'node:sqlite';
import { EXPORT_FORMAT, type ChainHeadFields, type RecordFilter } from '../../shared/records.ts';
import { canonicalJson } from './canonical-json.ts';
import { inChunks, writeFileAtomically } from './export-file.ts';
import { elidedLineText, recordLineText } from './export-line.ts';
import { fromSnapshot, type ExportRequest, type ExportSource, type ExportSummary } from './export-source.ts';
import type { ProvisioningLog, RecordRow } from './provisioning-log.ts';
import { filterSql } from './record-filter.ts';

function* lines(db: DatabaseSync, log: ProvisioningLog, source: ExportSource, filter: RecordFilter, summary: ExportSummary): Generator<string> {
  const head = log.head();
  const { where, params } = filterSql(filter);
  const first = db.prepare(`SELECT MIN(seq) AS seq FROM provisioning_records WHERE ${where}`).get(...params) as { seq: number | null };
  let firstPrevHash = head.hash;
  let lineCount = 0;
  if (first.seq !== null) {
    const rows = db
      .prepare(`SELECT seq, prev_hash, hash, body_json, (${where}) AS matches FROM provisioning_records WHERE seq >= ? AND seq <= ? ORDER BY seq`)
      .iterate(...params, first.seq, head.seq) as Iterable<Pick<RecordRow, 'seq' | 'prev_hash' | 'hash' | 'body_json'> & { matches: number }>;
    for (const row of rows) {
      if (lineCount === 0) firstPrevHash = row.prev_hash;
      lineCount += 1;
      const link = { seq: row.seq, prevHash: row.prev_hash, hash: row.hash };
      if (row.matches === 1) {
        summary.records += 1;
        yield `${recordLineText(link, row.body_json)}\n`;
      } else {
        yield `${elidedLineText(link)}\n`;
      }
    }
  }
  const fields: ChainHeadFields = {
    type: 'chain-head',
    format: EXPORT_FORMAT,
    exportedAt: source.now().toISOString(),
    filter: { batchId: filter.batchId ?? null, since: filter.since ?? null, until: filter.until ?? null, status: filter.status ?? null },
    lines: lineCount,
    records: summary.records,
    firstPrevHash,
    headSeq: head.seq,
    headHash: head.hash,
    stationFingerprint: source.identity.fingerprint,
    stationPublicKey: source.identity.publicKey,
  };
  summary.headSeq = head.seq;
  summary.headHash = head.hash;
  yield `${canonicalJson({ ...fields, signature: source.identity.sign(canonicalJson(fields)) })}\n`;
}

export async function exportJsonl({ source, filter, out }: ExportRequest): Promise<ExportSummary> {
  const summary: ExportSummary = { records: 0, headSeq: 0, headHash: '' };
  await writeFileAtomically(out, inChunks(fromSnapshot(source, (db, log) => lines(db, log, source, filter, summary))));
  return summary;
}
