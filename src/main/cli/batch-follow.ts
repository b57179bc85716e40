// Following a batch from the CLI until it is done: every handset the batch meets is remembered with
// its latest state (a later handset in the same slot does not make it vanish from the summary), and
// the run ends once the expected number of handsets each have an outcome or have stayed unplugged
// past the grace period. That period is checked on a timer too, since a batch whose handsets are
// all waiting publishes no snapshot to check it on.
import type { HandsetSnapshot, PipelineSnapshot, RunPhase } from '../../shared/pipeline.ts';
import type { ProvisioningBatch } from '../pipeline/batch.ts';

/** The phases that end a handset's run in this batch. */
const OUTCOME_PHASES: readonly RunPhase[] = ['provisioned', 'failed', 'aborted'];

export interface FollowOptions {
  /** Stop once this many handsets are done; null: only on `stop`. */
  readonly expected: number | null;
  /** How long an expected handset may stay unplugged before it counts as done (unfinished). */
  readonly graceMs: number;
  /** Each snapshot, as it is published. */
  readonly onSnapshot: (snapshot: PipelineSnapshot) => void;
  /** Ends the follow early (Ctrl-C). */
  readonly signal?: AbortSignal;
}

export interface FollowResult {
  readonly snapshot: PipelineSnapshot;
  /** Every handset the batch met in this run, in the order first met, each as last seen. */
  readonly handsets: readonly HandsetSnapshot[];
}

export function followBatch(batch: Pick<ProvisioningBatch, 'snapshot' | 'subscribe'>, options: FollowOptions): Promise<FollowResult> {
  const met = new Map<string, HandsetSnapshot>();
  const waitingSince = new Map<string, number>();
  return new Promise<FollowResult>((done) => {
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      unsubscribe();
      clearInterval(timer);
      options.signal?.removeEventListener('abort', finish);
      const snapshot = batch.snapshot;
      remember(met, snapshot);
      done({ snapshot, handsets: [...met.values()] });
    };
    const check = (snapshot: PipelineSnapshot): void => {
      trackWaiting(waitingSince, snapshot, Date.now());
      if (options.expected !== null && allDone(snapshot, options.expected, waitingSince, options.graceMs, Date.now())) queueMicrotask(finish);
    };
    const unsubscribe = batch.subscribe((snapshot) => {
      remember(met, snapshot);
      options.onSnapshot(snapshot);
      check(snapshot);
    });
    const timer = setInterval(() => check(batch.snapshot), Math.max(50, Math.min(1000, options.graceMs)));
    if (options.signal?.aborted) queueMicrotask(finish);
    else options.signal?.addEventListener('abort', finish, { once: true });
  });
}

/** A handset is known by its serial once it has one, by its slot before. */
function remember(met: Map<string, HandsetSnapshot>, snapshot: PipelineSnapshot): void {
  for (const handset of snapshot.handsets) {
    if (handset.serial !== null) met.delete(`slot ${handset.slot}`);
    met.set(handset.serial === null ? `slot ${handset.slot}` : `serial ${handset.serial}`, handset);
  }
}

/** When each slot's handset began waiting to be plugged back in; forgotten once it is back. */
function trackWaiting(waitingSince: Map<string, number>, snapshot: PipelineSnapshot, now: number): void {
  const waiting = new Set(snapshot.handsets.filter(isUnplugged).map((handset) => handset.slot));
  for (const slot of waitingSince.keys()) if (!waiting.has(slot)) waitingSince.delete(slot);
  for (const slot of waiting) if (!waitingSince.has(slot)) waitingSince.set(slot, now);
}

/** Waiting for its handset to come back, other than through the reboot the pipeline itself asked for. */
function isUnplugged(handset: HandsetSnapshot): boolean {
  return handset.phase === 'waiting-for-handset' && handset.step !== 'reboot';
}

/** The expected handsets each have an outcome, or have stayed unplugged past the grace period. */
function allDone(snapshot: PipelineSnapshot, expected: number, waitingSince: ReadonlyMap<string, number>, graceMs: number, now: number): boolean {
  if (snapshot.handsets.length < expected) return false;
  return snapshot.handsets.every((handset) => {
    if (OUTCOME_PHASES.includes(handset.phase)) return true;
    const since = isUnplugged(handset) ? waitingSince.get(handset.slot) : undefined;
    return since !== undefined && now - since >= graceMs;
  });
}

/** How one run of `lockstep provision` ended, counted over every handset it met (its summary line and exit code). */
export interface RunCounts {
  /** Every handset the batch met. */
  readonly handsets: number;
  readonly provisioned: number;
  readonly failed: number;
  /** Aborted, still unplugged, or still running when the run stopped: not provisioned. */
  readonly unfinished: number;
}

export function summarise(handsets: readonly HandsetSnapshot[]): RunCounts {
  const count = (phase: RunPhase): number => handsets.filter((handset) => handset.phase === phase).length;
  const provisioned = count('provisioned');
  const failed = count('failed');
  return { handsets: handsets.length, provisioned, failed, unfinished: handsets.length - provisioned - failed };
}

/** 0 when the run met handsets and provisioned every one of them; 1 otherwise. */
export function exitCodeOf(summary: RunCounts): number {
  return summary.handsets > 0 && summary.provisioned === summary.handsets ? 0 : 1;
}
