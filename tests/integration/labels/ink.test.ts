// "Shortened visibly, never overprinted": with the widest characters in every field, no dot of ink
// falls outside the template's text boxes, the Code 128 and the QR code, so the barcodes keep their
// quiet zones and no text runs into a neighbour or off the stock. Checked on the PNG drawing and on
// the ZPL as zebrash renders it from the bytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabelTemplate } from '../../../src/shared/labels.ts';
import type { ProvisioningRecord } from '../../../src/shared/records.ts';
import { labelContent } from '../../../src/main/labels/content.ts';
import { qrModules } from '../../../src/main/labels/layout.ts';
import { renderLabel, renderLabelPreview } from '../../../src/main/labels/render.ts';
import { loadLabelTemplates, type TemplateSet } from '../../../src/main/labels/templates.ts';
import { createLabelFixture } from './fixture.ts';
import { decodeGrayPng, type GrayImage } from './png-decode.ts';

const station = createLabelFixture();
let templates: TemplateSet;
let wide: ProvisioningRecord;
beforeAll(async () => {
  templates = await loadLabelTemplates();
  wide = station.tagged(`W${'M'.repeat(63)}`, { imei: '%'.repeat(40), product: '@'.repeat(200), bundleVersion: 'W'.repeat(200) });
});
afterAll(() => station.cleanup());

type Box = [x0: number, y0: number, x1: number, y1: number];

/** Where ink may be: the text boxes (a glyph may overhang its box by a dot or two), the barcodes. */
function allowed(template: LabelTemplate, record: ProvisioningRecord): Box[] {
  const content = labelContent(record);
  const qr = qrModules(content.matrixPayload, template.matrix.ecLevel).size * template.matrix.module;
  const { barcode, matrix } = template;
  return [
    ...template.text.map((box): Box => [box.x - 2, box.y - 2, box.x + box.width + 2, box.y + box.height + 3]),
    // The printer encodes Code 128 itself and may pick other subsets than bwip-js: up to its right quiet zone.
    [barcode.x, barcode.y, template.widthDots - 10 * barcode.module, barcode.y + barcode.height],
    [matrix.x, matrix.y, matrix.x + qr, matrix.y + qr],
  ];
}

function stray(image: GrayImage, boxes: Box[]): string[] {
  const found: string[] = [];
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      if ((image.pixels[y * image.width + x] ?? 255) >= 128) continue;
      if (!boxes.some(([x0, y0, x1, y1]) => x >= x0 && x < x1 && y >= y0 && y < y1)) found.push(`${x},${y}`);
    }
  }
  return found.slice(0, 10);
}

describe('the widest text stays in its box and the barcodes keep their quiet zones', () => {
  for (const name of ['2x1-203', '2x1-300', '4x2-203', '4x2-300']) {
    it(`${name}: PNG and ZPL rendered from its bytes`, async () => {
      const template = templates.get(name);
      const png = decodeGrayPng(await renderLabel(wide, template, 'png'));
      expect([png.width, png.height]).toEqual([template.widthDots, template.heightDots]);
      expect(stray(png, allowed(template, wide))).toEqual([]);
      const zpl = decodeGrayPng(await renderLabelPreview(wide, template, 'zpl'));
      expect(stray(zpl, allowed(template, wide))).toEqual([]);
      const text = (await renderLabel(wide, template, 'zpl')).toString('latin1');
      expect(text).toMatch(/\^FDS\/N WM+\.\.\.\^FS/);
      expect(text).toMatch(/\^FD@+\.\.\.\^FS/);
    });
  }
});
