// PDF labels for office printers: one page the size of the stock, a white background, the barcodes
// as filled rectangles from the same module geometry as the PNG (vector, so any printer resolution
// keeps the edges) and the text in Courier-Bold, a standard font every PDF reader has.
import { PDFDocument, StandardFonts, rgb, type PDFFont, type PDFPage } from 'pdf-lib';
import type { LabelContent, LabelTemplate } from '../../shared/labels.ts';
import { layoutLabel, type LabelLayout } from './layout.ts';

/** Courier's advance is 600/1000 of the font size for every character. */
const COURIER_ADVANCE = 0.6;

export function pdfTextWidth(text: string, height: number): number {
  return Math.ceil(text.length * COURIER_ADVANCE * height);
}

function box(page: PDFPage, scale: number, pageHeight: number, x: number, y: number, width: number, height: number): void {
  page.drawRectangle({ x: x * scale, y: pageHeight - (y + height) * scale, width: width * scale, height: height * scale, color: rgb(0, 0, 0) });
}

function text(page: PDFPage, font: PDFFont, scale: number, pageHeight: number, line: LabelLayout['text'][number]): void {
  // The box's top is y; Courier's capitals reach about 0.8 of the size above the baseline.
  page.drawText(line.text, { x: line.x * scale, y: pageHeight - (line.y + line.height * 0.8) * scale, size: line.height * scale, font, color: rgb(0, 0, 0) });
}

export async function drawPdf(layout: LabelLayout): Promise<Buffer> {
  const { template, barcode, matrix } = layout;
  const scale = 72 / template.dpi;
  const document = await PDFDocument.create();
  document.setTitle(`Asset label ${layout.content.assetTag}`);
  document.setProducer('Lockstep');
  document.setCreationDate(new Date(`${layout.content.date}T00:00:00Z`));
  document.setModificationDate(new Date(`${layout.content.date}T00:00:00Z`));
  const width = template.widthDots * scale;
  const height = template.heightDots * scale;
  const page = document.addPage([width, height]);
  page.drawRectangle({ x: 0, y: 0, width, height, color: rgb(1, 1, 1) });
  let x = barcode.x;
  barcode.widths.forEach((bar, index) => {
    if (index % 2 === 0) box(page, scale, height, x, barcode.y, bar * barcode.module, barcode.height);
    x += bar * barcode.module;
  });
  for (let row = 0; row < matrix.size; row++) {
    for (let column = 0; column < matrix.size; column++) {
      if (matrix.modules[row * matrix.size + column]) box(page, scale, height, matrix.x + column * matrix.module, matrix.y + row * matrix.module, matrix.module, matrix.module);
    }
  }
  const font = await document.embedFont(StandardFonts.CourierBold);
  for (const line of layout.text) if (line.text !== '') text(page, font, scale, height, line);
  return Buffer.from(await document.save());
}

export function pdfLabel(template: LabelTemplate, content: LabelContent): Promise<Buffer> {
  return drawPdf(layoutLabel(template, content, pdfTextWidth));
}
