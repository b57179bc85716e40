// Hostile strings in every field a handset reports (issue 10's acceptance): carets, tildes, ^XZ^XA,
// ~JR, control bytes, right-to-left overrides, 1 MB of text. The ZPL still holds exactly one label
// whose commands are exactly those of a plain label, every byte is printable ASCII with no tilde,
// the fields read back as visibly escaped text, and the barcodes decode to the encoded payload.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProvisioningRecord } from '../../../src/shared/records.ts';
import { matrixPayload } from '../../../src/main/labels/content.ts';
import { LabelError } from '../../../src/main/labels/errors.ts';
import { renderLabel, renderLabelPreview } from '../../../src/main/labels/render.ts';
import { loadLabelTemplates, type TemplateSet } from '../../../src/main/labels/templates.ts';
import { requireTools } from '../../support/tools.ts';
import { createLabelFixture, pdfToPng, scan } from './fixture.ts';

const HOSTILE: Record<string, string> = {
  injection: '^XZ^XA^FO0,0^A0N,99,99^FDINJECTED^FS^XZ',
  tildes: '~JR~HS~JA~DGR:X.GRF',
  caretsAndHex: '^FH_^FD_5EXZ^CI0_7E',
  controls: 'A\x00B\x03C\x1b[31mD\r\nE\x7fF\x85',
  rtl: 'SER\u202E1234\u202C\u2066X',
  unicode: 'ＳＥＲ é 中文 \ud83d\ude00 \ud800',
  megabyte: 'M'.repeat(1024 * 1024),
};
const FIELDS = ['serial', 'imei', 'product', 'bundleVersion'] as const;

const station = createLabelFixture();
const dir = mkdtempSync(join(tmpdir(), 'lockstep-label-hostile-'));
let templates: TemplateSet;
let plain: ProvisioningRecord;
beforeAll(async () => {
  templates = await loadLabelTemplates();
  plain = station.tagged('PLAIN0001');
});
afterAll(() => {
  station.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function hostileRecord(field: (typeof FIELDS)[number], name: string): ProvisioningRecord {
  const value = HOSTILE[name] ?? '';
  if (field === 'serial') return station.tagged(value);
  return station.tagged(`H-${field}-${name}`, { [field === 'product' ? 'product' : field]: value });
}

/** The command names of a ZPL text, in order: `^XA`, `^CI`, `^FO`, … */
function commands(zpl: string): string[] {
  return [...zpl.matchAll(/[\^~]([A-Z0-9@]{2})/g)].map((match) => match[0]);
}

/** The ^FD data of each field with its _XX escapes decoded, as the printer reads it. */
function fieldData(zpl: string): string[] {
  return [...zpl.matchAll(/\^FD(.*?)\^FS/g)].map((match) => Buffer.from((match[1] ?? '').replace(/_([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8'));
}

describe('hostile device strings on labels', () => {
  for (const field of FIELDS) {
    for (const name of Object.keys(HOSTILE)) {
      it(`${field} = ${name}: ZPL holds one label with only our commands`, async () => {
        const record = hostileRecord(field, name);
        for (const { template } of templates.templates) {
          const zpl = await renderLabel(record, template, 'zpl');
          expect(zpl.length).toBeLessThan(8192);
          expect([...zpl].every((byte) => (byte >= 0x20 && byte <= 0x7e) || byte === 0x0a)).toBe(true);
          const text = zpl.toString('ascii');
          expect(text).not.toContain('~');
          expect(text.startsWith('^XA\n')).toBe(true);
          expect(text.endsWith('^XZ\n')).toBe(true);
          expect(text.split('^XA')).toHaveLength(2);
          expect(text.split('^XZ')).toHaveLength(2);
          expect(commands(text)).toEqual(commands((await renderLabel(plain, template, 'zpl')).toString('ascii')));
          for (const data of fieldData(text)) {
            // eslint-disable-next-line no-control-regex -- what must never reach the printer raw
            expect(data).not.toMatch(/[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
          }
        }
      });
    }
  }

  it('shows a right-to-left override as a visible escape and keeps the serial readable', async () => {
    const record = station.tagged('RTL\u202E0001');
    const fields = fieldData((await renderLabel(record, templates.get('4x2-203'), 'zpl')).toString('ascii'));
    expect(fields).toContain('S/N RTL\\u202E0001');
  });

  it('shortens a 1 MB value visibly with ... and keeps the payload compact', async () => {
    const record = station.tagged('LONG0001', { product: 'P'.repeat(1024 * 1024) });
    const fields = fieldData((await renderLabel(record, templates.get('2x1-203'), 'zpl')).toString('ascii'));
    expect(fields.find((data) => data.startsWith('PPP'))).toMatch(/^P+\.\.\.$/);
    const long = station.tagged('S'.repeat(64));
    expect(matrixPayload('LS-2026-000001', long.serial, long.imei, long.hash)).toBe(`LS1|LS-2026-000001|${'S'.repeat(32)}%E2%80%A6|${long.imei}|${long.hash.slice(0, 16)}`);
  });

  it('hostile serials still scan, as their percent-encoded payload, on every template and format', async (context) => {
    requireTools(context, 'zbarimg', 'pdftoppm');
    const serials = { injection: HOSTILE.injection, mixed: 'A^~_\x00\x1b[2J\u202E中é\ud800', megabyte: HOSTILE.megabyte };
    for (const [name, serial] of Object.entries(serials)) {
      const record = station.tagged(`X${serial}`);
      const tag = 'assetTag' in record ? record.assetTag : '';
      const wanted = [`CODE-128:${tag}`, `QR-Code:${matrixPayload(tag ?? '', record.serial, record.imei, record.hash)}`].sort();
      for (const { template } of templates.templates) {
        const png = join(dir, `${name}-${template.name}.png`);
        writeFileSync(png, await renderLabelPreview(record, template, 'zpl'));
        expect(scan(png), `${name} on ${template.name} (ZPL)`).toEqual(wanted);
        writeFileSync(png, await renderLabel(record, template, 'png'));
        expect(scan(png), `${name} on ${template.name} (PNG)`).toEqual(wanted);
        const pdf = join(dir, `${name}-${template.name}.pdf`);
        writeFileSync(pdf, await renderLabel(record, template, 'pdf'));
        expect(scan(pdfToPng(pdf, 300)), `${name} on ${template.name} (PDF)`).toEqual(wanted);
      }
    }
  }, 120_000);

  it('refuses to print an asset tag that no tag pattern could make', async () => {
    const forged = { ...plain, assetTag: '^XZ~JR' } as ProvisioningRecord;
    await expect(renderLabel(forged, templates.get('4x2-203'), 'zpl')).rejects.toThrow(LabelError);
  });
});
