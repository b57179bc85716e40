// The label step in a real batch: startProvisioning reads the printer from station-settings.json
// beside the database, virtual handsets are provisioned end to end, and each provisioned handset's
// label reaches the Zebra (a listener here) as one ^XA … ^XZ job with its tag, serial and IMEI. With
// the printer unreachable the handsets are provisioned all the same and their labels stay unprinted.
import { describe, expect, it } from 'vitest';
import { eventLines } from '../../../src/main/cli/provision-events.ts';
import { createLabelService } from '../../../src/main/labels/label-service.ts';
import { loadLabelTemplates } from '../../../src/main/labels/templates.ts';
import { parseScenario } from '../../../src/sim/index.ts';
import { openTestStation, type TestStation } from '../pipeline/fixture.ts';
import { closedPort } from './fixture.ts';
import { startZebra } from './zebra-listener.ts';

/** Provisions `serials` with the station's label printer set to `address`; the caller closes the station. */
async function provisionWithPrinter(address: string, serials: readonly string[]) {
  const station: TestStation = await openTestStation({
    scenario: parseScenario({ devices: serials.map((serial) => ({ serial })) }),
    stationSettings: { labelPrinter: { address, format: 'zpl', template: '2x1-203' } },
    assetTagPattern: 'D7-{yyyy}-{seq:05}',
    prefix: 'lockstep-label-pipeline-',
  });
  const final = await station.settled(serials, 90_000);
  const { records, started } = station;
  const labelEvents = serials.map((serial) => {
    const device = records.journal.findDevice(started.info.id, serial);
    return device ? records.journal.stepEvents(device.id).filter((event) => event.step === 'label') : [];
  });
  const service = createLabelService({ databasePath: records.databasePath, templates: await loadLabelTemplates() });
  return { station, final, labelEvents, service, records };
}

describe('the pipeline label step', () => {
  it('prints one label per provisioned handset on the printer named in the station settings', async () => {
    const zebra = await startZebra();
    try {
      const serials = ['LBLPIPE1', 'LBLPIPE2', 'LBLPIPE3'];
      const { station, final, labelEvents, records } = await provisionWithPrinter(`tcp://127.0.0.1:${zebra.port}`, serials);
      expect(final.handsets.map((handset) => [handset.phase, handset.unprintedLabel])).toEqual(Array(3).fill(['provisioned', null]));
      // The printer's state is station state: every front end sees it in the snapshot and the --json events.
      expect(final.printer).toMatchObject({ state: 'ready', address: `tcp://127.0.0.1:${zebra.port}` });
      const seen = new Map<string, string>();
      const printerEvents = eventLines(final, seen).filter((line) => line.includes('"printer"'));
      expect(printerEvents.map((line) => JSON.parse(line) as unknown)).toMatchObject([{ printer: { state: 'ready' } }]);
      expect(eventLines(final, seen).filter((line) => line.includes('"printer"'))).toEqual([]);
      expect(labelEvents.map((events) => events.map((event) => event.status))).toEqual([['started', 'passed'], ['started', 'passed'], ['started', 'passed']]);
      expect(zebra.jobs).toHaveLength(3);
      const printed = zebra.jobs.map((job) => job.toString('latin1'));
      for (const serial of serials) {
        const handset = final.handsets.find((entry) => entry.serial === serial);
        const record = records.log.get(handset?.recordSeq ?? 0);
        const job = printed.find((text) => text.includes(`^FDS/N ${serial}^FS`)) ?? '';
        expect(job).toMatch(/^\^XA\n[^]*\^XZ\n$/);
        expect(job.split('^XA')).toHaveLength(2);
        expect(job).toContain(`^FD${record && 'assetTag' in record ? record.assetTag : '?'}^FS`);
        expect(job).toContain(`^FDIMEI ${record?.imei}^FS`);
      }
      await station.close();
    } finally {
      await zebra.close();
    }
  }, 120_000);

  it('provisions the handsets all the same when the printer is unreachable; their labels stay unprinted', async () => {
    const { station, final, labelEvents, service, records } = await provisionWithPrinter(`tcp://127.0.0.1:${await closedPort()}`, ['LBLOFF01', 'LBLOFF02']);
    const labelStates = final.handsets.map((handset) => [handset.phase, handset.steps.label, handset.unprintedLabel]);
    expect(labelStates).toEqual(Array(2).fill(['provisioned', 'skipped', 'not-taken']));
    expect(final.printer).toMatchObject({ state: 'offline' });
    for (const events of labelEvents) expect(events).toMatchObject([{ status: 'started' }, { status: 'skipped', data: { unprinted: 'not-taken' }, detail: expect.stringMatching(/label unprinted \(job \d+\): .*cannot reach the printer at 127\.0\.0\.1:\d+: connection refused/) }]);
    expect(service.unprinted().map((entry) => entry.serial).sort()).toEqual(['LBLOFF01', 'LBLOFF02']);
    expect(records.checkIntegrity()).toMatchObject({ database: [], chain: { intact: true } });
    await station.close();
  }, 120_000);
});
