// A batch started before its supervisor came (the operator UI's `batch.start`): its handsets are
// flashed and verified at once, then wait before the fuse step, saying so in their phase, and no fuse
// or lock command reaches them until an authorisation covers them. One authorisation wakes them; a
// device cap lets only as many go on as it covers, the rest wait for the next; unplugging a waiting
// handset ends its wait like any other, and plugged in again it waits at the same place. Authorising
// a paused batch does not resume it: the handsets hold before the fuse step until the operator resumes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authoriseBatch, liveAuthorisation } from '../../../src/main/station/provisioning.ts';
import type { PipelineSnapshot } from '../../../src/shared/pipeline.ts';
import { parseScenario } from '../../../src/sim/index.ts';
import { bySerial, irreversibleBeforeVerify, isIrreversible, openTestStation, SUPERVISOR, type TestStation } from './fixture.ts';

const SERIALS = ['GATE0001', 'GATE0002', 'GATE0003'];
const WRITTEN = ['boot_a', 'system_a'];

let station: TestStation;

beforeAll(async () => {
  station = await openTestStation({ scenario: parseScenario({ devices: SERIALS.map((serial) => ({ serial })) }), supervisor: null, parallel: 2, prefix: 'lockstep-gate-' });
}, 60_000);

afterAll(async () => {
  await station?.close();
});

const waiting = (snapshot: PipelineSnapshot, serial: string): boolean => bySerial(snapshot, serial)?.phase === 'waiting-for-authorisation';

describe('a batch started without its supervisor', () => {
  it('flashes and verifies every handset, then holds each before the fuse step with nothing irreversible sent', async () => {
    const held = await station.until((snapshot) => SERIALS.every((serial) => waiting(snapshot, serial)), 'every handset waiting for the supervisor');
    for (const serial of SERIALS) {
      const handset = bySerial(held, serial);
      expect(handset).toMatchObject({ step: 'fuse', reason: null });
      expect(handset?.steps).toMatchObject({ flash: 'passed', verify: 'passed', fuse: 'waiting', lock: 'waiting' });
      const commands = await station.fastboot(serial);
      expect(commands).toContain('flash:system_a');
      expect(commands.filter(isIrreversible)).toEqual([]);
      expect(station.handset(serial).unlocked).toBe(true);
    }
    expect(held.paused).toBe(false);
    expect(liveAuthorisation(station.records, station.started.info)).toBeNull();
  }, 60_000);

  it('ends the wait of a handset that is unplugged, and waits at the fuse step again once it is back', async () => {
    station.handset('GATE0003').unplug();
    await station.until((snapshot) => bySerial(snapshot, 'GATE0003')?.phase === 'waiting-for-handset', 'GATE0003 noticed as unplugged');
    station.handset('GATE0003').plugIn();
    const back = await station.until(
      (snapshot) => waiting(snapshot, 'GATE0003') && bySerial(snapshot, 'GATE0003')?.steps.verify === 'passed',
      'GATE0003 back at the supervisor gate',
    );
    expect(bySerial(back, 'GATE0003')?.steps.fuse).toBe('waiting');
    expect((await station.fastboot('GATE0003')).filter(isIrreversible)).toEqual([]);
  }, 60_000);

  it('lets as many handsets on as an authorisation covers when it wakes them; the next authorisation takes the rest', async () => {
    station.started.batch.pause();
    const first = authoriseBatch(station.records, SUPERVISOR, station.started.info, 2, station.started.batch);
    const paused = await station.until(
      (snapshot) => snapshot.handsets.filter((handset) => handset.phase === 'paused').length === 2,
      'the two authorised handsets held by the pause',
    );
    for (const handset of paused.handsets) expect(handset.steps.fuse).toBe('waiting');
    for (const serial of SERIALS) expect((await station.fastboot(serial)).filter(isIrreversible)).toEqual([]);
    station.started.batch.resume();
    const two = await station.until(
      (snapshot) => snapshot.handsets.filter((handset) => handset.phase === 'provisioned').length === 2,
      'two handsets provisioned under a cap of 2',
    );
    const left = SERIALS.filter((serial) => bySerial(two, serial)?.phase !== 'provisioned');
    expect(left).toHaveLength(1);
    expect(bySerial(two, left[0] as string)).toMatchObject({ phase: 'waiting-for-authorisation', step: 'fuse', reason: null });
    expect((await station.fastboot(left[0] as string)).filter(isIrreversible)).toEqual([]);
    // The cap is used up: the authorisation is still the batch's, and the handset it cannot take waits.
    expect(liveAuthorisation(station.records, station.started.info)).toMatchObject({ id: first.id, devicesUsed: 2, deviceCap: 2 });

    authoriseBatch(station.records, SUPERVISOR, station.started.info, 1, station.started.batch);
    const done = await station.settled();
    for (const serial of SERIALS) {
      expect(bySerial(done, serial)?.phase).toBe('provisioned');
      const commands = await station.fastboot(serial);
      expect(commands.filter(isIrreversible).length).toBeGreaterThan(0);
      expect(irreversibleBeforeVerify(commands, WRITTEN)).toEqual([]);
      expect(station.handset(serial).unlocked).toBe(false);
    }
  }, 90_000);
});
