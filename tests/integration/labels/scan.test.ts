// The acceptance test of issue 10's first point: every barcode on every shipped template, in the
// PNG, the PDF (rasterised by pdftoppm) and the ZPL (rendered from its bytes), decodes with zbarimg
// to exactly the intended data.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProvisioningRecord } from '../../../src/shared/records.ts';
import { renderLabel, renderLabelPreview } from '../../../src/main/labels/render.ts';
import { loadLabelTemplates, type TemplateSet } from '../../../src/main/labels/templates.ts';
import { requireTools } from '../../support/tools.ts';
import { createLabelFixture, imei, pdfToPng, scan } from './fixture.ts';

const station = createLabelFixture();
const dir = mkdtempSync(join(tmpdir(), 'lockstep-label-scan-'));
let templates: TemplateSet;
let record: ProvisioningRecord;
beforeAll(async () => {
  templates = await loadLabelTemplates();
  record = station.tagged('KSTR2A00042', { imei: imei(7) });
});
afterAll(() => {
  station.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function expected(record: ProvisioningRecord): string[] {
  const tag = 'assetTag' in record ? record.assetTag : null;
  return [`CODE-128:${tag}`, `QR-Code:LS1|${tag}|${record.serial}|${record.imei}|${record.hash.slice(0, 16)}`].sort();
}

describe('labels scan to exactly their data', () => {
  it('ships 2x1 and 4x2 in templates at 203 and 300 dpi', () => {
    expect(templates.templates.map((entry) => entry.template.name)).toEqual(['2x1-203', '2x1-300', '4x2-203', '4x2-300']);
    expect(record).toMatchObject({ assetTag: 'LS-2026-000001' });
  });

  for (const name of ['2x1-203', '2x1-300', '4x2-203', '4x2-300']) {
    it(`${name}: PNG`, async (context) => {
      requireTools(context, 'zbarimg');
      const path = join(dir, `${name}.png`);
      writeFileSync(path, await renderLabel(record, templates.get(name), 'png'));
      expect(scan(path)).toEqual(expected(record));
    });

    it(`${name}: PDF rasterised by pdftoppm at 300 and 600 dpi`, async (context) => {
      requireTools(context, 'zbarimg', 'pdftoppm');
      const path = join(dir, `${name}.pdf`);
      writeFileSync(path, await renderLabel(record, templates.get(name), 'pdf'));
      for (const dpi of [300, 600]) expect(scan(pdfToPng(path, dpi))).toEqual(expected(record));
    });

    it(`${name}: ZPL rendered from its bytes`, async (context) => {
      requireTools(context, 'zbarimg');
      const path = join(dir, `${name}.zpl.png`);
      writeFileSync(path, await renderLabelPreview(record, templates.get(name), 'zpl'));
      expect(scan(path)).toEqual(expected(record));
    });
  }
});
