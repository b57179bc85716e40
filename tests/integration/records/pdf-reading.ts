// Reading a PDF report back as an auditor's tools see it: poppler's pdftotext (the words with their
// boxes, and the page as laid-out text), pdfinfo and pdftoppm. From the boxes, a table's cells are
// recovered by the x ranges of its header words, so a value wrapped over several lines of its
// column is read back whole and the tests can tell which column a value sits in.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PdfWord {
  readonly page: number;
  readonly xMin: number;
  readonly yMin: number;
  readonly xMax: number;
  readonly yMax: number;
  readonly text: string;
}

export interface PdfPage {
  readonly width: number;
  readonly height: number;
}

/** One line of text: the words at one height of one page, left to right. */
export type PdfLine = readonly PdfWord[];

function run(command: string, args: readonly string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unescapeXml = (text: string): string =>
  text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (entity, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return ENTITIES[name] ?? entity;
  });

/** Every page's size and every word with its box, from `pdftotext -bbox`. */
export function readPdf(file: string): { pages: PdfPage[]; words: PdfWord[]; lines: PdfLine[] } {
  const html = run('pdftotext', ['-bbox', file, '-']);
  const pages: PdfPage[] = [];
  const words: PdfWord[] = [];
  const pattern = /<page width="([\d.]+)" height="([\d.]+)">|<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g;
  for (const match of html.matchAll(pattern)) {
    if (match[1] !== undefined) pages.push({ width: Number(match[1]), height: Number(match[2]) });
    else words.push({ page: pages.length, xMin: Number(match[3]), yMin: Number(match[4]), xMax: Number(match[5]), yMax: Number(match[6]), text: unescapeXml(match[7] ?? '') });
  }
  const byLine = new Map<string, PdfWord[]>();
  for (const word of words) {
    const key = `${word.page}:${Math.round(word.yMax)}`;
    byLine.set(key, [...(byLine.get(key) ?? []), word]);
  }
  const lines = [...byLine.values()]
    .map((line) => line.sort((a, b) => a.xMin - b.xMin))
    .sort((a, b) => (a[0]?.page ?? 0) - (b[0]?.page ?? 0) || (a[0]?.yMax ?? 0) - (b[0]?.yMax ?? 0));
  return { pages, words, lines };
}

/** The page as text, columns kept apart by spaces (`pdftotext -layout`). */
export function layoutText(file: string): string {
  return run('pdftotext', ['-layout', file, '-']);
}

export function pageCount(file: string): number {
  return Number(/^Pages:\s+(\d+)$/m.exec(run('pdfinfo', [file]))?.[1]);
}

/** Renders every page with pdftoppm; returns each page's PNG width and height in pixels, in page order. */
export function renderPages(file: string, dir: string): { file: string; width: number; height: number; bytes: number }[] {
  run('pdftoppm', ['-r', '50', '-png', file, join(dir, 'page')]);
  return readdirSync(dir)
    .filter((name) => /^page-\d+\.png$/.test(name))
    .sort((a, b) => Number(/\d+/.exec(a)?.[0]) - Number(/\d+/.exec(b)?.[0]))
    .map((name) => {
      const png = readFileSync(join(dir, name));
      if (!png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw new Error(`${name} is not a PNG`);
      // IHDR is the first chunk: width and height follow its length and type.
      return { file: name, width: png.readUInt32BE(16), height: png.readUInt32BE(20), bytes: png.length };
    });
}

/** A column of a drawn table: from its header's first word to the next column's. */
export interface PdfColumn {
  readonly start: number;
  readonly end: number;
}

/**
 * The columns of a header line: `firstWords` are the first word of each column's header, left to
 * right; each column ends where the next starts (the last at the page's right edge).
 */
export function columnsOf(line: PdfLine, firstWords: readonly string[], pageWidth: number): PdfColumn[] {
  const starts: number[] = [];
  let from = 0;
  for (const first of firstWords) {
    const index = line.findIndex((word, at) => at >= from && word.text === first);
    if (index === -1) throw new Error(`no header '${first}' in '${line.map((word) => word.text).join(' ')}'`);
    starts.push(line[index]?.xMin ?? 0);
    from = index + 1;
  }
  return starts.map((start, index) => ({ start: start - 0.5, end: (starts[index + 1] ?? pageWidth) - 0.5 }));
}

/** The text of one column over some lines: words joined by spaces, lines by newlines. */
export function cellText(lines: readonly PdfLine[], column: PdfColumn): string {
  return lines
    .map((line) =>
      line
        .filter((word) => word.xMin >= column.start && word.xMin < column.end)
        .map((word) => word.text)
        .join(' '),
    )
    .filter((text) => text.length > 0)
    .join('\n');
}

/** What is shown, compared without the line breaks and spaces that wrapping adds or takes. */
export const unwrapped = (text: string): string => text.replace(/\s+/g, '');
