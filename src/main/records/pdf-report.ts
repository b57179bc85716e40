// The parts of a PDF records report that the station's report (export-pdf.ts) and the depot's
// (src/main/depot/export-pdf.ts) share: the document with its fonts, title and headings, the
// devices and failures tables, and the page footers. Layout and escaping: pdf-page-writer.ts; fonts:
// pdf-fonts.ts and pdf-cjk-font.ts.
import { PDFDocument } from 'pdf-lib';
import type { ProvisioningRecordBody } from '../../shared/records.ts';
import { choosePdfFont, PDF_FONT_ENV } from './pdf-cjk-font.ts';
import { embedReportFonts, type Fonts } from './pdf-fonts.ts';
import { columns, createPageWriter, PAGE, USABLE_WIDTH, type PageWriter, type Row } from './pdf-page-writer.ts';
import { deviceCells, evidenceCells, failureCells } from './pdf-record-cells.ts';

const SEQ_WIDTH = 28;
const DEVICE_COLUMNS = columns([SEQ_WIDTH, 80, 89, 70, 72, 58, 50, 68]);
const EVIDENCE_COLUMNS = columns([110, 100, 85, 85, USABLE_WIDTH - SEQ_WIDTH - 380], SEQ_WIDTH);
const FAILURE_COLUMNS = columns([SEQ_WIDTH, 80, 135, 55, 125, USABLE_WIDTH - SEQ_WIDTH - 395]);
const REASON_COLUMNS = columns([USABLE_WIDTH - SEQ_WIDTH], SEQ_WIDTH);
/** A failure reason is shown up to this many characters before its visible truncation marker. */
const REASON_LIMIT = 2000;

export const DEVICE_HEADER: readonly Row[] = [
  { header: true, columns: DEVICE_COLUMNS, cells: ['Seq', 'Recorded (UTC)', 'Serial', 'Asset tag', 'IMEI', 'Firmware', 'Outcome', 'Operator'] },
  {
    header: true,
    columns: EVIDENCE_COLUMNS,
    cells: ['Batch, bundle', 'Fuses burned (proven by read-back)', 'Fuses found set', 'Lock (read back)', 'Authorised by (supervisor, authorisation)'],
  },
];
export const FAILURE_HEADER: readonly Row[] = [
  { header: true, columns: FAILURE_COLUMNS, cells: ['Seq', 'Recorded (UTC)', 'Serial', 'Failed step', 'Code', 'Operator'] },
  { header: true, columns: REASON_COLUMNS, cells: ['Reason'] },
];

export const DEVICES_LEGEND = [
  'Fuses burned: fuses this station programmed and then read back as set. Fuses found set: policy fuses already set before this',
  'station acted (an alarm). Lock: whether the bootloader read back as locked, with its answer. "not recorded": the record\'s format',
  '(written by an older station version) does not hold the field. Device text is shown escaped (\\xNN, \\u{NNNN}) where it holds',
  'control or direction characters, or characters the font cannot draw.',
].join(' ');

/** The last words of every report: what can be checked, and with what. */
export const JSONL_ONLY_VERIFIED =
  'Only the JSON Lines export of the same records (--format jsonl) can be verified, offline, with `lockstep records verify`; this report is a view for reading.';

/** A handset's two rows in the devices table: identity and outcome, then its evidence. */
export function deviceRows(record: ProvisioningRecordBody): Row[] {
  return [
    { columns: DEVICE_COLUMNS, cells: deviceCells(record) },
    { columns: EVIDENCE_COLUMNS, cells: evidenceCells(record) },
  ];
}

/** A failed handset's two rows in the failures table: where it failed, then the reason. */
export function failureRows(record: ProvisioningRecordBody): Row[] {
  const failure = failureCells(record);
  return [
    { columns: FAILURE_COLUMNS, cells: failure.cells },
    { columns: REASON_COLUMNS, cells: [failure.reason], limit: REASON_LIMIT },
  ];
}

/** A table whose header repeats on every page it continues on: `add` each record's rows, then `end` it. */
export function startTable(write: PageWriter, header: readonly Row[]): { add: (rows: readonly Row[]) => void; end: () => void } {
  write.rows(header);
  write.repeatOnNewPage(() => write.rows(header));
  return {
    add: (rows) => write.rows(rows, { separated: true }),
    end: () => write.repeatOnNewPage(null),
  };
}

export interface PdfReport {
  readonly doc: PDFDocument;
  readonly fonts: Fonts;
  readonly write: PageWriter;
  /** A section heading, never alone at the foot of a page. */
  readonly heading: (text: string) => void;
  /** Why Chinese is shown escaped (no CJK font could be used), for the operator; null when it is drawn. */
  readonly fontWarning: string | null;
}

/** A new report with its title drawn, and under it, when no CJK font could be used, a line saying so. */
export async function openPdfReport(title: string): Promise<PdfReport> {
  const doc = await PDFDocument.create();
  doc.setTitle(title);
  doc.setProducer('Lockstep');
  const choice = await choosePdfFont();
  const fonts = await embedReportFonts(doc, choice);
  const write = createPageWriter(doc, fonts);
  const heading = (text: string): void => {
    write.gap();
    write.ensure(60);
    write.text(text, { font: fonts.bold, size: 11, trusted: true });
  };
  write.text(title, { font: fonts.bold, size: 14, trusted: true });
  if (choice.kind === 'cjk') return { doc, fonts, write, heading, fontWarning: null };
  write.text('Note: no CJK font found; Chinese text escaped (\\u{XXXX}).', { font: fonts.bold, trusted: true });
  // The reason quotes a path, drawn as untrusted text.
  write.text(`${choice.reason}. Install fonts-wqy-microhei or set ${PDF_FONT_ENV} to a CJK font file.`);
  return { doc, fonts, write, heading, fontWarning: `no CJK font found, so the PDF shows Chinese text escaped: ${choice.reason}` };
}

/** Writes out the last page, numbers every page under `footer` (the station's words), and returns the file's bytes. */
export async function savePdfReport({ doc, fonts, write }: PdfReport, footer: string): Promise<Uint8Array> {
  write.finish();
  const pages = doc.getPages();
  pages.forEach((page, index) => {
    page.drawText(`${footer} - page ${index + 1} of ${pages.length}`, { x: PAGE.margin, y: PAGE.margin / 2, size: 7, font: fonts.regular.pdf });
  });
  return doc.save();
}
