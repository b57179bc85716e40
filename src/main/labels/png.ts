// PNG labels for office printers and previews: a white raster at the template's resolution, the
// barcodes drawn module by module from bwip-js's encoders (whole dots, so every edge is sharp) and
// the text in bwip-js's OCR-B, a monospaced font designed for scanning and reading.
import bwipjs from 'bwip-js';
import type { LabelContent, LabelTemplate } from '../../shared/labels.ts';
import { layoutLabel, type LabelLayout } from './layout.ts';
import { encodeGrayPng } from './png-encode.ts';

const BLACK = 0;
const WHITE = 255;
const OCR_B = bwipjs.FontLib.lookup('OCR-B');

/** OCR-B at `height` dots: every glyph of printable ASCII has the same advance. */
export function pngTextWidth(text: string, height: number): number {
  let width = 0;
  for (let index = 0; index < text.length; index++) width += bwipjs.FontLib.getglyph(OCR_B, text.charCodeAt(index), height, height).advance;
  return width;
}

class Raster {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.pixels = new Uint8Array(width * height).fill(WHITE);
  }

  fill(x: number, y: number, width: number, height: number): void {
    for (let row = Math.max(0, y); row < Math.min(this.height, y + height); row++) {
      this.pixels.fill(BLACK, row * this.width + Math.max(0, x), row * this.width + Math.min(this.width, x + width));
    }
  }

  /** Text with its top at `y`; glyph coverage is thresholded so the print has no grey edges. */
  text(x: number, y: number, height: number, text: string): void {
    const baseline = y + Math.round(height * 0.8);
    let pen = x;
    for (let index = 0; index < text.length; index++) {
      const glyph = bwipjs.FontLib.getglyph(OCR_B, text.charCodeAt(index), height, height);
      for (let row = 0; row < glyph.height; row++) {
        for (let column = 0; column < glyph.width; column++) {
          if ((glyph.bytes[glyph.offset + row * glyph.width + column] ?? 0) >= 128) this.fill(pen + glyph.left + column, baseline - glyph.top + row, 1, 1);
        }
      }
      pen += glyph.advance;
    }
  }
}

export function drawPng(layout: LabelLayout): Buffer {
  const { template, barcode, matrix } = layout;
  const raster = new Raster(template.widthDots, template.heightDots);
  let x = barcode.x;
  barcode.widths.forEach((width, index) => {
    if (index % 2 === 0) raster.fill(x, barcode.y, width * barcode.module, barcode.height);
    x += width * barcode.module;
  });
  for (let row = 0; row < matrix.size; row++) {
    for (let column = 0; column < matrix.size; column++) {
      if (matrix.modules[row * matrix.size + column]) raster.fill(matrix.x + column * matrix.module, matrix.y + row * matrix.module, matrix.module, matrix.module);
    }
  }
  for (const line of layout.text) raster.text(line.x, line.y, line.height, line.text);
  return encodeGrayPng(raster.width, raster.height, raster.pixels, template.dpi);
}

export function pngLabel(template: LabelTemplate, content: LabelContent): Buffer {
  return drawPng(layoutLabel(template, content, pngTextWidth));
}
