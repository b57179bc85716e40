import { startTransition, useEffect, useState } from 'react';
import type { StationApi } from '../../../shared/api.ts';
import type { PipelineSnapshot } from '../../../shared/pipeline.ts';

/** The renderer redraws the grid at most this often, however fast snapshots arrive. */
const MIN_RENDER_INTERVAL_MS = 250;

/**
 * The newest pipeline snapshot, applied at most once per frame and per interval: a burst of
 * snapshots costs one render, and an older version than the one shown is dropped. Followed only while
 * someone is signed in (the station sends none before), and forgotten at sign-out, so the next
 * operator never sees the last one's grid as current.
 */
export function useSnapshot(station: StationApi, signedIn: boolean): PipelineSnapshot | null {
  const [snapshot, setSnapshot] = useState<PipelineSnapshot | null>(null);
  useEffect(() => {
    if (!signedIn) return;
    let pending: PipelineSnapshot | null = null;
    let shown: PipelineSnapshot | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let lastRender = 0;
    // A frame asked for before sign-out must not bring the grid back after it.
    let stopped = false;
    const apply = (): void => {
      timer = null;
      requestAnimationFrame(() => {
        if (!pending || stopped) return;
        shown = pending;
        pending = null;
        lastRender = performance.now();
        const next = shown;
        // A transition renders in slices that yield to the browser, so 32 cards never block input.
        startTransition(() => setSnapshot(next));
      });
    };
    const stop = station.subscribe('pipeline.snapshot', (next) => {
      const newest = pending ?? shown;
      if (newest && newest.batch?.id === next.batch?.id && next.version <= newest.version) return;
      pending = next;
      if (timer === null) timer = setTimeout(apply, Math.max(0, lastRender + MIN_RENDER_INTERVAL_MS - performance.now()));
    });
    return () => {
      stopped = true;
      setSnapshot(null);
      stop();
      if (timer !== null) clearTimeout(timer);
    };
  }, [station, signedIn]);
  return snapshot;
}
