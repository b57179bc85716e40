// A bundle written before the boot slot had its own name (manifest schema 1, partitions' `slot`;
// tests/fixtures/bundle-manifest-1.zip, the demo bundle as that version wrote and signed it) still
// verifies and flashes: its partitions go to the handset's active boot slot, as they did then.
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTrustStore } from '../../../src/main/bundle/trust-store.ts';
import { verifyBundle } from '../../../src/main/bundle/verify.ts';
import { parseScenario } from '../../../src/sim/index.ts';
import { openTestStation, type TestStation } from './fixture.ts';

const FIXTURE = join(import.meta.dirname, '../../fixtures/bundle-manifest-1.zip');
let station: TestStation;

beforeAll(async () => {
  station = await openTestStation({
    scenario: parseScenario({ timing: { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 200 }, devices: [{ serial: 'OLDBNDL1' }] }),
    bundle: async (dir) => {
      const path = join(dir, 'bundle-manifest-1.zip');
      await copyFile(FIXTURE, path);
      return path;
    },
  });
  await station.settled();
}, 120_000);

afterAll(async () => {
  await station?.close();
});

describe('a bundle of manifest schema 1', () => {
  it('verifies against the key that signed it, each partition read as on the active boot slot', async () => {
    const verified = await verifyBundle(FIXTURE, { trust: await loadTrustStore({ demo: true }) });
    expect(verified.manifest.partitions.map((partition) => [partition.name, partition.bootSlot])).toEqual([
      ['boot', 'active'],
      ['system', 'active'],
    ]);
  });

  it('flashes and provisions a handset, its slotted partitions on the active boot slot', async () => {
    expect(station.records.log.latest({}, 10).map((record) => [record.serial, record.outcome])).toEqual([['OLDBNDL1', 'provisioned']]);
    const flashed = (await station.fastboot('OLDBNDL1')).filter((command) => command.startsWith('flash:'));
    expect(flashed.map((command) => command.split(':')[1])).toEqual(expect.arrayContaining(['boot_a', 'system_a']));
  });
});
