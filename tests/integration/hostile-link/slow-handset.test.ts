// A handset that never finishes a flash, with one flashing place (`--parallel 1`) and a second
// handset queued for it: one that drips INFO for ever, and one that falls silent. The first must fail
// with TIMEOUT at its flash deadline, whatever it keeps saying, and give the place to the second,
// which ends provisioned.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastbootProxy, type ProxyAction } from '../../support/fastboot-proxy.ts';
import { checkTrueToLog, DIALECTS, failureCode, makeBundles, startSim, startStation, stationDbTemplate, type Bundles, type SimProcess } from './harness.ts';

const CASES: [string, ProxyAction][] = [
  ['drips INFO every 200 ms', { kind: 'drip', everyMs: 200, text: 'writing...' }],
  ['stalls', { kind: 'stall' }],
];
const IRREVERSIBLE = /^(oem fuse prog|flashing lock$)/;
/** The profiles' command deadline in this test; the flash of a 1 MiB image takes a fraction of it. */
const COMMAND_MS = 5_000;

let dir: string;
let bundles: Bundles;
let sim: SimProcess;
let newDb: (name: string) => string;
const serials = CASES.flatMap((_, index) => [`SLOW${index}`, `NEXT${index}`]);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-slow-'));
  bundles = await makeBundles(dir);
  newDb = stationDbTemplate(dir);
  sim = await startSim(
    join(dir, 'sim'),
    serials.map((serial) => ({ serial })),
  );
}, 120_000);

afterAll(async () => {
  await sim?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each(CASES.map(([name, action], index) => ({ name, action, index })))('a handset that $name during flash:', ({ action, index }) => {
  it('fails with TIMEOUT, and the queued handset gets the flashing place and ends provisioned', async () => {
    const [slow, next] = [`SLOW${index}`, `NEXT${index}`];
    const slowProxy = await FastbootProxy.start({ port: sim.ports[serials.indexOf(slow)] as number }, [{ on: 'command', match: 'flash:', action, times: 'always' }]);
    const nextProxy = await FastbootProxy.start({ port: sim.ports[serials.indexOf(next)] as number });
    // The second handset is plugged in once the first holds the one flashing place.
    nextProxy.refuseNext(Number.POSITIVE_INFINITY);
    const station = await startStation({
      dir: join(dir, slow),
      db: newDb(`db-${slow}`),
      bundle: bundles.bundle['lockstep-ref'],
      trustDir: bundles.trustDir,
      tcp: [slowProxy.endpoint, nextProxy.endpoint],
      serial: [sim.atPath(slow), sim.atPath(next)],
      parallel: 1,
      timeouts: { commandMs: COMMAND_MS, hashMs: 8_000, rebootMs: 8_000, atCommandMs: 6_000 },
    });
    try {
      await slowProxy.waitFor((packet) => packet.text.startsWith('flash:'));
      nextProxy.acceptConnections();
      const queued = await station.until((snapshot) => snapshot.handsets.some((handset) => handset.serial === next), `${next} met by the station`);
      expect(queued.handsets.find((handset) => handset.serial === slow)?.step).toBe('flash');

      const stuck = await station.outcome(slow, COMMAND_MS * 6);
      expect(stuck.reason?.code, JSON.stringify(stuck)).toBe('TIMEOUT');
      const slowRecord = station.recordsOf(slow).at(-1);
      expect(slowRecord).toMatchObject({ outcome: 'failed', failedStep: 'flash', fusesBurned: [], locked: false });
      expect(failureCode(slowRecord)).toBe('TIMEOUT');
      expect((await sim.fastboot(slow)).filter((command) => IRREVERSIBLE.test(command))).toEqual([]);

      const done = await station.outcome(next, 60_000);
      expect(done, JSON.stringify(done.reason)).toMatchObject({ phase: 'provisioned' });
      const records = station.recordsOf(next);
      expect(records.at(-1)).toMatchObject({ outcome: 'provisioned', fusesBurned: ['CAMERA_DISABLE', 'GPS_DISABLE'], locked: true });
      expect(checkTrueToLog(await sim.fastboot(next), records, DIALECTS['lockstep-ref'])).toEqual([]);
    } finally {
      await station.close();
      await slowProxy.close();
      await nextProxy.close();
    }
  }, 120_000);
});
