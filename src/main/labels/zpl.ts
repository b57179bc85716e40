// ZPL II for Zebra-compatible printers. A label is exactly one ^XA … ^XZ format; every variable
// field goes through ^FH (hex escapes) with ^CI28 (UTF-8) in effect, and its data is written by
// zplFieldData, which escapes ^, ~, the _ hex indicator and every byte outside printable ASCII, so
// no device string can end a field or start a command. Only printable ASCII leaves this module.
import { zplFieldData } from '../../shared/untrusted.ts';
import type { LabelLayout } from './layout.ts';

/**
 * Zebra firmware draws a ^BQ QR code 10 dots below its ^FO (zebrash, our preview renderer, does the
 * same), so the field origin is raised by that much to put the code where the layout placed it.
 */
export const QR_FIELD_OFFSET_DOTS = 10;

/** Long enough for any fitted field or payload; the layout has already fitted and capped them. */
const FIELD_LIMIT = 512;

function field(data: string): string {
  return `^FH_^FD${zplFieldData(data, FIELD_LIMIT)}^FS`;
}

export function zplLabel(layout: LabelLayout): Buffer {
  const { template, barcode, matrix } = layout;
  const lines = [
    '^XA',
    '^CI28',
    `^PW${template.widthDots}^LL${template.heightDots}^LH0,0`,
    // Mode A: the printer picks Code 128 subsets; no human-readable line (the text fields carry it).
    `^FO${barcode.x},${barcode.y}^BY${barcode.module}^BCN,${barcode.height},N,N,N,A${field(barcode.data)}`,
    // QR model 2 at the template's module size; ^FD starts with the error correction level and A (automatic input).
    `^FO${matrix.x},${matrix.y - QR_FIELD_OFFSET_DOTS}^BQN,2,${matrix.module}^FH_^FD${matrix.ecLevel}A,${zplFieldData(matrix.data, FIELD_LIMIT)}^FS`,
    ...layout.text.filter((line) => line.text !== '').map((line) => `^FO${line.x},${line.y}^A0N,${line.height},${line.height}${field(line.text)}`),
    '^XZ',
  ];
  return Buffer.from(`${lines.join('\n')}\n`, 'ascii');
}
