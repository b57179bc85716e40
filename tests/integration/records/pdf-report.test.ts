// The PDF report as an auditor holding only the PDF reads it. Handsets are provisioned on simulated
// hardware through the whole pipeline (one healthy, one with a 60-character serial, one whose policy
// fuse was already set, one that lies about its camera after being fused and locked, one whose IMEI
// carries a bidi override), with asset tags long enough to wrap; the report is then read back with
// poppler: every handset's identity and evidence in its own column, the batch summary, the failures
// with step, code and reason, every word inside the page, and every page rendered.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProvisioningRecord } from '../../../src/shared/records.ts';
import { winAnsiSafe } from '../../../src/shared/untrusted.ts';
import { parseScenario } from '../../../src/sim/index.ts';
import { openTestStation, SHORT_TIMEOUTS, SUPERVISOR, TECHNICIAN, type TestStation } from '../pipeline/fixture.ts';
import { readPdfReport, type PdfReport } from './pdf-report-reader.ts';
import { layoutText, pageCount, renderPages, unwrapped } from './pdf-reading.ts';

/** 60 characters: the longest serial a bootloader's 64-byte fastboot answer can carry. */
const LONG_SERIAL = 'LONG-SERIAL-0001-ABCDEFGH-IJKLMNOP-QRSTUVWX-YZ012345-6789ABC';
const HOSTILE_IMEI = '35209900\u202E1761481';
const TAG_PATTERN = 'DEPOT-7/NOV-INTAKE/{yyyy}-{seq:06}';

const scenario = parseScenario({
  devices: [
    { serial: 'PDFOK01' },
    { serial: LONG_SERIAL },
    // SECURE_BOOT (bit 0) as from the factory, and CAMERA_DISABLE (bit 4) already set: FUSES_FOUND_SET.
    { serial: 'PDFSETFUSE03', fuses: [{ bank: 3, word: 0, value: 0x11 }] },
    { serial: 'PDFCAMLIE04', faults: [{ kind: 'capability-lie', capability: 'camera' }] },
    { serial: 'PDFIMEI05', imei: HOSTILE_IMEI },
  ],
});

/** What each handset's two rows must show, beyond the identity the record holds. */
const EXPECTED: Record<string, { outcome: string; burned: string; foundSet: string; lock: string; authorised: boolean; failure?: [string, string] }> = {
  PDFOK01: { outcome: 'provisioned', burned: 'CAMERA_DISABLE, GPS_DISABLE', foundSet: 'none', lock: 'locked; answered "no"', authorised: true },
  [LONG_SERIAL]: { outcome: 'provisioned', burned: 'CAMERA_DISABLE, GPS_DISABLE', foundSet: 'none', lock: 'locked; answered "no"', authorised: true },
  PDFSETFUSE03: { outcome: 'failed', burned: 'none', foundSet: 'CAMERA_DISABLE', lock: 'not locked', authorised: false, failure: ['fuse', 'FUSES_FOUND_SET'] },
  PDFCAMLIE04: { outcome: 'failed', burned: 'CAMERA_DISABLE, GPS_DISABLE', foundSet: 'none', lock: 'locked; answered "no"', authorised: true, failure: ['checks', 'CHECK_ALARM'] },
  PDFIMEI05: { outcome: 'failed', burned: 'CAMERA_DISABLE, GPS_DISABLE', foundSet: 'none', lock: 'locked; answered "no"', authorised: true, failure: ['checks', 'HANDSET_FAULTY'] },
};

const shown = (text: string, limit = 256): string => unwrapped(winAnsiSafe(text, limit));

let station: TestStation;
let outDir: string;
let pdf: string;
let report: PdfReport;
let records: ProvisioningRecord[];

beforeAll(async () => {
  station = await openTestStation({ scenario, timeouts: SHORT_TIMEOUTS, parallel: 3, assetTagPattern: TAG_PATTERN, prefix: 'lockstep-pdf-report-' });
  await station.settled(undefined, 90_000);
  outDir = mkdtempSync(join(tmpdir(), 'lockstep-pdf-out-'));
  pdf = join(outDir, 'report.pdf');
  await station.records.export('pdf', { batchId: station.started.info.id }, pdf);
  records = station.records.log.latest({}, 100);
  report = readPdfReport(pdf);
}, 120_000);

afterAll(async () => {
  await station?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

const recordOf = (serial: string): ProvisioningRecord => {
  const found = records.filter((record) => record.serial === serial).at(-1);
  if (!found) throw new Error(`no record for ${serial}`);
  return found;
};

describe('the PDF report of a simulated batch', () => {
  it('has one record per handset, with the outcomes the faults cause', () => {
    expect(records.map((record) => record.serial).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const [serial, expected] of Object.entries(EXPECTED)) {
      expect(recordOf(serial), serial).toMatchObject({ outcome: expected.outcome, failedStep: expected.failure?.[0] ?? null });
    }
  });

  it('renders every page, and every word lies inside the page margins and its table column', () => {
    expect(report.overflows).toEqual([]);
    const pages = renderPages(pdf, outDir);
    expect(pages.length).toBe(pageCount(pdf));
    expect(layoutText(pdf)).toContain(`page 1 of ${pages.length}`);
    for (const page of pages) {
      expect(page.bytes, page.file).toBeGreaterThan(0);
      expect(page).toMatchObject({ width: Math.ceil((595.28 * 50) / 72), height: Math.ceil((841.89 * 50) / 72) });
    }
    expect(report.pages).toHaveLength(pages.length);
    for (const word of report.words) {
      const page = report.pages[word.page - 1];
      expect(word.xMin, word.text).toBeGreaterThanOrEqual(39.5);
      expect(word.xMax, word.text).toBeLessThanOrEqual((page?.width ?? 0) - 39.5);
      expect(word.yMin, word.text).toBeGreaterThanOrEqual(0);
      expect(word.yMax, word.text).toBeLessThanOrEqual(page?.height ?? 0);
    }
  });

  it("shows each handset's identity in its own columns and its evidence on its second row", () => {
    const authorisation = station.records.authorisations.listForBatch(station.started.info.id)[0];
    for (const [serial, expected] of Object.entries(EXPECTED)) {
      const record = recordOf(serial);
      const row = report.devices.get(record.seq);
      expect(row, serial).toBeDefined();
      const [seq, time, shownSerial, tag, imei, firmware, outcome, operator] = row?.identity ?? [];
      expect(unwrapped(seq ?? ''), serial).toBe(String(record.seq));
      expect(time, serial).toBe(record.recordedAt.slice(0, 19).replace('T', ' '));
      expect(unwrapped(shownSerial ?? ''), serial).toBe(shown(serial));
      const assetTag = 'assetTag' in record ? record.assetTag : null;
      if (expected.outcome === 'provisioned') expect(assetTag, serial).toMatch(/^DEPOT-7\/NOV-INTAKE\/\d{4}-\d{6}$/);
      expect(unwrapped(tag ?? ''), serial).toBe(assetTag ?? '—');
      expect(unwrapped(imei ?? ''), serial).toBe(record.imei === null ? '—' : shown(record.imei));
      expect(unwrapped(firmware ?? ''), serial).toBe(shown(record.firmwareVersion ?? '—'));
      expect(outcome, serial).toBe(expected.outcome);
      expect(operator, serial).toBe(TECHNICIAN.id);

      const [batchAndBundle, burned, foundSet, lock, authorisedBy] = (row?.evidence ?? []).map(unwrapped);
      expect(batchAndBundle, serial).toBe(unwrapped(`batch ${station.started.info.id}, bundle 1.0.0-demo`));
      expect(burned, serial).toBe(unwrapped(expected.burned));
      expect(foundSet, serial).toBe(unwrapped(expected.foundSet));
      expect(lock, serial).toBe(unwrapped(expected.lock));
      expect(authorisedBy, serial).toBe(expected.authorised ? unwrapped(`${SUPERVISOR.id}, authorisation #${authorisation?.id}`) : '—');
    }
  });

  it('wraps the long serial and the asset tags inside their columns instead of cutting them', () => {
    const row = report.devices.get(recordOf(LONG_SERIAL).seq);
    const [, , serial, tag] = row?.identity ?? [];
    expect(serial?.split('\n').length).toBeGreaterThan(1);
    expect(unwrapped(serial ?? '')).toBe(LONG_SERIAL);
    expect(tag?.split('\n').length).toBeGreaterThan(1);
    expect(report.text).not.toContain('…');
  });

  it('shows device text escaped: a bidi override in the IMEI never reaches the page as the character itself', () => {
    const record = recordOf('PDFIMEI05');
    // The station does not record an invalid IMEI; its reason quotes the answer with the override already escaped,
    // and the report escapes that text once more (its backslash doubled), so what the record holds stays readable.
    expect(record.imei).toBeNull();
    expect(record.failureReason).toContain('35209900\\u202E1761481');
    expect(report.devices.get(record.seq)?.identity[4]).toBe('—');
    expect(unwrapped(report.failures.get(record.seq)?.evidence[0] ?? '')).toContain('35209900\\\\u202E1761481');
    expect(report.text).not.toContain('\u202E');
  });

  it('summarises the batch: bundle version and hash, counts by outcome and code, the supervisor', () => {
    const batch = station.records.journal.getBatch(station.started.info.id);
    const authorisation = station.records.authorisations.listForBatch(station.started.info.id)[0];
    expect(report.text).toContain(`Batch ${batch?.id}: ${batch?.name}`);
    expect(report.text).toContain(`Bundle 1.0.0-demo, manifest SHA-256: ${recordOf('PDFOK01').bundleHash}`);
    expect(report.text).toContain(`asset tags ${TAG_PATTERN}`);
    expect(report.text).toMatch(/Records: 5; provisioned 2, failed 3 \((?=[^)]*CHECK_ALARM 1)(?=[^)]*HANDSET_FAULTY 1)(?=[^)]*FUSES_FOUND_SET 1)[^)]*\)/);
    expect(report.text).toContain(
      `Supervisor ${SUPERVISOR.id}: authorisation #${authorisation?.id} for fuses CAMERA_DISABLE, GPS_DISABLE and the bootloader lock, up to 5 handsets`,
    );
    expect(report.text).toContain('cited by 4 of these records');
  });

  it('lists every failure with its step, code and reason', () => {
    expect(report.text).toContain('Failures (3)');
    expect([...report.failures.keys()].sort()).toEqual(records.filter((record) => record.outcome === 'failed').map((record) => record.seq).sort());
    for (const [serial, expected] of Object.entries(EXPECTED)) {
      if (!expected.failure) continue;
      const record = recordOf(serial);
      const row = report.failures.get(record.seq);
      const [, , shownSerial, step, code] = row?.identity ?? [];
      expect(unwrapped(shownSerial ?? ''), serial).toBe(shown(serial));
      expect([step, code], serial).toEqual(expected.failure);
      expect('failureCode' in record && record.failureCode, serial).toBe(expected.failure[1]);
      const reason = record.failureReason ?? '';
      expect(reason.length, serial).toBeGreaterThan(10);
      expect(unwrapped(row?.evidence[0] ?? ''), serial).toBe(shown(reason, 2000));
    }
    expect(report.failures.get(recordOf('PDFSETFUSE03').seq)?.evidence[0]).toMatch(/CAMERA_DISABLE/);
  });

  it('reports only the provisioned handsets when filtered so, saying that none of them failed', async () => {
    const file = join(outDir, 'provisioned.pdf');
    await station.records.export('pdf', { status: 'provisioned' }, file);
    const provisioned = readPdfReport(file);
    expect([...provisioned.devices.keys()].sort()).toEqual([recordOf('PDFOK01').seq, recordOf(LONG_SERIAL).seq].sort());
    expect(provisioned.failures.size).toBe(0);
    expect(provisioned.text).toContain('Failures (0) No handset in this report failed.');
    expect(provisioned.text).toContain('Records: 2; provisioned 2, failed 0 ');
    expect(provisioned.overflows).toEqual([]);
  });

  it('keeps the chain section: head, station key and signature', () => {
    const head = station.records.log.head();
    expect(report.text).toContain(`Chain head: record ${head.seq}`);
    expect(report.text).toContain(`Head hash: ${head.hash}`);
    expect(report.text).toContain(station.records.identity.fingerprint);
    expect(report.text).toContain(station.records.identity.publicKey);
  });
});
