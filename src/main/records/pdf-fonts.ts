// The fonts a PDF report draws with, each knowing how to measure, encode and escape text. With a CJK
// font (pdf-cjk-font.ts) that font draws all running text, Latin included, rather than only the runs
// that need it: one font per line keeps wrapping simple and every measured width the drawn width,
// and the fonts looked for (WenQuanYi Micro Hei, Noto Sans CJK, Microsoft YaHei, PingFang) all draw
// Latin well. Hashes and keys stay in Courier: ASCII only, and fixed width is how an auditor compares
// them. The CJK faces have no bold, so bold is the same face drawn filled and stroked.
import { StandardFonts, type PDFDocument, type PDFFont } from 'pdf-lib';
import { pdfFontSafe, winAnsiSafe } from '../../shared/untrusted.ts';
import type { PdfFontChoice } from './pdf-cjk-font.ts';

export interface ReportFont {
  readonly pdf: PDFFont;
  readonly width: (text: string, size: number) => number;
  /** The PDF string operand that draws `text`, which is the station's own words or came through `safe`. */
  readonly encode: (text: string) => string;
  /** Untrusted text as this font draws it: `displaySafe`, capped, and what the font has no glyph for escaped. */
  readonly safe: (text: string, limit: number) => string;
  /** Drawn filled and stroked: the bold of a face that has none. */
  readonly emboldened: boolean;
}

export interface Fonts {
  readonly regular: ReportFont;
  readonly bold: ReportFont;
  readonly mono: ReportFont;
}

function standardFont(pdf: PDFFont): ReportFont {
  return {
    pdf,
    width: (text, size) => pdf.widthOfTextAtSize(text, size),
    encode: (text) => pdf.encodeText(text).toString(),
    safe: winAnsiSafe,
    emboldened: false,
  };
}

/**
 * An embedded (subset) face, measured and encoded a character at a time from caches: pdf-lib lays
 * out each whole string with fontkit, which measured a cell about 35 times slower than a standard
 * font does, and wrapping measures every cell many times. Character by character is exact here: the
 * PDF places each glyph by its advance width, and neither Chinese nor Latin text needs shaping.
 */
function embeddedFont(pdf: PDFFont, canDraw: (codePoint: number) => boolean): ReportFont {
  const widths = new Map<string, number>();
  const codes = new Map<string, string>();
  return {
    pdf,
    width(text, size) {
      let total = 0;
      for (const char of text) {
        let width = widths.get(char);
        if (width === undefined) widths.set(char, (width = pdf.widthOfTextAtSize(char, 1000)));
        total += width;
      }
      return (total * size) / 1000;
    },
    encode(text) {
      let hex = '';
      for (const char of text) {
        let code = codes.get(char);
        // A hex string operand, `<…>`: the glyph's id in the subset (Identity-H).
        if (code === undefined) codes.set(char, (code = pdf.encodeText(char).toString().slice(1, -1)));
        hex += code;
      }
      return `<${hex}>`;
    },
    safe: (text, limit) => pdfFontSafe(text, limit, canDraw),
    emboldened: false,
  };
}

/** Embeds the report's fonts: the CJK face chosen, subset to the glyphs drawn, or the standard fonts. */
export async function embedReportFonts(doc: PDFDocument, choice: PdfFontChoice): Promise<Fonts> {
  const mono = standardFont(await doc.embedFont(StandardFonts.Courier));
  if (choice.kind === 'standard') {
    return { regular: standardFont(await doc.embedFont(StandardFonts.Helvetica)), bold: standardFont(await doc.embedFont(StandardFonts.HelveticaBold)), mono };
  }
  // pdf-lib parses the bytes with fontkit.create(bytes), which for a collection (.ttc) gives the
  // collection, not a face: hand it the face already chosen and checked.
  const face = choice.face;
  doc.registerFontkit({ create: () => face });
  const drawable = new Map<number, boolean>();
  const canDraw = (codePoint: number): boolean => {
    let known = drawable.get(codePoint);
    if (known === undefined) drawable.set(codePoint, (known = face.hasGlyphForCodePoint(codePoint)));
    return known;
  };
  const regular = embeddedFont(await doc.embedFont(choice.bytes, { subset: true }), canDraw);
  return { regular, bold: { ...regular, emboldened: true }, mono };
}
