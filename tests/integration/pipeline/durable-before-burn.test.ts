// Step events commit without an fsync on the station's thread (docs/records.md, Durability); what
// precedes an irreversible step must be on stable storage before it runs. The records' `durable()`
// is awaited after the fuse and lock steps' `started` events and before any fuse or lock command
// reaches the handset.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authoriseBatch } from '../../../src/main/station/provisioning.ts';
import { parseScenario } from '../../../src/sim/index.ts';
import { bySerial, openTestStation, SUPERVISOR, type TestStation } from './fixture.ts';

const SERIAL = 'SYNC0001';

let station: TestStation;

beforeAll(async () => {
  station = await openTestStation({ scenario: parseScenario({ devices: [{ serial: SERIAL }] }), supervisor: null, prefix: 'lockstep-durable-' });
}, 60_000);

afterAll(async () => {
  await station?.close();
});

describe('durability before an irreversible step', () => {
  it('syncs the journal before the first fuse program and before the lock, with the started event already journaled', async () => {
    await station.until((snapshot) => bySerial(snapshot, SERIAL)?.phase === 'waiting-for-authorisation', 'the handset waiting before its fuse step');
    const { records } = station;
    const original = records.durable;
    const seen: { fuseProgs: number; locks: number; lastEvent: string }[] = [];
    records.durable = async () => {
      const commands = await station.fastboot(SERIAL);
      const device = records.journal.findDevice(station.started.info.id, SERIAL);
      const last = device ? records.journal.stepEvents(device.id).at(-1) : undefined;
      seen.push({
        fuseProgs: commands.filter((command) => command.startsWith('oem fuse prog')).length,
        locks: commands.filter((command) => command === 'flashing lock').length,
        lastEvent: `${last?.step} ${last?.status}`,
      });
      await original();
    };
    try {
      authoriseBatch(records, SUPERVISOR, station.started.info, 1, station.started.batch);
      await station.settled();
    } finally {
      records.durable = original;
    }
    expect(bySerial(station.started.batch.snapshot, SERIAL)?.phase).toBe('provisioned');
    const commands = await station.fastboot(SERIAL);
    expect(commands.filter((command) => command.startsWith('oem fuse prog')).length).toBeGreaterThan(0);
    expect(commands).toContain('flashing lock');
    // The first sync: the fuse step's started event journaled, nothing burned yet.
    expect(seen[0]).toEqual({ fuseProgs: 0, locks: 0, lastEvent: 'fuse started' });
    // The sync before the lock: the lock's started event journaled, the lock not sent yet.
    expect(seen.find((entry) => entry.lastEvent === 'lock started')).toMatchObject({ locks: 0 });
  }, 60_000);
});
