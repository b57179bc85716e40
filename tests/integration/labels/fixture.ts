// A station for the label tests: the records fixture's operators and authorised batch, plus a batch
// with an asset tag pattern, so records are committed (and tagged) through the store's own calls.
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import type { ProvisioningRecord } from '../../../src/shared/records.ts';
import { BUNDLE_HASH, createStationFixture, imei, recordFor, TECHNICIAN, type StationFixture } from '../records/fixture.ts';

export { imei, TECHNICIAN };

export interface LabelFixture extends StationFixture {
  /** The batch whose records get asset tags (LS-{yyyy}-{seq:06}). */
  readonly taggedBatchId: number;
  readonly tagged: (serial: string, overrides?: { imei?: string | null; product?: string; bundleVersion?: string }) => ProvisioningRecord;
}

export function createLabelFixture(): LabelFixture {
  const station = createStationFixture({ now: () => new Date('2026-11-25T10:00:00.000Z') });
  const batch = station.records.startBatch({
    name: 'labels',
    product: 'lockstep-ref',
    bundleHash: BUNDLE_HASH,
    bundleVersion: 'LSR-14.2.0',
    operatorId: TECHNICIAN.id,
    assetTagPattern: 'LS-{yyyy}-{seq:06}',
  });
  return {
    ...station,
    taggedBatchId: batch.id,
    tagged(serial, overrides = {}) {
      const device = station.records.registerDevice({ batchId: batch.id, serial, identity: {} });
      return station.records.commitProvisioningRecord(
        recordFor(device.id, { outcome: 'provisioned', failedStep: null, failureCode: null, failureReason: null, imei: imei(1), ...overrides }),
      );
    },
  };
}

/** Every symbol zbarimg finds in an image file, as `TYPE:data` lines, sorted. */
export function scan(path: string): string[] {
  const result = spawnSync('zbarimg', ['-q', path], { encoding: 'utf8' });
  // zbarimg exits 4 when it finds no symbol at all: that is a result, not a tool failure.
  if (result.status !== 0 && result.status !== 4) throw new Error(`zbarimg failed on ${path}: ${result.stderr}`);
  return result.stdout.split('\n').filter((line) => line !== '').sort();
}

/** The PDF's single page as a grayscale PNG at `dpi`, through poppler's pdftoppm. */
export function pdfToPng(pdf: string, dpi: number): string {
  const base = pdf.replace(/\.pdf$/, '-page');
  execFileSync('pdftoppm', ['-r', String(dpi), '-gray', '-png', '-singlefile', pdf, base]);
  return `${base}.png`;
}

/** A closed port: bound once to learn a free number, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 9;
}
