// How the CLI follows a batch: the end of an --expect run is checked on a timer as well as on each
// snapshot, and the summary counts every handset the batch met, in its last state.
import { describe, expect, it } from 'vitest';
import { exitCodeOf, followBatch, summarise } from '../../../src/main/cli/batch-follow.ts';
import { Topic } from '../../../src/main/station/topic.ts';
import { initialSteps, type HandsetSnapshot, type PipelineSnapshot, type RunPhase } from '../../../src/shared/pipeline.ts';

function handset(slot: string, serial: string | null, phase: RunPhase, step: HandsetSnapshot['step'] = null): HandsetSnapshot {
  return { slot, slotName: null, serial, profile: 'lockstep-ref', phase, step, steps: initialSteps(), progress: null, wait: null, reason: null, quarantine: null, recordSeq: null, unprintedLabel: null, updatedAt: new Date().toISOString() };
}

let version = 0;
function snapshot(handsets: HandsetSnapshot[]): PipelineSnapshot {
  version += 1;
  const count = (phase: RunPhase): number => handsets.filter((entry) => entry.phase === phase).length;
  return {
    version,
    batch: null,
    paused: false,
    handsets,
    counters: { attached: handsets.length, running: 0, provisioned: count('provisioned'), failed: count('failed') },
    printer: null,
    at: new Date().toISOString(),
  };
}

/** The batch's side of the follow: the station's own Topic carries its snapshots. */
function batchOf(first: PipelineSnapshot) {
  const topic = new Topic<PipelineSnapshot>();
  topic.publish(first);
  return {
    topic,
    batch: { get snapshot() { return topic.latest as PipelineSnapshot; }, subscribe: (listener: (value: PipelineSnapshot) => void) => topic.subscribe(listener) },
  };
}

describe('following a batch', () => {
  it('ends on the timer once an unplugged handset is past the grace period, with no snapshot after it', async () => {
    const { batch } = batchOf(snapshot([handset('1-1.1', 'A1', 'provisioned'), handset('1-1.2', 'A2', 'waiting-for-handset', 'flash')]));
    const seen: number[] = [];
    const result = await followBatch(batch, { expected: 2, graceMs: 200, onSnapshot: (value) => seen.push(value.version) });
    expect(seen).toHaveLength(1);
    const summary = summarise(result.handsets);
    expect(summary).toEqual({ handsets: 2, provisioned: 1, failed: 0, unfinished: 1 });
    expect(exitCodeOf(summary)).toBe(1);
  });

  it('does not count the reboot the pipeline asked for as unplugged', async () => {
    const { topic, batch } = batchOf(snapshot([handset('1-1.1', 'B1', 'waiting-for-handset', 'reboot')]));
    const done = followBatch(batch, { expected: 1, graceMs: 50, onSnapshot: () => {} });
    await new Promise((resolve) => setTimeout(resolve, 300));
    topic.publish(snapshot([handset('1-1.1', 'B1', 'provisioned')]));
    const result = await done;
    expect(result.handsets.map((entry) => entry.phase)).toEqual(['provisioned']);
    expect(exitCodeOf(summarise(result.handsets))).toBe(0);
  });

  it('keeps a handset whose slot another handset took later, and an identified handset once', async () => {
    const { topic, batch } = batchOf(snapshot([handset('1-1.1', null, 'running')]));
    const done = followBatch(batch, { expected: 1, graceMs: 60_000, onSnapshot: () => {} });
    topic.publish(snapshot([handset('1-1.1', 'C1', 'running')]));
    topic.publish(snapshot([handset('1-1.1', 'C1', 'aborted')]));
    topic.publish(snapshot([handset('1-1.1', 'C2', 'provisioned')]));
    const result = await done;
    expect(result.handsets.map((entry) => [entry.serial, entry.phase])).toEqual([
      ['C1', 'aborted'],
      ['C2', 'provisioned'],
    ]);
    expect(summarise(result.handsets)).toEqual({ handsets: 2, provisioned: 1, failed: 0, unfinished: 1 });
  });

  it('ends when told to (Ctrl-C), with what it met so far', async () => {
    const { batch } = batchOf(snapshot([handset('1-1.1', 'D1', 'running')]));
    const stop = new AbortController();
    const done = followBatch(batch, { expected: null, graceMs: 60_000, onSnapshot: () => {}, signal: stop.signal });
    stop.abort();
    const result = await done;
    expect(exitCodeOf(summarise(result.handsets))).toBe(1);
    expect(exitCodeOf(summarise([]))).toBe(1);
  });
});
