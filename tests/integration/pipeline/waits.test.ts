// Issue 22 (6) through the whole pipeline: while a handset waits on a long command or its reboot, its
// snapshot says what and until when, within the deadline the profile's timeouts and rates give it;
// when the wait ends (here: the station gives up) the snapshot no longer carries it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HandsetWait, PipelineSnapshot } from '../../../src/shared/pipeline.ts';
import { parseScenario } from '../../../src/sim/index.ts';
import { bySerial, openTestStation, SHORT_TIMEOUTS, type TestStation } from './fixture.ts';

const scenario = parseScenario({
  devices: [
    { serial: 'WAITHASH01', faults: [{ kind: 'stall', command: 'oem sha256', times: 1 }] },
    { serial: 'WAITBOOT02', faults: [{ kind: 'reboot-hang', times: 1 }] },
  ],
});

let station: TestStation;
/** Every wait a published snapshot carried, with the snapshot's time, per serial. */
const seen = new Map<string, { wait: HandsetWait; at: string }[]>();
let last: PipelineSnapshot;

beforeAll(async () => {
  station = await openTestStation({ scenario, timeouts: SHORT_TIMEOUTS, prefix: 'lockstep-waits-' });
  station.started.batch.subscribe((snapshot) => {
    for (const handset of snapshot.handsets) {
      if (handset.serial && handset.wait) seen.set(handset.serial, [...(seen.get(handset.serial) ?? []), { wait: handset.wait, at: snapshot.at }]);
    }
  });
  last = await station.settled(undefined, 60_000);
}, 70_000);

afterAll(async () => {
  await station?.close();
});

/** How long after the snapshot the station gave up, for each wait of this kind it showed. */
const leftIn = (serial: string, kind: HandsetWait['kind']): number[] =>
  (seen.get(serial) ?? []).filter(({ wait }) => wait.kind === kind).map(({ wait, at }) => Date.parse(wait.until) - Date.parse(at));

describe("a handset's wait in its snapshot", () => {
  it('shows a stalled hash with its partition until the station gives up with TIMEOUT, then no wait', () => {
    const hashes = (seen.get('WAITHASH01') ?? []).filter(({ wait }) => wait.kind === 'hash');
    expect(hashes.length).toBeGreaterThan(0);
    expect(hashes[0]?.wait.partition).toBe('boot_a');
    // The deadline the timeout names (timeouts.hashMs plus boot_a's bytes at the minimum hash rate, to 0.1 s) is the one shown.
    const named = /did not finish within (\d+(?:\.\d)?) s \(.* at the profile's minimum 10 MB\/s, plus 6 s\)/.exec(bySerial(last, 'WAITHASH01')?.reason?.message ?? '');
    expect(named).not.toBeNull();
    for (const left of leftIn('WAITHASH01', 'hash')) {
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(Number(named?.[1]) * 1000 + 50);
    }
    expect(bySerial(last, 'WAITHASH01')).toMatchObject({ phase: 'failed', step: 'verify', reason: { code: 'TIMEOUT' }, wait: null });
  });

  it('shows the reboot within timeouts.rebootMs until REBOOT_TIMEOUT, then no wait', () => {
    const left = leftIn('WAITBOOT02', 'reboot');
    expect(left.length).toBeGreaterThan(0);
    for (const ms of left) expect(ms).toBeLessThanOrEqual(SHORT_TIMEOUTS.rebootMs);
    expect((seen.get('WAITBOOT02') ?? []).find(({ wait }) => wait.kind === 'reboot')?.wait.partition).toBeNull();
    expect(bySerial(last, 'WAITBOOT02')).toMatchObject({ phase: 'failed', step: 'reboot', reason: { code: 'REBOOT_TIMEOUT' }, wait: null });
  });
});
