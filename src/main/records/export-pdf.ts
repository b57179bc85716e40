// PDF report of records (pdf-lib, standard fonts): scope and counts; a summary per batch (bundle
// version and hash, counts by outcome and failure code, supervisors); the evidence per handset on
// two rows (identity and outcome; batch and bundle, fuses burned and proven by read-back, fuses
// found set, lock read back, who authorised); the failures with step, code and reason; and the
// chain head with the station key's fingerprint and signature. Layout and escaping: pdf-page-writer.ts.
import { PDFDocument, StandardFonts } from 'pdf-lib';
import type { ProvisioningRecordBody, RecordFilter } from '../../shared/records.ts';
import { createAuthorisations } from './authorisations.ts';
import { canonicalJson } from './canonical-json.ts';
import { writeFileAtomically } from './export-file.ts';
import { withSnapshot, type ExportRequest, type ExportSummary } from './export-source.ts';
import { createJournal } from './journal.ts';
import { createOperators } from './operators.ts';
import { batchSummaryLines, tallyBatches } from './pdf-batch-summary.ts';
import { columns, createPageWriter, PAGE, USABLE_WIDTH, type Fonts, type PageWriter, type Row } from './pdf-page-writer.ts';
import { deviceCells, evidenceCells, failureCells } from './pdf-record-cells.ts';
import type { ProvisioningLog } from './provisioning-log.ts';

const SEQ_WIDTH = 28;
const DEVICE_COLUMNS = columns([SEQ_WIDTH, 80, 98, 70, 72, 58, 46, 63]);
const EVIDENCE_COLUMNS = columns([110, 100, 85, 85, USABLE_WIDTH - SEQ_WIDTH - 380], SEQ_WIDTH);
const FAILURE_COLUMNS = columns([SEQ_WIDTH, 80, 135, 55, 125, USABLE_WIDTH - SEQ_WIDTH - 395]);
const REASON_COLUMNS = columns([USABLE_WIDTH - SEQ_WIDTH], SEQ_WIDTH);
/** A failure reason is shown up to this many characters before its visible truncation marker. */
const REASON_LIMIT = 2000;
/** Summary lines hold the station's words around names and versions; long, but not unbounded. */
const SUMMARY_LIMIT = 2000;

const DEVICE_HEADER: readonly Row[] = [
  { header: true, columns: DEVICE_COLUMNS, cells: ['Seq', 'Recorded (UTC)', 'Serial', 'Asset tag', 'IMEI', 'Firmware', 'Outcome', 'Operator'] },
  {
    header: true,
    columns: EVIDENCE_COLUMNS,
    cells: ['Batch, bundle', 'Fuses burned (proven by read-back)', 'Fuses found set', 'Lock (read back)', 'Authorised by (supervisor, authorisation)'],
  },
];
const FAILURE_HEADER: readonly Row[] = [
  { header: true, columns: FAILURE_COLUMNS, cells: ['Seq', 'Recorded (UTC)', 'Serial', 'Failed step', 'Code', 'Operator'] },
  { header: true, columns: REASON_COLUMNS, cells: ['Reason'] },
];

const LEGEND = [
  'Fuses burned: fuses this station programmed and then read back as set. Fuses found set: policy fuses already set before this',
  'station acted (an alarm). Lock: whether the bootloader read back as locked, with its answer. "not recorded": the record\'s format',
  '(written by an older station version) does not hold the field. Device text is shown escaped (\\xNN, \\u{NNNN}).',
].join(' ');

function* bodies(log: ProvisioningLog, filter: RecordFilter): Generator<ProvisioningRecordBody> {
  for (const row of log.rows(filter)) yield JSON.parse(row.body_json) as ProvisioningRecordBody;
}

/** A table whose header repeats on every page it continues on; `rowsOf` gives each record's rows. */
function table(write: PageWriter, header: readonly Row[], records: Iterable<ProvisioningRecordBody>, rowsOf: (record: ProvisioningRecordBody) => Row[]): number {
  let count = 0;
  write.rows(header);
  write.repeatOnNewPage(() => write.rows(header));
  for (const record of records) {
    count += 1;
    write.rows(rowsOf(record), { separated: true });
  }
  write.repeatOnNewPage(null);
  return count;
}

function failureRows(record: ProvisioningRecordBody): Row[] {
  const failure = failureCells(record);
  return [
    { columns: FAILURE_COLUMNS, cells: failure.cells },
    { columns: REASON_COLUMNS, cells: [failure.reason], limit: REASON_LIMIT },
  ];
}

export async function exportPdf({ source, filter, out }: ExportRequest): Promise<ExportSummary> {
  const doc = await PDFDocument.create();
  doc.setTitle('Lockstep provisioning report');
  doc.setProducer('Lockstep');
  const fonts: Fonts = {
    regular: await doc.embedFont(StandardFonts.Helvetica),
    bold: await doc.embedFont(StandardFonts.HelveticaBold),
    mono: await doc.embedFont(StandardFonts.Courier),
  };
  const write = createPageWriter(doc, fonts);
  /** A section heading, never alone at the foot of a page. */
  const heading = (text: string): void => {
    write.gap();
    write.ensure(60);
    write.text(text, { font: fonts.bold, size: 11, trusted: true });
  };
  const exportedAt = source.now().toISOString();
  const summary: ExportSummary = { records: 0, headSeq: 0, headHash: '' };

  withSnapshot(source, (db, log) => {
    // The failed among the filtered records: none when the filter asks for provisioned ones only.
    const failedFilter: RecordFilter = { ...filter, status: 'failed' };
    const counts = { total: log.count(filter), failed: filter.status === 'provisioned' ? 0 : log.count(failedFilter) };
    write.text('Lockstep provisioning report', { font: fonts.bold, size: 14, trusted: true });
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
    write.text(LEGEND, { trusted: true });
    write.gap();
    summary.records = table(write, DEVICE_HEADER, bodies(log, filter), (record) => [
      { columns: DEVICE_COLUMNS, cells: deviceCells(record) },
      { columns: EVIDENCE_COLUMNS, cells: evidenceCells(record) },
    ]);
    write.gap();

    heading(`Failures (${counts.failed})`);
    if (counts.failed === 0) write.text('No handset in this report failed.', { trusted: true });
    else table(write, FAILURE_HEADER, bodies(log, failedFilter), failureRows);

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
    write.text('Verify the JSON Lines export of the same records with `lockstep records verify` for a full, offline check.', { trusted: true });
    write.finish();
  });

  const pages = doc.getPages();
  pages.forEach((page, index) => {
    page.drawText(`Lockstep report ${exportedAt} - page ${index + 1} of ${pages.length}`, { x: PAGE.margin, y: PAGE.margin / 2, size: 7, font: fonts.regular });
  });
  await writeFileAtomically(out, [await doc.save()]);
  return summary;
}
