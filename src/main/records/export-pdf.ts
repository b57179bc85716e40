// PDF batch report (pdf-lib, standard fonts): scope and summary, a per-device table over as many
// pages as needed, the failures with their reasons, and the chain head with the station key's
// fingerprint and signature. Device strings pass through winAnsiSafe: the standard fonts can only
// draw WinAnsi, so anything else is shown as a visible escape rather than dropped or mis-drawn.
import { PDFDocument, StandardFonts, type PDFFont, type PDFPage } from 'pdf-lib';
import type { BatchSummary, ProvisioningRecordBody, RecordFilter } from '../../shared/records.ts';
import { winAnsiSafe } from '../../shared/untrusted.ts';
import { canonicalJson } from './canonical-json.ts';
import { writeFileAtomically } from './export-file.ts';
import { withSnapshot, type ExportRequest, type ExportSummary } from './export-source.ts';
import { createJournal } from './journal.ts';
import type { ProvisioningLog } from './provisioning-log.ts';

const PAGE = { width: 595.28, height: 841.89, margin: 40 } as const;
const LINE = 12;
const SIZE = 8;

interface Fonts {
  readonly regular: PDFFont;
  readonly bold: PDFFont;
  readonly mono: PDFFont;
}

/** Shortens `text` with an ellipsis until it fits `width` points. */
function fit(text: string, font: PDFFont, size: number, width: number): string {
  if (font.widthOfTextAtSize(text, size) <= width) return text;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (font.widthOfTextAtSize(`${text.slice(0, middle)}…`, size) <= width) low = middle;
    else high = middle - 1;
  }
  return `${text.slice(0, low)}…`;
}

/** Splits `text` into at most `maxLines` lines that fit `width`; the last is cut with an ellipsis. */
function wrap(text: string, font: PDFFont, size: number, width: number, maxLines: number): string[] {
  const lines: string[] = [];
  let rest = text;
  while (rest.length > 0 && lines.length < maxLines - 1 && font.widthOfTextAtSize(rest, size) > width) {
    const cut = fit(rest, font, size, width).length - 1;
    const space = rest.lastIndexOf(' ', cut);
    const end = space > cut / 2 ? space + 1 : Math.max(1, cut);
    lines.push(rest.slice(0, end).trimEnd());
    rest = rest.slice(end);
  }
  return [...lines, fit(rest, font, size, width)];
}

/**
 * Draws top to bottom, starting a new page whenever the next line would not fit. Each page's text
 * is written as one content stream of PDF text operators, compressed once the page is full: pdf-lib's
 * drawText keeps an object per operator until the document is saved, which for 100 000 records took
 * gigabytes.
 */
function createWriter(doc: PDFDocument, fonts: Fonts) {
  let page: PDFPage = doc.addPage([PAGE.width, PAGE.height]);
  let content: string[] = [];
  let fontKeys = new Map<PDFFont, string>();
  let y = PAGE.height - PAGE.margin;
  let onNewPage: (() => void) | null = null;
  const usable = PAGE.width - 2 * PAGE.margin;

  /** `text` must already be WinAnsi-safe (font.encodeText throws on anything else). */
  function draw(text: string, x: number, at: number, font: PDFFont, size: number): void {
    let key = fontKeys.get(font);
    if (key === undefined) {
      key = page.node.newFontDictionary(font.name, font.ref).toString();
      fontKeys.set(font, key);
    }
    content.push(`BT ${key} ${size} Tf ${x.toFixed(2)} ${at.toFixed(2)} Td ${font.encodeText(text).toString()} Tj ET`);
  }

  function finishPage(): void {
    page.node.addContentStream(doc.context.register(doc.context.flateStream(content.join('\n'))));
    content = [];
    fontKeys = new Map();
  }

  const writer = {
    ensure(lines: number): void {
      if (y - lines * LINE >= PAGE.margin + LINE) return;
      finishPage();
      page = doc.addPage([PAGE.width, PAGE.height]);
      y = PAGE.height - PAGE.margin;
      onNewPage?.();
    },
    /** One line of text; `untrusted` values go through winAnsiSafe first. */
    line(text: string, options: { font?: PDFFont; size?: number; untrusted?: boolean } = {}): void {
      const font = options.font ?? fonts.regular;
      const size = options.size ?? SIZE;
      writer.ensure(1);
      const safe = options.untrusted === false ? text : winAnsiSafe(text, 2000);
      draw(fit(safe, font, size, usable), PAGE.margin, y, font, size);
      y -= size + 4;
    },
    gap(): void {
      y -= LINE / 2;
    },
    /**
     * A table row: every cell is untrusted and cut to its column's width; the last column wraps
     * over up to `lastColumnLines` lines.
     */
    row(cells: readonly string[], widths: readonly number[], options: { font?: PDFFont; lastColumnLines?: number } = {}): void {
      const font = options.font ?? fonts.regular;
      const lastLines = options.lastColumnLines ?? 1;
      const wrapped = cells.map((cell, index) =>
        wrap(winAnsiSafe(cell, 2000), font, SIZE, (widths[index] ?? 0) - 4, index === cells.length - 1 ? lastLines : 1),
      );
      const height = Math.max(...wrapped.map((lines) => lines.length));
      writer.ensure(height);
      let x = PAGE.margin;
      wrapped.forEach((lines, index) => {
        lines.forEach((line, at) => draw(line, x, y - at * LINE, font, SIZE));
        x += widths[index] ?? 0;
      });
      y -= height * LINE;
    },
    /** Repeats a table's header on each page the table continues on. */
    repeatOnNewPage(drawHeader: (() => void) | null): void {
      onNewPage = drawHeader;
    },
    /** Writes out the last page; call once, after the last line. */
    finish: finishPage,
  };
  return writer;
}

const TABLE = { headers: ['Seq', 'Recorded (UTC)', 'Serial', 'IMEI', 'Firmware', 'Outcome', 'Operator'], widths: [35, 85, 120, 85, 75, 55, 60] };
const FAILURES = { headers: ['Seq', 'Serial', 'Failed step', 'Reason'], widths: [40, 110, 60, 305] };

function scopeLines(filter: RecordFilter, batch: BatchSummary | null): string[] {
  const lines = [
    `Filter: batch ${filter.batchId ?? 'all'}, from ${filter.since ?? 'the start'}, until ${filter.until ?? 'now'}, status ${filter.status ?? 'any'}`,
  ];
  if (batch) {
    lines.push(`Batch ${batch.id}: ${batch.name}`, `Product ${batch.product}, bundle ${batch.bundleVersion}`, `Bundle manifest SHA-256 ${batch.bundleHash}`);
    lines.push(`Started ${batch.startedAt} by ${batch.operatorId}`);
  }
  return lines;
}

function* bodies(log: ProvisioningLog, filter: RecordFilter): Generator<ProvisioningRecordBody> {
  for (const row of log.rows(filter)) yield JSON.parse(row.body_json) as ProvisioningRecordBody;
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
  const write = createWriter(doc, fonts);
  const exportedAt = source.now().toISOString();
  const summary: ExportSummary = { records: 0, headSeq: 0, headHash: '' };

  withSnapshot(source, (db, log) => {
    const counts = { total: log.count(filter), failed: log.count({ ...filter, status: 'failed' }) };
    write.line('Lockstep provisioning report', { font: fonts.bold, size: 14 });
    write.line(`Exported ${exportedAt} by station ${source.identity.fingerprint}`, { untrusted: false });
    write.gap();
    for (const line of scopeLines(filter, filter.batchId === undefined ? null : createJournal(db, source.now).getBatch(filter.batchId))) write.line(line);
    write.line(`Records: ${counts.total}   provisioned: ${counts.total - counts.failed}   failed: ${counts.failed}`, { font: fonts.bold });
    write.gap();

    const tableHeader = (table: typeof TABLE): void => write.row(table.headers, table.widths, { font: fonts.bold });
    write.line('Devices', { font: fonts.bold, size: 11 });
    tableHeader(TABLE);
    write.repeatOnNewPage(() => tableHeader(TABLE));
    for (const r of bodies(log, filter)) {
      summary.records += 1;
      write.row([String(r.seq), r.recordedAt.replace('T', ' ').slice(0, 19), r.deviceSerial, r.imei ?? '-', r.firmwareVersion ?? '-', r.outcome, r.operatorId], TABLE.widths);
    }
    write.repeatOnNewPage(null);
    write.gap();

    write.line(`Failures (${counts.failed})`, { font: fonts.bold, size: 11 });
    tableHeader(FAILURES);
    write.repeatOnNewPage(() => tableHeader(FAILURES));
    for (const r of bodies(log, { ...filter, status: 'failed' })) {
      write.row([String(r.seq), r.deviceSerial, r.failedStep ?? '-', r.failureReason ?? '-'], FAILURES.widths, { lastColumnLines: 4 });
    }
    write.repeatOnNewPage(null);
    write.gap();

    const head = log.head();
    summary.headSeq = head.seq;
    summary.headHash = head.hash;
    const attestation = { purpose: 'lockstep-pdf-report', exportedAt, headSeq: head.seq, headHash: head.hash, stationFingerprint: source.identity.fingerprint };
    write.ensure(8);
    write.line('Chain', { font: fonts.bold, size: 11 });
    write.line(`Chain head: record ${head.seq}`, { untrusted: false });
    write.line(`Head hash: ${head.hash}`, { font: fonts.mono, untrusted: false });
    write.line(`Station key fingerprint (SHA-256): ${source.identity.fingerprint}`, { font: fonts.mono, size: 7, untrusted: false });
    write.line(`Station public key (Ed25519, base64): ${source.identity.publicKey}`, { font: fonts.mono, size: 7, untrusted: false });
    write.line('Signature (Ed25519, base64) over the canonical JSON of {exportedAt, headHash, headSeq, purpose, stationFingerprint}:', { untrusted: false });
    write.line(source.identity.sign(canonicalJson(attestation)), { font: fonts.mono, size: 7, untrusted: false });
    write.line('Verify the JSON Lines export of the same records with `lockstep records verify` for a full, offline check.', { untrusted: false });
    write.finish();
  });

  const pages = doc.getPages();
  pages.forEach((page, index) => {
    page.drawText(`Lockstep report ${exportedAt} - page ${index + 1} of ${pages.length}`, { x: PAGE.margin, y: PAGE.margin / 2, size: 7, font: fonts.regular });
  });
  await writeFileAtomically(out, [await doc.save()]);
  return summary;
}
