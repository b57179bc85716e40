import { useCallback, useState } from 'react';
import type { PipelineSnapshot } from '../../../shared/pipeline.ts';

const KEY = 'lockstep.shiftStartedAt';
const FINAL = ['provisioned', 'failed', 'aborted'];

export interface ShiftCounters {
  readonly done: number;
  readonly failed: number;
  readonly since: string;
}

type Outcomes = ReadonlyMap<string, { readonly phase: string; readonly at: string }>;

function shiftStart(): string {
  const stored = localStorage.getItem(KEY);
  if (stored) return stored;
  const now = new Date().toISOString();
  localStorage.setItem(KEY, now);
  return now;
}

/**
 * Handsets finished this shift: each serial counted once by its latest outcome, also after it left
 * its slot for the next handset. Resetting starts a new shift from now.
 */
export function useShiftCounters(snapshot: PipelineSnapshot | null): [ShiftCounters, () => void] {
  const [since, setSince] = useState(shiftStart);
  const [seen, setSeen] = useState<{ readonly snapshot: PipelineSnapshot | null; readonly outcomes: Outcomes }>({ snapshot: null, outcomes: new Map() });
  let outcomes = seen.outcomes;
  if (snapshot !== seen.snapshot) {
    const next = new Map(outcomes);
    for (const handset of snapshot?.handsets ?? []) {
      if (handset.serial !== null && FINAL.includes(handset.phase)) next.set(handset.serial, { phase: handset.phase, at: handset.updatedAt });
    }
    outcomes = next;
    setSeen({ snapshot, outcomes });
  }
  let done = 0;
  let failed = 0;
  for (const outcome of outcomes.values()) {
    if (outcome.at < since) continue;
    if (outcome.phase === 'provisioned') done += 1;
    else failed += 1;
  }
  const reset = useCallback(() => {
    const now = new Date().toISOString();
    localStorage.setItem(KEY, now);
    setSince(now);
  }, []);
  return [{ done, failed, since }, reset];
}
