// CSV export (RFC 4180, CRLF line ends) for spreadsheets. Every text cell is shown as a person
// should see it: control and bidi characters escaped, capped below a spreadsheet's cell limit,
// formula triggers neutralised and quoted. The JSON Lines export is the exact, verifiable copy;
// the CSV carries each record's hashes so a row can be matched to it.
import { recordSerial, type ProvisioningRecordBody, type RecordEvidence, type RecordEvidenceV3 } from '../../shared/records.ts';
import { MAX_ESCAPE_EXPANSION, csvCell, displaySafe } from '../../shared/untrusted.ts';
import { inChunks, writeFileAtomically } from './export-file.ts';
import { fromSnapshot, type ExportRequest, type ExportSummary } from './export-source.ts';
import { fuseReadbackText } from './record-text.ts';

/**
 * Excel holds at most 32 767 characters in a cell. The cap counts the value before escaping, and an
 * escaped character takes up to six, so this keeps even a value of nothing but escapes (and the
 * truncation marker) inside the limit.
 */
const CELL_LIMIT = Math.floor(32_000 / MAX_ESCAPE_EXPANSION);

/** A text cell as a spreadsheet may show it: escaped, capped, formula triggers neutralised, quoted. */
export const csvTextCell = (value: string | null): string => (value === null ? '' : csvCell(displaySafe(value, CELL_LIMIT)));
const text = csvTextCell;

const COLUMNS: readonly [string, (record: ProvisioningRecordBody) => string][] = [
  ['seq', (r) => String(r.seq)],
  ['recorded_at', (r) => text(r.recordedAt)],
  ['batch_id', (r) => String(r.batchId)],
  ['serial', (r) => text(recordSerial(r))],
  ['product', (r) => text(r.product)],
  ['hw_revision', (r) => text(r.hwRevision)],
  ['bootloader_version', (r) => text(r.bootloaderVersion)],
  ['imei', (r) => text(r.imei)],
  ['firmware_version', (r) => text(r.firmwareVersion)],
  ['bundle_version', (r) => text(r.bundleVersion)],
  ['bundle_hash', (r) => text(r.bundleHash)],
  ['fuses_burned', (r) => text(r.fusesBurned.join(';'))],
  ['fuse_readback', (r) => text(fuseReadbackText(r.fuseReadback))],
  ['locked', (r) => (r.locked ? 'yes' : 'no')],
  ['outcome', (r) => text(r.outcome)],
  ['failed_step', (r) => text(r.failedStep)],
  ['failure_reason', (r) => text(r.failureReason)],
  ['operator_id', (r) => text(r.operatorId)],
  ['authorisation_id', (r) => (r.authorisationId === null ? '' : String(r.authorisationId))],
  // Format 2's tag and evidence; empty for records written before it.
  ['asset_tag', (r) => text('assetTag' in r ? r.assetTag : null)],
  ['slot', (r) => text(evidence(r)?.slot ?? null)],
  ['supervisor_id', (r) => text(evidence(r)?.supervisorId ?? null)],
  ['started_at', (r) => text(evidence(r)?.startedAt ?? null)],
  ['partition_hashes', (r) => text(evidence(r)?.partitions.map((p) => `${p.name}=${p.sha256}`).join(';') ?? null)],
  ['fuse_words_before', (r) => text(evidence(r) ? fuseReadbackText(evidence(r)?.fuseWordsBefore ?? []) : null)],
  ['lock_state', (r) => text(evidence(r)?.lockState ?? null)],
  ['checks', (r) => text(evidence(r)?.checks.map((c) => `${c.id}=${c.passed ? 'pass' : 'FAIL'}`).join(';') ?? null)],
  // Format 3's fuses found set before the station acted and the AT port that answered; empty before it.
  ['fuses_found_set', (r) => text('fusesFoundSet' in r ? r.fusesFoundSet.join(';') : null)],
  ['at_port', (r) => text(atPort(evidence(r)))],
  ['failure_code', (r) => text('failureCode' in r ? r.failureCode : null)],
];

function evidence(record: ProvisioningRecordBody): RecordEvidence | RecordEvidenceV3 | null {
  return 'evidence' in record ? record.evidence : null;
}

function atPort(evidence: RecordEvidence | RecordEvidenceV3 | null): string | null {
  return evidence !== null && 'atPort' in evidence ? evidence.atPort : null;
}

/** The first line of every CSV export: its column names. */
export const CSV_HEADER = [...COLUMNS.map(([name]) => name), 'prev_hash', 'hash'].join(',');

/** The depot's CSV (src/main/depot/export-csv.ts) puts each record's station in front of the station's columns. */
export const DEPOT_CSV_HEADER = `station,${CSV_HEADER}`;

/** One record's row without its line end: its cells, then its hashes. */
export function csvRecordRow(record: ProvisioningRecordBody, link: { readonly prevHash: string; readonly hash: string }): string {
  return `${COLUMNS.map(([, cell]) => cell(record)).join(',')},${link.prevHash},${link.hash}`;
}

export async function exportCsv({ source, filter, out }: ExportRequest): Promise<ExportSummary> {
  const summary: ExportSummary = { records: 0, headSeq: 0, headHash: '' };
  const rows = fromSnapshot(source, function* (_db, log) {
    yield `${CSV_HEADER}\r\n`;
    for (const row of log.rows(filter)) {
      const record = JSON.parse(row.body_json) as ProvisioningRecordBody;
      summary.records += 1;
      yield `${csvRecordRow(record, { prevHash: row.prev_hash, hash: row.hash })}\r\n`;
    }
    const head = log.head();
    summary.headSeq = head.seq;
    summary.headHash = head.hash;
  });
  await writeFileAtomically(out, inChunks(rows));
  return summary;
}
