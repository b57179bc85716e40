// Renaming a slot (settings.slotName) while a handset sits in it: the running batch's snapshots carry
// the new name for that handset from the next snapshot on, not only for the next handset plugged in
// there. Driven through the station API as the settings screen and the station grid use it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../../src/main/api/dispatch.ts';
import type { PipelineSnapshot } from '../../../src/shared/pipeline.ts';
import { openDepot, SUPERVISOR, type Depot } from '../../e2e/depot.ts';

const SERIAL = 'RENAME0001';
const supervisor = { id: SUPERVISOR.id, pin: SUPERVISOR.pin };

let depot: Depot;

beforeAll(async () => {
  depot = await openDepot({ devices: [{ serial: SERIAL, usbPort: '1-1.1' }], timing: { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 200 } });
}, 60_000);

afterAll(async () => {
  await depot?.close();
});

const shown = async (): Promise<string | null | undefined> =>
  (await depot.station['pipeline.snapshot'](undefined))?.handsets.find((handset) => handset.serial === SERIAL)?.slotName;

describe('a slot renamed while its handset is in it', () => {
  it('shows the handset under the new name from the next snapshot on', async () => {
    const { station } = depot;
    expect(await dispatch(station, 'session.signIn', supervisor)).toMatchObject({ ok: true });
    expect(await dispatch(station, 'settings.slotName', { slot: '1-1.1', name: 'A4' })).toMatchObject({ ok: true });
    // Started without its supervisor, as the operator UI starts a batch: the handset waits at the gate, in its slot.
    expect(await dispatch(station, 'batch.start', { bundlePath: depot.bundlePath, expectedCount: 1 })).toMatchObject({ ok: true });
    depot.handset(SERIAL).plugIn();
    const phase = async (): Promise<string | undefined> =>
      (await station['pipeline.snapshot'](undefined))?.handsets.find((handset) => handset.serial === SERIAL)?.phase;
    await expect.poll(phase, { timeout: 30_000, interval: 100 }).toBe('waiting-for-authorisation');
    expect(await shown()).toBe('A4');

    expect(await dispatch(station, 'settings.slotName', { slot: '1-1.1', name: 'A5' })).toMatchObject({ ok: true, value: { slotNames: { '1-1.1': 'A5' } } });
    const after: PipelineSnapshot[] = [];
    const stop = station.subscribe('pipeline.snapshot', (snapshot) => {
      if (snapshot) after.push(snapshot);
    });
    try {
      // The supervisor's authorisation sets the handset going again: every snapshot from then on is one after the rename.
      const seen = after.length;
      expect(await dispatch(station, 'batch.authorise', { supervisor, deviceCap: 1 })).toMatchObject({ ok: true });
      await expect.poll(phase, { timeout: 30_000, interval: 100 }).toBe('provisioned');
      const published = after.slice(seen).map((snapshot) => snapshot.handsets.find((handset) => handset.serial === SERIAL)?.slotName);
      expect(published.length).toBeGreaterThan(0);
      expect(new Set(published)).toEqual(new Set(['A5']));
      expect(await shown()).toBe('A5');
    } finally {
      stop();
    }
  }, 60_000);
});
