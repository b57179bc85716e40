// Quitting mid-batch: the station pauses, lets the steps under way finish within the bound, and
// closes; a step cut off by the bound is journaled as aborted, and every committed record stays.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStationRecords } from '../../../src/main/records/station-records.ts';
import { shutDownStation, type ShutdownTarget } from '../../../src/main/shell/shutdown.ts';
import type { HandsetSnapshot } from '../../../src/shared/pipeline.ts';
import type { StepEvent } from '../../../src/shared/records.ts';
import { defaultScenario } from '../../../src/sim/index.ts';
import { openTestStation, type TestStation } from '../../integration/pipeline/fixture.ts';

let test: TestStation | null = null;

afterEach(() => {
  // The station was closed by the shutdown under test; only its folder is left to remove.
  if (test) rmSync(test.dir, { recursive: true, force: true });
  test = null;
});

async function flashingStation(count: number): Promise<TestStation> {
  test = await openTestStation({ scenario: defaultScenario(count), timing: { linkBytesPerSecond: 6_000_000 }, prefix: 'lockstep-shutdown-' });
  await test.until((snapshot) => snapshot.handsets.some(isWriting), 'a handset writing its partitions', 30_000);
  return test;
}

/**
 * A handset whose flash has its flashing place and sends bytes. One whose flash step only began (reading its hashes,
 * or queued for a place) is not: a pause holds it before it writes anything, as designed, and the close aborts it.
 */
function isWriting(handset: HandsetSnapshot): boolean {
  return handset.steps.flash === 'running' && handset.progress !== null;
}

function target(station: TestStation): ShutdownTarget {
  const { batch } = station.started;
  return {
    latest: async () => batch.snapshot,
    pause: async () => batch.pause(),
    subscribe: (listener) => batch.subscribe(listener),
    close: async () => {
      await batch.stop();
      await station.registry.stop();
      await station.fleet.close();
      station.records.close();
    },
  };
}

/** Each handset's journal, read from the closed database reopened. */
function journals(station: TestStation, serials: readonly string[]): Map<string, StepEvent[]> {
  const records = openStationRecords(join(station.dir, 'station'));
  try {
    expect(records.checkIntegrity().database).toEqual([]);
    const batchId = station.started.info.id;
    return new Map(serials.map((serial) => [serial, records.journal.stepEvents(records.journal.findDevice(batchId, serial)?.id ?? -1)]));
  } finally {
    records.close();
  }
}

describe('crash-safe shutdown', () => {
  it('pauses the batch and lets the flashes under way finish before closing', async () => {
    const station = await flashingStation(2);
    const flashing = station.started.batch.snapshot.handsets.filter(isWriting);
    expect(flashing.length).toBeGreaterThan(0);
    const report = await shutDownStation(target(station), { settleMs: 30_000, closeMs: 10_000 });
    expect(report).toMatchObject({ pauseRefused: null, interrupted: [], closed: true });
    const passedFlash = [...journals(station, ['LSIM0001', 'LSIM0002']).values()].filter((events) =>
      events.some((event) => event.step === 'flash' && event.status === 'passed'),
    );
    // Every handset that was flashing when quit was asked finished its flash; none burned a fuse after the pause.
    expect(passedFlash.length).toBeGreaterThanOrEqual(flashing.length);
    for (const events of journals(station, ['LSIM0001', 'LSIM0002']).values()) {
      expect(events.filter((event) => event.step === 'fuse' && event.status === 'started')).toEqual([]);
    }
  }, 90_000);

  it('cuts off a step that outlasts the bound, journaling it as aborted, and still closes the records', async () => {
    const station = await flashingStation(1);
    const report = await shutDownStation(target(station), { settleMs: 0, closeMs: 10_000 });
    expect(report.interrupted).toEqual(['1-1.1']);
    expect(report.closed).toBe(true);
    const events = journals(station, ['LSIM0001']).get('LSIM0001') ?? [];
    expect(events.at(-1)).toMatchObject({ step: 'flash', status: 'failed', code: 'ABORTED' });
  }, 90_000);

  it('still closes, cutting off the steps under way, when the station refuses to pause', async () => {
    const station = await flashingStation(1);
    const refusing = { ...target(station), pause: async () => Promise.reject(new Error('nobody is signed in at this station; sign in first.')) };
    const report = await shutDownStation(refusing, { settleMs: 60_000, closeMs: 10_000 });
    // A refused pause skips the 60 s settle wait altogether (the test's own timeout would catch a wait).
    expect(report).toMatchObject({ pauseRefused: 'nobody is signed in at this station; sign in first.', interrupted: ['1-1.1'], closed: true });
    expect(journals(station, ['LSIM0001']).get('LSIM0001')?.at(-1)).toMatchObject({ code: 'ABORTED' });
  }, 90_000);

  it('closes at once when no batch ever started', async () => {
    let closed = 0;
    const report = await shutDownStation(
      { latest: async () => null, pause: async () => expect.unreachable('nothing to pause'), subscribe: () => () => undefined, close: async () => void (closed += 1) },
      { settleMs: 60_000, closeMs: 1_000 },
    );
    expect(report).toMatchObject({ interrupted: [], closed: true });
    expect(closed).toBe(1);
    // No 60 s settle wait: vitest's 5 s test timeout fails the test if there is one.
  });
});
