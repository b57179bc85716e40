// The PDF report over records of every format and more than one batch. Format 1: the two records of
// tests/fixtures/records-format-1.jsonl (exported by the station before records had evidence) put
// back into a station's chain byte for byte, followed by 45 format 3 records, so the device table
// runs over several pages, and a second batch with another bundle and no supervisor. Format 2: the
// schema 6 station database of tests/fixtures, opened by this version. What a format does not hold
// is shown as "not recorded", never filled in.
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/main/records/canonical-json.ts';
import { chainHash } from '../../../src/main/records/chain.ts';
import { openDatabase } from '../../../src/main/records/database.ts';
import { openStationRecords } from '../../../src/main/records/station-records.ts';
import { recordSerial, type ProvisioningRecordBody } from '../../../src/shared/records.ts';
import { createStationFixture, imei, recordFor, SUPERVISOR, TECHNICIAN, type StationFixture } from './fixture.ts';
import { readPdfReport, type PdfReport } from './pdf-report-reader.ts';
import { pageCount, readPdf, renderPages, unwrapped, type PdfLine } from './pdf-reading.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures');
const OTHER_BUNDLE = 'b'.repeat(64);
const cells = (texts: readonly string[]): string[] => texts.map(unwrapped);

/** Puts the format 1 export's records into the station's (empty) chain exactly as that station stored them. */
function restoreFormat1Records(station: StationFixture): void {
  const lines = readFileSync(join(FIXTURES, 'records-format-1.jsonl'), 'utf8').trimEnd().split('\n').slice(0, -1);
  const db = openDatabase(station.records.databasePath);
  try {
    for (const line of lines) {
      const { seq, prevHash, hash, record } = JSON.parse(line) as { seq: number; prevHash: string; hash: string; record: ProvisioningRecordBody };
      const canonical = canonicalJson(record);
      if (chainHash(prevHash, canonical) !== hash) throw new Error(`record ${seq} of the fixture does not match its hash`);
      const device = station.records.registerDevice({ batchId: station.batchId, serial: recordSerial(record), identity: { product: record.product } });
      db.prepare('INSERT INTO provisioning_records (seq, device_id, batch_id, recorded_at, outcome, body_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
        seq,
        device.id,
        record.batchId,
        record.recordedAt,
        record.outcome,
        canonical,
        prevHash,
        hash,
      );
    }
  } finally {
    db.close();
  }
}

describe('a report over format 1 and format 3 records of two batches', () => {
  let station: StationFixture;
  let pdf: string;
  let report: PdfReport;
  let secondBatch: number;

  beforeAll(async () => {
    station = createStationFixture();
    restoreFormat1Records(station);
    for (let n = 3; n <= 47; n += 1) station.provision({ serial: `LS7A${String(n).padStart(4, '0')}`, imei: imei(n) });
    secondBatch = station.records.startBatch({ name: 'Depot 7 / Dec intake', product: 'lockstep-ref', bundleHash: OTHER_BUNDLE, bundleVersion: 'LSR-15.0.0', operatorId: TECHNICIAN.id }).id;
    const device = station.records.registerDevice({ batchId: secondBatch, serial: 'LS8B0001', identity: { product: 'lockstep-ref' } });
    station.records.commitProvisioningRecord(
      recordFor(device.id, { bundleHash: OTHER_BUNDLE, bundleVersion: 'LSR-15.0.0', failedStep: 'precheck', failureCode: 'BATTERY_LOW', failureReason: 'the battery reads 3300 mV; 3600 mV is needed' }),
    );
    expect(station.records.checkIntegrity().chain).toMatchObject({ intact: true, records: 48 });
    pdf = join(station.dir, 'report.pdf');
    await station.records.export('pdf', {}, pdf);
    report = readPdfReport(pdf);
  });
  afterAll(() => station?.cleanup());

  it('shows what a format 1 record holds, and "not recorded" for what it does not', () => {
    const provisioned = report.devices.get(1);
    expect(provisioned?.identity.slice(1)).toEqual(['2026-11-25 21:13:50', 'LS7A0001', 'not recorded', '352099001761481', 'LSR-14.2.0', 'provisioned', 'tech.ng']);
    expect(cells(provisioned?.evidence ?? [])).toEqual(
      cells(['batch 1, bundle LSR-14.2.0', 'CAMERA_DISABLE, GPS_DISABLE', 'not recorded', 'locked; answer not recorded', 'supervisor not recorded, authorisation #1']),
    );
    const failure = report.failures.get(2);
    expect(failure?.identity.slice(2)).toEqual(['LS7A0002', 'checks', 'not recorded', 'tech.ng']);
    expect(failure?.evidence).toEqual(['AT+XCAPS? reported CAMERA=PRESENT']);
  });

  it('shows a format 3 record of the same batch in full', () => {
    const row = report.devices.get(3);
    expect(row?.identity.slice(2)).toEqual(['LS7A0003', '—', imei(3), 'LSR-14.2.0', 'provisioned', 'tech.ng']);
    // The fixture's evidence names no supervisor and no lock answer: shown as not recorded, not taken from the authorisation.
    expect(cells(row?.evidence ?? [])).toEqual(
      cells(['batch 1, bundle LSR-14.2.0', 'CAMERA_DISABLE, GPS_DISABLE', 'none', 'locked; answer not recorded', 'supervisor not recorded, authorisation #1']),
    );
  });

  it('summarises each batch: its own bundle, counts, codes and supervisor', () => {
    expect(report.text).toContain('Batch 1: Depot 7 / Nov intake');
    expect(report.text).toContain('Bundle LSR-14.2.0, manifest SHA-256: a3f1c9e07b5d2846f0e1d2c3b4a5968778695a4b3c2d1e0f1a2b3c4d5e6f7081');
    expect(report.text).toContain('Records: 47; provisioned 46, failed 1 (code not recorded 1)');
    expect(report.text).toContain(`Supervisor ${SUPERVISOR.id}: authorisation #${station.authorisationId} for fuses CAMERA_DISABLE, GPS_DISABLE and the bootloader lock`);
    expect(report.text).toContain('cited by 47 of these records');
    expect(report.text).toContain(`Batch ${secondBatch}: Depot 7 / Dec intake`);
    expect(report.text).toContain(`Bundle LSR-15.0.0, manifest SHA-256: ${OTHER_BUNDLE}`);
    expect(report.text).toContain('Records: 1; provisioned 0, failed 1 (BATTERY_LOW 1)');
    expect(report.text).toContain('Supervisor: none; no supervisor authorised irreversible steps for this batch');
    expect(report.failures.get(48)?.identity.slice(3, 5)).toEqual(['precheck', 'BATTERY_LOW']);
  });

  it('runs the device table over several pages, its header repeated on each, every page rendered', () => {
    expect(report.devices.size).toBe(48);
    const pages = pageCount(pdf);
    expect(pages).toBeGreaterThan(2);
    expect(renderPages(pdf, station.dir).filter((page) => page.bytes > 0)).toHaveLength(pages);
    const { lines } = readPdf(pdf);
    const deviceTable = lines.slice(0, lines.findIndex((line) => line[0]?.text === 'Failures'));
    const isRow = (line: PdfLine): boolean => /^\d+$/.test(line[0]?.text ?? '') && (line[1]?.text.startsWith('2026-') ?? false);
    const isHeader = (line: PdfLine): boolean => line[0]?.text === 'Seq' && line.some((word) => word.text === 'Asset');
    const pagesWithRows = new Set(deviceTable.filter(isRow).map((line) => line[0]?.page));
    const pagesWithHeader = new Set(deviceTable.filter(isHeader).map((line) => line[0]?.page));
    expect(pagesWithRows.size).toBeGreaterThan(1);
    expect(pagesWithHeader).toEqual(pagesWithRows);
  });
});

describe('a report over the format 2 records of a schema 6 station database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-pdf-format-2-'));
  let report: PdfReport;

  beforeAll(async () => {
    copyFileSync(join(FIXTURES, 'journal-schema-6.sqlite'), join(dir, 'records.sqlite'));
    copyFileSync(join(FIXTURES, 'journal-schema-6.station-key.pem'), join(dir, 'station-key.pem'));
    chmodSync(join(dir, 'station-key.pem'), 0o600);
    const records = openStationRecords(dir);
    try {
      await records.export('pdf', {}, join(dir, 'report.pdf'));
    } finally {
      records.close();
    }
    report = readPdfReport(join(dir, 'report.pdf'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shows the asset tag, supervisor and lock answer format 2 holds, and fuses found set as not recorded', () => {
    const row = report.devices.get(2);
    expect(row?.identity.slice(2)).toEqual(['LSFX0001', 'LS-2026-000001', '357096555084687', '1.0.0-demo', 'provisioned', 'demo-technician']);
    expect(cells(row?.evidence ?? [])).toEqual(
      cells(['batch 1, bundle 1.0.0-demo', 'CAMERA_DISABLE, GPS_DISABLE', 'not recorded', 'locked; answered "no"', 'demo-supervisor, authorisation #1']),
    );
    expect(report.failures.get(1)?.identity.slice(3, 5)).toEqual(['checks', 'CHECK_FAILED']);
    expect(unwrapped(report.failures.get(1)?.evidence[0] ?? '')).toMatch(/^Cameraabsent:/);
    expect(report.text).toContain('Records: 2; provisioned 1, failed 1 (CHECK_FAILED 1)');
  });
});
