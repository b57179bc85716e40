// The Lockstep PDF report read back into its tables: each handset's rows in the device table and
// the failures table, cell by cell, found by the tables' header words. A table row starts with its
// record's sequence number in the Seq column and runs, across page breaks (footer and repeated
// header skipped), to the next; its second row starts at the first later line with text at the
// left edge of the second column (the first row's continuation lines leave it empty: the time
// never wraps).
import { cellText, columnsOf, readPdf, type PdfColumn, type PdfLine, type PdfPage, type PdfWord } from './pdf-reading.ts';

/** One record's rows: the first row's cells, then the second row's. */
export interface ReportRow {
  readonly identity: string[];
  readonly evidence: string[];
}

export interface PdfReport {
  readonly pages: PdfPage[];
  readonly words: PdfWord[];
  /** Every word in reading order, separated by single spaces. */
  readonly text: string;
  readonly devices: Map<number, ReportRow>;
  readonly failures: Map<number, ReportRow>;
  /** Words of the two tables' rows that run past the right edge of their column. */
  readonly overflows: string[];
}

const DEVICE_HEADERS = [
  ['Seq', 'Recorded', 'Serial', 'Asset', 'IMEI', 'Firmware', 'Outcome', 'Operator'],
  ['Batch,', 'Fuses', 'Fuses', 'Lock', 'Authorised'],
] as const;
const FAILURE_HEADERS = [['Seq', 'Recorded', 'Serial', 'Failed', 'Code', 'Operator'], ['Reason']] as const;

const textOf = (line: PdfLine): string => line.map((word) => word.text).join(' ');
const isFooter = (line: PdfLine): boolean => line[0]?.text === 'Lockstep' && line[1]?.text === 'report';
const wordsIn = (line: PdfLine, column: PdfColumn): PdfWord[] => line.filter((word) => word.xMin >= column.start && word.xMin < column.end);

/** The rows of the table whose header line is `lines[headerAt]`, up to `lines[end]`. */
function tableRows(
  lines: readonly PdfLine[],
  headerAt: number,
  end: number,
  headers: readonly (readonly string[])[],
  pageWidth: number,
  overflows: string[],
): Map<number, ReportRow> {
  const [first, second] = [lines[headerAt], lines[headerAt + 1]];
  if (!first || !second) throw new Error('a table header is missing');
  const firstColumns = columnsOf(first, headers[0] ?? [], pageWidth);
  const secondColumns = columnsOf(second, headers[1] ?? [], pageWidth);
  const [seqColumn, secondColumn] = firstColumns;
  if (!seqColumn || !secondColumn) throw new Error('a table has fewer than two columns');
  const isRowStart = (line: PdfLine): boolean => /^\d+$/.test(wordsIn(line, seqColumn)[0]?.text ?? '');
  // The header's lines, as repeated at the top of each page a table continues on (a row may continue there too).
  const table = lines.slice(headerAt, end);
  const headerLength = table.findIndex(isRowStart);
  const headerTexts = new Set(table.slice(0, headerLength === -1 ? table.length : headerLength).map(textOf));
  const blocks = new Map<number, PdfLine[]>();
  let current: PdfLine[] | null = null;
  for (const line of table) {
    if (isFooter(line) || headerTexts.has(textOf(line))) continue;
    if (isRowStart(line)) {
      current = [line];
      blocks.set(Number(wordsIn(line, seqColumn)[0]?.text), current);
    } else current?.push(line);
  }
  const rows = new Map<number, ReportRow>();
  for (const [seq, block] of blocks) {
    const split = block.findIndex((line, index) => index > 0 && line.some((word) => Math.abs(word.xMin - secondColumn.start - 0.5) < 1));
    const [upper, lower] = split === -1 ? [block, []] : [block.slice(0, split), block.slice(split)];
    rows.set(seq, { identity: firstColumns.map((column) => cellText(upper, column)), evidence: secondColumns.map((column) => cellText(lower, column)) });
    for (const [part, partColumns] of [[upper, firstColumns], [lower, secondColumns]] as const) {
      for (const column of partColumns) {
        for (const word of part.flatMap((line) => wordsIn(line, column))) if (word.xMax > column.end + 0.5) overflows.push(`record ${seq}: '${word.text}'`);
      }
    }
  }
  return rows;
}

export function readPdfReport(file: string): PdfReport {
  const { pages, words, lines } = readPdf(file);
  const pageWidth = pages[0]?.width ?? 0;
  const headerOf = (column: string): number => lines.findIndex((line) => line[0]?.text === 'Seq' && line.some((word) => word.text === column));
  const deviceHeader = headerOf('Asset');
  const failureHeader = headerOf('Failed');
  const failuresHeading = lines.findIndex((line) => line[0]?.text === 'Failures' && /^\(\d+\)$/.test(line[1]?.text ?? ''));
  const chain = lines.findIndex((line) => line.length === 1 && line[0]?.text === 'Chain');
  if (deviceHeader === -1 || failuresHeading === -1 || chain === -1) throw new Error('the report lacks its device table, failures section or chain section');
  const overflows: string[] = [];
  return {
    pages,
    words,
    text: lines.map(textOf).join(' '),
    devices: tableRows(lines, deviceHeader, failuresHeading, DEVICE_HEADERS, pageWidth, overflows),
    // A report without failures says so instead of drawing the table.
    failures: failureHeader === -1 ? new Map() : tableRows(lines, failureHeader, chain, FAILURE_HEADERS, pageWidth, overflows),
    overflows,
  };
}
