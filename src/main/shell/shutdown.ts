// Quitting without losing work. Every step a handset passes is journaled before the next starts and
// a record is committed in one transaction, so what can be lost at quit is only a step cut off
// halfway. The station therefore pauses the batch (each handset stops at its next step boundary),
// waits a bounded time for the steps under way to finish, and then closes: the batch aborts what
// is still running (each handset journals where it stood and resumes there on the next start) and
// the records database is closed. A handset is never left with a record half written.
import { describeFailure } from '../../shared/describe-failure.ts';
import type { PipelineSnapshot } from '../../shared/pipeline.ts';
import type { StationOwnerView } from '../station/station.ts';

/** The station as shutdown sees it. */
export interface ShutdownTarget {
  /** The latest snapshot, or null before any batch started. */
  latest(): Promise<PipelineSnapshot | null>;
  pause(): Promise<unknown>;
  subscribe(listener: (snapshot: PipelineSnapshot) => void): () => void;
  /** Stops the batch (journaling every handset's state) and closes the records and device sources. */
  close(): Promise<void>;
}

export interface ShutdownOptions {
  /** How long to let steps under way finish before they are cut off (and journaled as aborted). */
  readonly settleMs: number;
  /** How long closing may take before the app quits anyway (committed records are durable by then). */
  readonly closeMs: number;
}

export interface ShutdownReport {
  /** Why the batch could not be paused (then nothing is waited for), or null. */
  readonly pauseRefused: string | null;
  /** Slots whose step was still under way when the wait ended, and so was aborted and journaled. */
  readonly interrupted: readonly string[];
  readonly waitedMs: number;
  /** False when closing did not finish within closeMs. */
  readonly closed: boolean;
}

/** The station's own view as shutdown's target (the window and `lockstep serve` alike), closed by `close`. */
export function ownerShutdownTarget(owner: StationOwnerView, close: () => Promise<void>): ShutdownTarget {
  return {
    latest: async () => owner.snapshot(),
    pause: () => owner.pauseForShutdown(),
    subscribe: (listener) => owner.subscribe(listener),
    close,
  };
}

export const DEFAULT_SHUTDOWN: ShutdownOptions = { settleMs: 15_000, closeMs: 15_000 };

/** Slots with a step under way: a handset parked at the pause gate has none running. */
export function stepsUnderWay(snapshot: PipelineSnapshot | null): string[] {
  if (!snapshot) return [];
  return snapshot.handsets.filter((handset) => Object.values(handset.steps).includes('running')).map((handset) => handset.slot);
}

export async function shutDownStation(target: ShutdownTarget, options: ShutdownOptions = DEFAULT_SHUTDOWN): Promise<ShutdownReport> {
  const started = Date.now();
  const latest = await target.latest();
  let pauseRefused: string | null = null;
  if (latest?.batch && !latest.paused) {
    // Quitting must close the records even when the pause is refused (a batch that failed to pause).
    pauseRefused = await target.pause().then(
      () => null,
      (error: unknown) => describeFailure(error),
    );
  }
  const last = pauseRefused === null ? await settled(target, options.settleMs) : await target.latest();
  const interrupted = stepsUnderWay(last);
  const waitedMs = Date.now() - started;
  const closed = await withinTime(target.close(), options.closeMs);
  return { pauseRefused, interrupted, waitedMs, closed };
}

/** Resolves with the first snapshot that has no step under way, or the latest one when time is up. */
function settled(target: ShutdownTarget, timeoutMs: number): Promise<PipelineSnapshot | null> {
  return new Promise((resolve) => {
    let latest: PipelineSnapshot | null = null;
    let done = false;
    let stop: (() => void) | null = null;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // The listener may run inside subscribe(), before stop exists: unsubscribe once it returned.
      queueMicrotask(() => stop?.());
      resolve(latest);
    };
    const timer = setTimeout(finish, timeoutMs);
    stop = target.subscribe((snapshot) => {
      latest = snapshot;
      if (stepsUnderWay(snapshot).length === 0) finish();
    });
    void target.latest().then((snapshot) => {
      if (snapshot === null) finish();
    });
  });
}

async function withinTime(work: Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([work.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}
