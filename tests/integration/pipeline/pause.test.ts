// Pausing a batch (batch.pause, the operator's Pause button) holds every handset at its next step
// boundary, and the pipeline says so in the handset's own phase: `paused`, published in the snapshots
// every front end renders (the CLI's live table and --json lines included), with no step under way and
// no command reaching the handset while it is held. A handset queued for a flashing place holds too,
// before its flash step. Resuming puts each back to work, and the batch ends as if it never paused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveTable } from '../../../src/main/cli/live-table.ts';
import { eventLines } from '../../../src/main/cli/provision-events.ts';
import type { PipelineSnapshot } from '../../../src/shared/pipeline.ts';
import { parseScenario } from '../../../src/sim/index.ts';
import { bySerial, openTestStation, type TestStation } from './fixture.ts';

const SERIALS = ['PAUSE0001', 'PAUSE0002', 'PAUSE0003'];

let station: TestStation;

beforeAll(async () => {
  // One flashing place and a link slow enough (about a second per handset) that the pause lands mid-flash with two handsets queued.
  station = await openTestStation({
    scenario: parseScenario({ devices: SERIALS.map((serial) => ({ serial })) }),
    parallel: 1,
    timing: { linkBytesPerSecond: 20_000_000 },
    prefix: 'lockstep-pause-',
  });
}, 60_000);

afterAll(async () => {
  await station?.close();
});

const allPaused = (snapshot: PipelineSnapshot): boolean => SERIALS.every((serial) => bySerial(snapshot, serial)?.phase === 'paused');

describe('a paused batch', () => {
  it('publishes paused for every handset once it reaches a step boundary, with nothing under way or sent meanwhile', async () => {
    const flashing = await station.until(
      (snapshot) => snapshot.handsets.some((handset) => handset.progress !== null) && snapshot.handsets.some((handset) => handset.phase === 'queued'),
      'a handset flashing and another queued for the flashing place',
    );
    const queued = flashing.handsets.flatMap((handset) => (handset.phase === 'queued' && handset.serial !== null ? [handset.serial] : []));
    station.started.batch.pause();

    const held = await station.until(allPaused, 'every handset paused');
    expect(held.paused).toBe(true);
    expect(held.counters).toMatchObject({ attached: 3, running: 3, provisioned: 0, failed: 0 });
    for (const handset of held.handsets) {
      expect(Object.values(handset.steps)).not.toContain('running');
      expect(handset.progress).toBeNull();
      expect(handset.steps.fuse).toBe('waiting');
    }
    // The handsets that were queued hold before their flash step, without having flashed.
    for (const serial of queued) expect(bySerial(held, serial)?.steps.flash).toBe('waiting');

    const sent = await Promise.all(SERIALS.map((serial) => station.fastboot(serial)));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await Promise.all(SERIALS.map((serial) => station.fastboot(serial)))).toEqual(sent);
    expect(station.started.batch.snapshot.handsets.map((handset) => handset.phase)).toEqual(['paused', 'paused', 'paused']);

    // The CLI's live table names the phase and what ends it; --json reports the change.
    const out: string[] = [];
    new LiveTable({ out: (text) => out.push(text), err: () => undefined, isTty: true }).render(held);
    const rows = out.join('').split('\n').filter((line) => SERIALS.some((serial) => line.includes(serial)));
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toContain('PAUSED (held before its next step until the batch resumes)');
    expect(out.join('')).toContain('PAUSED  attached 3');
    const lines = eventLines(held, new Map()).map((line) => JSON.parse(line) as { serial?: string; phase?: string });
    expect(lines.filter((line) => line.phase === 'paused').map((line) => line.serial).sort()).toEqual(SERIALS);
  }, 60_000);

  it('puts every held handset back to work on resume, and all of them are provisioned', async () => {
    station.started.batch.resume();
    const resumed = await station.until(
      (snapshot) => !snapshot.paused && snapshot.handsets.every((handset) => handset.phase !== 'paused'),
      'no handset paused after resume',
      10_000,
    );
    expect(resumed.handsets.map((handset) => handset.phase).every((phase) => ['running', 'queued', 'waiting-for-handset', 'provisioned'].includes(phase))).toBe(true);
    const done = await station.settled();
    for (const serial of SERIALS) expect(bySerial(done, serial)).toMatchObject({ phase: 'provisioned', reason: null });
    // The pause changed no step: each handset was flashed once.
    for (const serial of SERIALS) expect((await station.fastboot(serial)).filter((command) => command === 'flash:system_a')).toHaveLength(1);
  }, 90_000);
});
