// The calls the front ends make for one station: its printer from station-settings.json, reprint
// from history, the batch preview before any handset is done, and refusals that name the problem.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NO_PRINTER } from '../../../src/main/pipeline/labels.ts';
import { openStationLabels, reprintLabel } from '../../../src/main/station/label-setup.ts';
import { SETTINGS_FILE } from '../../../src/main/station/settings.ts';
import { requireTools } from '../../support/tools.ts';
import { createLabelFixture, scan, TECHNICIAN } from './fixture.ts';

const station = createLabelFixture();
afterAll(() => station.cleanup());
const settings = (value: unknown): void => writeFileSync(join(station.dir, SETTINGS_FILE), JSON.stringify(value));

describe('a station\'s labels', () => {
  it('reprints on the station printer, recorded with operator and reason', async () => {
    const out = join(station.dir, 'label.pdf');
    settings({ labelPrinter: { address: `file:${out}`, format: 'pdf', template: '2x1-300' } });
    const record = station.tagged('STN00001');
    const labels = await openStationLabels({ databasePath: station.records.databasePath });
    expect(await labels.labelStep().label(record, new AbortController().signal)).toMatchObject({ status: 'passed' });
    expect(labels.history('STN00001')).toMatchObject([{ kind: 'first', operatorId: TECHNICIAN.id }]);
    rmSync(out);
    const { job, outcome } = await reprintLabel(station.records.databasePath, 'STN00001', 'sup.kowalski', 'customer lost the box');
    expect(job).toMatchObject({ kind: 'reprint', operatorId: 'sup.kowalski', reason: 'customer lost the box', template: '2x1-300', format: 'pdf' });
    expect((await outcome).status).toBe('accepted');
    expect(readFileSync(out).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(labels.history('STN00001').map((entry) => entry.kind)).toEqual(['first', 'reprint']);
  });

  it('saves each label to a file of its own when a file printer\'s path holds {tag}', async () => {
    settings({ labelPrinter: { address: `file:${join(station.dir, 'label-{tag}.zpl')}`, format: 'zpl', template: '4x2-203' } });
    const labels = await openStationLabels({ databasePath: station.records.databasePath });
    const records = [station.tagged('STN00002'), station.tagged('STN00003')];
    for (const record of records) expect(await labels.labelStep().label(record, new AbortController().signal)).toMatchObject({ status: 'passed' });
    for (const record of records) {
      const tag = 'assetTag' in record ? record.assetTag : '';
      expect(readFileSync(join(station.dir, `label-${tag}.zpl`), 'latin1')).toContain(`^FDS/N ${record.serial}^FS`);
    }
  });

  it('previews a batch before it starts: its first tag and sample values, from the ZPL bytes', async (context) => {
    requireTools(context, 'zbarimg');
    settings({ labelPrinter: { address: 'tcp://127.0.0.1:9100', format: 'zpl', template: '2x1-203' } });
    const labels = await openStationLabels({ databasePath: station.records.databasePath });
    const png = await labels.batchPreview({ assetTagPattern: 'D7-{yy}{mm}-{seq:04}', product: 'lockstep-ref', bundleVersion: '1.0.0' }, new Date('2026-11-25T00:00:00Z'));
    const path = join(station.dir, 'batch-preview.png');
    writeFileSync(path, png);
    expect(scan(path)).toEqual(['CODE-128:D7-2611-0001', `QR-Code:LS1|D7-2611-0001|SAMPLE-SERIAL|SAMPLE-IMEI|${'0'.repeat(16)}`]);
  });

  it('without a printer labels nothing; a printer naming an unknown template is refused with the names known', async () => {
    settings({});
    const none = await openStationLabels({ databasePath: station.records.databasePath });
    const step = none.labelStep();
    expect(step.label).toBe(NO_PRINTER.label);
    // A record without an accepted label: unprinted for want of a printer, as History lists it.
    expect(step.unprinted(424242)).toBe('no-printer');
    await expect(none.printerStatus()).rejects.toMatchObject({ code: 'NO_PRINTER', message: expect.stringMatching(/no label printer is configured/) });
    await expect(none.reprint('ANY0001', 'tech', 'smudged')).rejects.toMatchObject({ code: 'NO_PRINTER' });
    settings({ labelPrinter: { address: 'cups:zebra', template: '3x1-203' } });
    await expect(openStationLabels({ databasePath: station.records.databasePath })).rejects.toThrow('there is no label template 3x1-203; known: 2x1-203, 2x1-300, 4x2-203, 4x2-300.');
    settings({ labelPrinter: { address: 'lpt1:', template: '2x1-203' } });
    await expect(openStationLabels({ databasePath: station.records.databasePath })).rejects.toThrow(/labelPrinter\.address: a printer is tcp:\/\/HOST:9100, cups:QUEUE or file:PATH/);
  });
});
