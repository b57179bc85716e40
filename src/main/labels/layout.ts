// Laying a label out: the template's boxes filled with one record's content. Barcode geometry comes
// from bwip-js's encoders (the same modules the PNG and PDF draw); each backend passes its font's
// measure so text is fitted in the font it is printed with.
import bwipjs from 'bwip-js';
import type { LabelContent, LabelTemplate } from '../../shared/labels.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { LabelError } from './errors.ts';
import { fieldText } from './content.ts';
import { fitText, type MeasureText } from './fit.ts';

/** Code 128 and QR quiet zones, in modules (ISO/IEC 15417 and 18004). */
export const CODE128_QUIET_MODULES = 10;
export const QR_QUIET_MODULES = 4;

export interface LinearSymbol {
  readonly x: number;
  readonly y: number;
  readonly module: number;
  readonly height: number;
  readonly data: string;
  /** Bar and space widths in modules, bar first. */
  readonly widths: readonly number[];
}

export interface MatrixSymbol {
  readonly ecLevel: 'L' | 'M' | 'Q' | 'H';
  readonly x: number;
  readonly y: number;
  readonly module: number;
  readonly data: string;
  /** Modules per side and their colours, row by row (1 = dark). */
  readonly size: number;
  readonly modules: readonly number[];
}

export interface TextLine {
  readonly x: number;
  readonly y: number;
  readonly height: number;
  readonly text: string;
}

export interface LabelLayout {
  readonly template: LabelTemplate;
  readonly content: LabelContent;
  readonly barcode: LinearSymbol;
  readonly matrix: MatrixSymbol;
  readonly text: readonly TextLine[];
}

type RawLinear = { sbs: number[] };
type RawMatrix = { pixs: number[]; pixx: number; pixy: number };

export function code128Widths(data: string): number[] {
  const [symbol] = bwipjs.raw({ bcid: 'code128', text: data }) as RawLinear[];
  if (!symbol) throw new LabelError('DOES_NOT_FIT', `cannot encode ${displaySafe(data, 40)} as Code 128`);
  return symbol.sbs;
}

export function qrModules(data: string, ecLevel: MatrixSymbol['ecLevel']): { size: number; modules: number[] } {
  const [symbol] = bwipjs.raw({ bcid: 'qrcode', text: data, eclevel: ecLevel } as Parameters<typeof bwipjs.raw>[0]) as RawMatrix[];
  if (!symbol || symbol.pixx !== symbol.pixy) throw new LabelError('DOES_NOT_FIT', 'cannot encode the 2-D payload as a QR code');
  return { size: symbol.pixx, modules: symbol.pixs };
}

export function layoutLabel(template: LabelTemplate, content: LabelContent, measure: MeasureText): LabelLayout {
  const { barcode, matrix } = template;
  const widths = code128Widths(content.assetTag);
  // A printer encodes the ZPL's Code 128 itself and may not switch to the denser digit subset, so
  // the room kept is for one 11-module symbol per character (plus start, check and stop).
  const worstModules = Math.max(widths.reduce((sum, width) => sum + width, 0), 11 * (content.assetTag.length + 2) + 2);
  const barcodeWidth = worstModules * barcode.module;
  if (barcode.x + barcodeWidth + CODE128_QUIET_MODULES * barcode.module > template.widthDots) {
    throw new LabelError(
      'DOES_NOT_FIT',
      `the asset tag ${content.assetTag} needs ${barcodeWidth} dots of Code 128 plus quiet zones from x=${barcode.x}, more than template ${template.name}'s ${template.widthDots}-dot stock; use a shorter tag pattern or a wider template.`,
    );
  }
  const qr = qrModules(content.matrixPayload, matrix.ecLevel);
  const side = (qr.size + QR_QUIET_MODULES) * matrix.module;
  if (matrix.x + side > template.widthDots || matrix.y + side > template.heightDots) {
    throw new LabelError('DOES_NOT_FIT', `the 2-D code is ${qr.size} modules across and with its quiet zone does not fit template ${template.name} at (${matrix.x},${matrix.y}); use a larger template.`);
  }
  return {
    template,
    content,
    barcode: { x: barcode.x, y: barcode.y, module: barcode.module, height: barcode.height, data: content.assetTag, widths },
    matrix: { ecLevel: matrix.ecLevel, x: matrix.x, y: matrix.y, module: matrix.module, data: content.matrixPayload, size: qr.size, modules: qr.modules },
    text: template.text.map((box) => ({
      x: box.x,
      y: box.y,
      height: box.height,
      text: fitText(`${box.caption}${fieldText(content, box.field)}`, box.width, box.height, measure),
    })),
  };
}
