import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUnsafeCodePoint, winAnsiSafe } from '../../../src/shared/untrusted.ts';
import { verifyJsonlExport } from '../../../src/main/records/verify-export.ts';
import { createStationFixture, imei, recordFor, type StationFixture } from './fixture.ts';
import { readPdfReport } from './pdf-report-reader.ts';
import { unwrapped } from './pdf-reading.ts';
import { parseCsv } from '../../support/csv.ts';

const MEGABYTE_SERIAL = `LS${'9'.repeat(1024 * 1024)}`;
/** Each character of it is written as a six-character escape wherever it is shown. */
const MEGABYTE_OF_OVERRIDES = '\u202E'.repeat(1024 * 1024);

/** Identity strings a hostile or broken handset could report. */
const HOSTILE = [
  "=cmd|' /C calc'!A0",
  '+SUM(1,2)',
  '-2+3',
  '@SUM(A1:A9)',
  '\tTAB-LEADING',
  '\rCR-LEADING',
  'comma, "quotes" and\nnewlines\r\n',
  'NUL\u0000BEL\u0007ESC\u001b[2J',
  '^XA^FO50,50^FDpwned^FS^XZ~JA~JR',
  'LS7A\u202Eexe.1000',
  '\u2066isolate\u2069\u200b',
  'C1\u0085\u009b',
  '序列号📱',
  MEGABYTE_SERIAL,
  MEGABYTE_OF_OVERRIDES,
  ' =1+1',
  '"=cmd|\' /C calc\'!A0"',
];

describe('exports of hostile identity strings', () => {
  let station: StationFixture;

  beforeAll(() => {
    station = createStationFixture();
    HOSTILE.forEach((value, index) => {
      const device = station.records.registerDevice({ batchId: station.batchId, serial: value, identity: { serialno: value } });
      station.records.commitProvisioningRecord(
        recordFor(device.id, {
          product: value,
          hwRevision: value,
          bootloaderVersion: value,
          imei: index % 2 === 0 ? value : imei(index),
          firmwareVersion: value,
          failureReason: `AT+CGSN answered ${value}`,
        }),
      );
    });
  });
  afterAll(() => station.cleanup());

  it('writes a CSV in which no cell would execute, one row per record, hostile text escaped and capped', async () => {
    const out = join(station.dir, 'records.csv');
    await station.records.export('csv', { batchId: station.batchId }, out);
    const rows = parseCsv(readFileSync(out, 'utf8'));
    expect(rows).toHaveLength(HOSTILE.length + 1);
    const header = rows[0] ?? [];
    expect(rows.every((row) => row.length === header.length)).toBe(true);
    for (const cell of rows.flat()) {
      expect(cell.charAt(0), `cell ${JSON.stringify(cell.slice(0, 40))}`).not.toMatch(/[=+\-@\t\r]/);
      expect(cell, 'a formula sign behind leading spaces or quotes').not.toMatch(/^(?!')[\s"']*[=+\-@]/);
      expect([...cell].some((char) => isUnsafeCodePoint(char.codePointAt(0) ?? 0))).toBe(false);
      expect(cell.length).toBeLessThan(32_767);
    }
    const serials = rows.slice(1).map((row) => row[header.indexOf('serial')]);
    expect(serials).toContain("'=cmd|' /C calc'!A0");
    expect(serials).toContain('LS7A\\u202Eexe.1000');
    expect(serials).toContain('NUL\\x00BEL\\x07ESC\\x1B[2J');
    expect(serials.find((serial) => serial?.startsWith('LS999'))).toMatch(/…\[truncated \d+ chars\]$/);
  });

  it('writes JSON Lines that verify and keep every value exactly as the handset sent it', async () => {
    const out = join(station.dir, 'records.jsonl');
    await station.records.export('jsonl', {}, out);
    const outcome = await verifyJsonlExport(out, station.records.identity.publicKey);
    expect(outcome).toMatchObject({ intact: true, records: HOSTILE.length, keyPinned: true });
    const serials = readFileSync(out, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(0, -1)
      .map((line) => (JSON.parse(line) as { record: { serial: string } }).record.serial);
    expect(serials).toEqual(HOSTILE);
  });

  it('writes a PDF report that renders and shows the chain head and the station fingerprint', async () => {
    const out = join(station.dir, 'report.pdf');
    const summary = await station.records.export('pdf', { batchId: station.batchId }, out);
    const render = spawnSync('pdftoppm', ['-r', '50', '-png', out, join(station.dir, 'page')], { encoding: 'utf8' });
    expect(render.status, render.stderr).toBe(0);
    expect(readdirSync(station.dir).filter((name) => /^page-\d+\.png$/.test(name)).length).toBeGreaterThan(0);
    const text = spawnSync('pdftotext', ['-layout', out, '-'], { encoding: 'utf8' });
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(summary.headHash);
    expect(text.stdout).toContain(station.records.identity.fingerprint);
    expect(text.stdout).toContain(`Failures (${HOSTILE.length})`);
    expect(text.stdout).toContain('LS7A\\u202Eexe.1000');
    expect(text.stdout).not.toContain('\u202E');
    // Every hostile value wraps inside its column; the megabyte ones end in the visible truncation marker.
    const report = readPdfReport(out);
    expect(report.overflows).toEqual([]);
    const serials = [...report.devices.values()].map((row) => unwrapped(row.identity[2] ?? ''));
    expect(serials.filter((serial) => /…\[truncated\d+chars\]$/.test(serial))).toHaveLength(2);
    // The serial of overrides runs over a page break, under the repeated header, and reads back whole.
    expect(serials).toContain(unwrapped(winAnsiSafe(MEGABYTE_OF_OVERRIDES, 256)));
    expect(serials).toContain(unwrapped(winAnsiSafe(MEGABYTE_SERIAL, 256)));
  });
});
