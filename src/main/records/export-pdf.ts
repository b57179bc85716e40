// PDF report of records (pdf-lib; a CJK font when the system has one, else the standard fonts): scope and counts; a summary per batch (bundle
// version and hash, counts by outcome and failure code, supervisors); the evidence per handset on
// two rows (identity and outcome; batch and bundle, fuses burned and proven by read-back, fuses
// found set, lock read back, who authorised); the failures with step, code and reason; and the
// chain head with the station key's fingerprint and signature. Layout and escaping: pdf-page-writer.ts.
import type { ProvisioningRecordBody, RecordFilter } from '../../shared/records.ts';
import { createAuthorisations } from './authorisations.ts';
import { canonicalJson } from './canonical-json.ts';
import { writeFileAtomically } from './export-file.ts';
import { withSnapshot, type ExportRequest, type ExportSummary } from './export-source.ts';
import { createJournal } from './journal.ts';
import { createOperators } from './operators.ts';
import { batchSummaryLines, tallyBatches } from './pdf-batch-summary.ts';
import {
  DEVICE_HEADER,
  DEVICES_LEGEND,
  deviceRows,
  FAILURE_HEADER,
  failureRows,
  JSONL_ONLY_VERIFIED,
  openPdfReport,
  savePdfReport,
  startTable,
} from './pdf-report.ts';
import type { ProvisioningLog } from './provisioning-log.ts';

/** Summary lines hold the station's words around names and versions; long, but not unbounded. */
const SUMMARY_LIMIT = 2000;

function* bodies(log: ProvisioningLog, filter: RecordFilter): Generator<ProvisioningRecordBody> {
  for (const row of log.rows(filter)) yield JSON.parse(row.body_json) as ProvisioningRecordBody;
}

export async function exportPdf({ source, filter, out }: ExportRequest): Promise<ExportSummary> {
  const report = await openPdfReport('Lockstep provisioning report');
  const { fonts, write, heading } = report;
  const exportedAt = source.now().toISOString();
  const summary: ExportSummary = { records: 0, headSeq: 0, headHash: '' };

  withSnapshot(source, (db, log) => {
    // The failed among the filtered records: none when the filter asks for provisioned ones only.
    const failedFilter: RecordFilter = { ...filter, status: 'failed' };
    const counts = { total: log.count(filter), failed: filter.status === 'provisioned' ? 0 : log.count(failedFilter) };
    write.text(`Exported ${exportedAt} by station ${source.identity.fingerprint}`, { trusted: true });
    write.gap();
    write.text(`Filter: batch ${filter.batchId ?? 'all'}, from ${filter.since ?? 'the start'}, until ${filter.until ?? 'now'}, status ${filter.status ?? 'any'}`);
    write.text(`Records: ${counts.total}   provisioned: ${counts.total - counts.failed}   failed: ${counts.failed}`, { font: fonts.bold, trusted: true });

    heading('Batches');
    const journal = createJournal(db, source.now);
    const authorisations = createAuthorisations(db, createOperators(db, source.now), source.now);
    for (const tally of tallyBatches(db, filter)) {
      for (const line of batchSummaryLines(tally, journal.getBatch(tally.batchId), authorisations.listForBatch(tally.batchId))) {
        const font = line.style === 'heading' ? fonts.bold : line.style === 'mono' ? fonts.mono : fonts.regular;
        write.text(line.text, { font, limit: SUMMARY_LIMIT });
      }
      write.gap();
    }

    heading('Devices');
    write.text(DEVICES_LEGEND, { trusted: true });
    write.gap();
    const devices = startTable(write, DEVICE_HEADER);
    for (const record of bodies(log, filter)) {
      summary.records += 1;
      devices.add(deviceRows(record));
    }
    devices.end();
    write.gap();

    heading(`Failures (${counts.failed})`);
    if (counts.failed === 0) write.text('No handset in this report failed.', { trusted: true });
    else {
      const failures = startTable(write, FAILURE_HEADER);
      for (const record of bodies(log, failedFilter)) failures.add(failureRows(record));
      failures.end();
    }

    const head = log.head();
    summary.headSeq = head.seq;
    summary.headHash = head.hash;
    const attestation = { purpose: 'lockstep-pdf-report', exportedAt, headSeq: head.seq, headHash: head.hash, stationFingerprint: source.identity.fingerprint };
    write.ensure(90);
    heading('Chain');
    write.text(`Chain head: record ${head.seq}`, { trusted: true });
    write.text(`Head hash: ${head.hash}`, { font: fonts.mono, trusted: true });
    write.text(`Station key fingerprint (SHA-256): ${source.identity.fingerprint}`, { font: fonts.mono, size: 7, trusted: true });
    write.text(`Station public key (Ed25519, base64): ${source.identity.publicKey}`, { font: fonts.mono, size: 7, trusted: true });
    write.text('Signature (Ed25519, base64) over the canonical JSON of {exportedAt, headHash, headSeq, purpose, stationFingerprint}:', { trusted: true });
    write.text(source.identity.sign(canonicalJson(attestation)), { font: fonts.mono, size: 7, trusted: true });
    write.text(JSONL_ONLY_VERIFIED, { trusted: true });
  });

  await writeFileAtomically(out, [await savePdfReport(report, `Lockstep report ${exportedAt}`)]);
  return report.fontWarning === null ? summary : { ...summary, warning: report.fontWarning };
}
