// The label step in a real batch: startProvisioning reads the printer from station-settings.json
// beside the database, virtual handsets are provisioned end to end, and each provisioned handset's
// label reaches the Zebra (a listener here) as one ^XA … ^XZ job with its tag, serial and IMEI. With
// the printer unreachable the handsets are provisioned all the same and their labels stay unprinted.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateDemoBundle } from '../../../src/main/bundle/demo.ts';
import { HandsetRegistry } from '../../../src/main/discovery/registry.ts';
import { SimSerialBackend } from '../../../src/main/discovery/sim-serial-backend.ts';
import { UsbBackend } from '../../../src/main/discovery/usb-backend.ts';
import { createLabelService } from '../../../src/main/labels/label-service.ts';
import { loadLabelTemplates } from '../../../src/main/labels/templates.ts';
import { openStationRecords } from '../../../src/main/records/station-records.ts';
import { startProvisioning } from '../../../src/main/station/provisioning.ts';
import { createSimFleet, parseScenario } from '../../../src/sim/index.ts';
import type { PipelineSnapshot } from '../../../src/shared/pipeline.ts';
import { ADMIN, FAST_TIMING, SUPERVISOR, TECHNICIAN } from '../pipeline/fixture.ts';
import { closedPort } from './fixture.ts';
import { startZebra } from './zebra-listener.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function provisionWithPrinter(address: string, serials: readonly string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-label-pipeline-'));
  dirs.push(dir);
  const bundlePath = join(dir, 'bundle');
  await generateDemoBundle({ out: bundlePath });
  const stationDir = join(dir, 'station');
  const records = openStationRecords(stationDir);
  writeFileSync(join(stationDir, 'station-settings.json'), JSON.stringify({ labelPrinter: { address, format: 'zpl', template: '2x1-203' } }));
  records.operators.createFirstAdmin({ id: ADMIN.id, displayName: 'Depot Admin', pin: ADMIN.pin });
  records.operators.add(ADMIN, { id: SUPERVISOR.id, displayName: 'A. Kowalski', role: 'supervisor', pin: SUPERVISOR.pin });
  records.operators.add(ADMIN, { id: TECHNICIAN.id, displayName: 'T. Ng', role: 'technician', pin: TECHNICIAN.pin });
  const fleet = await createSimFleet({ scenario: parseScenario({ devices: serials.map((serial) => ({ serial })) }), stateDir: join(dir, 'sim'), timing: FAST_TIMING });
  const registry = new HandsetRegistry([new UsbBackend(fleet.usb, 'Simulated USB'), new SimSerialBackend(fleet.serial)]);
  await registry.start();
  const started = await startProvisioning({
    records,
    registry,
    bundlePath,
    trustDirs: [],
    demo: true,
    operator: TECHNICIAN,
    supervisor: SUPERVISOR,
    deviceCap: serials.length,
    parallel: 4,
    continueBatch: false,
    assetTagPattern: 'D7-{yyyy}-{seq:05}',
  });
  try {
    const final = await new Promise<PipelineSnapshot>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the batch did not finish in 90 s')), 90_000);
      const stop = started.batch.subscribe((snapshot) => {
        if (serials.every((serial) => snapshot.handsets.some((handset) => handset.serial === serial && ['provisioned', 'failed', 'aborted'].includes(handset.phase)))) {
          clearTimeout(timer);
          queueMicrotask(() => stop());
          resolve(snapshot);
        }
      });
    });
    const labelEvents = serials.map((serial) => {
      const device = records.journal.findDevice(started.info.id, serial);
      return device ? records.journal.stepEvents(device.id).filter((event) => event.step === 'label') : [];
    });
    const service = createLabelService({ databasePath: records.databasePath, templates: await loadLabelTemplates() });
    return { final, labelEvents, service, records };
  } finally {
    await started.batch.stop();
    await registry.stop();
    await fleet.close();
  }
}

describe('the pipeline label step', () => {
  it('prints one label per provisioned handset on the printer named in the station settings', async () => {
    const zebra = await startZebra();
    try {
      const serials = ['LBLPIPE1', 'LBLPIPE2', 'LBLPIPE3'];
      const { final, labelEvents, records } = await provisionWithPrinter(`tcp://127.0.0.1:${zebra.port}`, serials);
      expect(final.handsets.map((handset) => handset.phase)).toEqual(['provisioned', 'provisioned', 'provisioned']);
      expect(labelEvents.map((events) => events.map((event) => event.status))).toEqual([['passed'], ['passed'], ['passed']]);
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
      records.close();
    } finally {
      await zebra.close();
    }
  }, 120_000);

  it('provisions the handsets all the same when the printer is unreachable; their labels stay unprinted', async () => {
    const { final, labelEvents, service, records } = await provisionWithPrinter(`tcp://127.0.0.1:${await closedPort()}`, ['LBLOFF01', 'LBLOFF02']);
    expect(final.handsets.map((handset) => handset.phase)).toEqual(['provisioned', 'provisioned']);
    for (const events of labelEvents) expect(events).toMatchObject([{ status: 'skipped', detail: expect.stringMatching(/label unprinted \(job \d+\): .*cannot reach the printer at 127\.0\.0\.1:\d+: connection refused/) }]);
    expect(service.unprinted().map((entry) => entry.serial).sort()).toEqual(['LBLOFF01', 'LBLOFF02']);
    expect(records.checkIntegrity()).toMatchObject({ database: [], chain: { intact: true } });
    records.close();
  }, 120_000);
});
