// Page layout for the PDF report: text and table rows drawn top to bottom over as many A4 pages as
// they need. Nothing is cut to fit: every value wraps inside its column (at a space, else after
// punctuation, else between characters), and a row taller than the rest of the page continues on
// the next one under the repeated table header. Untrusted text passes through its font's `safe`
// (pdf-fonts.ts), whose cap is visible (`…[truncated N chars]`) and which escapes what the font cannot draw.
import type { PDFDocument, PDFPage } from 'pdf-lib';
import type { Fonts, ReportFont } from './pdf-fonts.ts';

export const PAGE = { width: 595.28, height: 841.89, margin: 40 } as const;
/** The width between the margins, which every table's columns add up to. */
export const USABLE_WIDTH = PAGE.width - 2 * PAGE.margin;
/** Table text size and line height. */
const SIZE = 8;
const LINE = 10;
/** A table row of up to this many lines starts on a new page rather than being split. */
const KEEP_TOGETHER_LINES = 24;
/** A value a handset sent is shown up to this many characters (before escaping), then marked as cut. */
export const CELL_LIMIT = 256;

/** A table column: where it starts (points right of the left margin), its width, and a font of its own (hashes in Courier). */
export interface Column {
  readonly x: number;
  readonly width: number;
  readonly font?: ReportFont;
}

/** Lays columns of the given widths side by side, starting `indent` points right of the margin. */
export function columns(widths: readonly number[], indent = 0): Column[] {
  let x = indent;
  return widths.map((width) => {
    const column = { x, width };
    x += width;
    return column;
  });
}

/** One table row: a cell per column, each wrapped within its column. */
export interface Row {
  readonly cells: readonly string[];
  readonly columns: readonly Column[];
  /** Header rows are bold; their text is the station's own. */
  readonly header?: boolean;
  /** Characters shown of each (untrusted) cell before the visible truncation marker. */
  readonly limit?: number;
}

/** The longest prefix of `text` (at least one character) whose width fits. */
function fittingLength(text: string, font: ReportFont, size: number, width: number): number {
  let low = 1;
  let high = text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (font.width(text.slice(0, middle), size) <= width) low = middle;
    else high = middle - 1;
  }
  return low;
}

/** Splits `text` into lines no wider than `width`, keeping every character but the spaces it breaks at. */
export function wrapText(text: string, font: ReportFont, size: number, width: number): string[] {
  const lines: string[] = [];
  let rest = text;
  while (font.width(rest, size) > width) {
    const fits = fittingLength(rest, font, size, width);
    const head = rest.slice(0, fits);
    const space = rest[fits] === ' ' ? fits : head.lastIndexOf(' ');
    // After punctuation, or before the truncation marker's ellipsis, so the marker stays whole.
    const punctuation = Math.max(...[...'-/_.,;:)]'].map((mark) => head.lastIndexOf(mark) + 1), head.lastIndexOf('…'));
    if (space > fits / 3) {
      lines.push(rest.slice(0, space));
      rest = rest.slice(space + 1);
    } else {
      const end = punctuation > fits / 3 ? punctuation : fits;
      lines.push(rest.slice(0, end));
      rest = rest.slice(end);
    }
  }
  return [...lines, rest];
}

/**
 * Draws top to bottom, starting a new page whenever the next line would not fit. Each page's text
 * is written as one content stream of PDF text operators, compressed once the page is full: pdf-lib's
 * drawText keeps an object per operator until the document is saved, which for 100 000 records took
 * gigabytes.
 */
export function createPageWriter(doc: PDFDocument, fonts: Fonts) {
  let page: PDFPage = doc.addPage([PAGE.width, PAGE.height]);
  let content: string[] = [];
  let fontKeys = new Map<ReportFont['pdf'], string>();
  let y = PAGE.height - PAGE.margin;
  let onNewPage: (() => void) | null = null;

  /** `text` must already be safe for the font (a standard font's encodeText throws on anything but WinAnsi). */
  function draw(text: string, x: number, font: ReportFont, size: number): void {
    if (text.length === 0) return;
    let key = fontKeys.get(font.pdf);
    if (key === undefined) {
      key = page.node.newFontDictionary(font.pdf.name, font.pdf.ref).toString();
      fontKeys.set(font.pdf, key);
    }
    const shown = `BT ${key} ${size} Tf ${(PAGE.margin + x).toFixed(2)} ${y.toFixed(2)} Td ${font.encode(text)} Tj ET`;
    // Render mode 2 fills and strokes the glyphs: a bold for a face that has none.
    content.push(font.emboldened ? `q 0.3 w 2 Tr ${shown} Q` : shown);
  }

  function finishPage(): void {
    page.node.addContentStream(doc.context.register(doc.context.flateStream(content.join('\n'))));
    content = [];
    fontKeys = new Map();
  }

  /** Makes room for `points` more, on a new page (with the table header repeated) if need be. */
  function ensure(points: number): void {
    if (y - points >= PAGE.margin + LINE) return;
    finishPage();
    page = doc.addPage([PAGE.width, PAGE.height]);
    y = PAGE.height - PAGE.margin;
    onNewPage?.();
  }

  const writer = {
    ensure,
    /**
     * Text across the page, wrapped to its width. Untrusted unless `trusted` says the station wrote
     * all of it (headings, hashes, keys), in which case it is drawn as is.
     */
    text(text: string, options: { font?: ReportFont; size?: number; trusted?: boolean; limit?: number } = {}): void {
      const font = options.font ?? fonts.regular;
      const size = options.size ?? SIZE;
      const safe = options.trusted === true ? text : font.safe(text, options.limit ?? CELL_LIMIT);
      for (const line of wrapText(safe, font, size, USABLE_WIDTH)) {
        ensure(size + 4);
        draw(line, 0, font, size);
        y -= size + 4;
      }
    },
    gap(points = LINE / 2): void {
      y -= points;
    },
    /**
     * Rows drawn as one block: kept on one page when they fit on a fresh one, otherwise continued
     * line by line onto the next page. `separated` draws a hairline across the page above the block.
     */
    rows(rows: readonly Row[], options: { separated?: boolean } = {}): void {
      const bands = rows.flatMap((row) => {
        const font = row.header ? fonts.bold : fonts.regular;
        const wrapped = row.cells.map((cell, index) => {
          const column = row.columns[index];
          if (!column) throw new Error(`a table row has ${row.cells.length} cells for ${row.columns.length} columns`);
          const cellFont = column.font ?? font;
          const safe = row.header ? cell : cellFont.safe(cell, row.limit ?? CELL_LIMIT);
          return { column, font: cellFont, lines: wrapText(safe, cellFont, SIZE, column.width - 4) };
        });
        const height = Math.max(...wrapped.map((cell) => cell.lines.length));
        return Array.from({ length: height }, (_, line) => wrapped.map((cell) => ({ ...cell, text: cell.lines[line] ?? '' })));
      });
      ensure(Math.min(bands.length, KEEP_TOGETHER_LINES) * LINE);
      if (options.separated) {
        const at = (y + LINE - 1.5).toFixed(2);
        content.push(`q 0.75 G 0.4 w ${PAGE.margin} ${at} m ${(PAGE.width - PAGE.margin).toFixed(2)} ${at} l S Q`);
      }
      for (const band of bands) {
        ensure(LINE);
        for (const cell of band) draw(cell.text, cell.column.x, cell.font, SIZE);
        y -= LINE;
      }
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

export type PageWriter = ReturnType<typeof createPageWriter>;
