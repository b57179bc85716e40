import { useEffect, useMemo, useRef, useState } from 'react';
import { keysBehind, pacedStep } from '../pacing.ts';

/**
 * What to draw for each key of `wanted` (in its order), moved towards `wanted` at most `perFrame`
 * keys per animation frame, round robin. A key not drawn yet is absent from the answer. Every card
 * that changes costs the renderer style, layout and paint in the frame after its commit, and
 * Chromium lays out a new card in full even under `content-visibility: auto`: 32 handsets plugged
 * in, or moving on together, would otherwise be one frame of 35–75 ms of CPU instead of a few short ones.
 * `same` says when a drawn value needs no redraw.
 */
export function usePaced<V>(wanted: ReadonlyMap<string, V>, same: (drawn: V, next: V) => boolean, perFrame: number): ReadonlyMap<string, V> {
  const [drawn, setDrawn] = useState<ReadonlyMap<string, V>>(() => new Map());
  const cursor = useRef(0);
  const behind = useMemo(() => keysBehind(wanted, drawn, same), [wanted, drawn, same]);
  useEffect(() => {
    if (behind.length === 0) return;
    const frame = requestAnimationFrame(() => {
      const step = pacedStep([...wanted.keys()], behind, cursor.current, perFrame);
      cursor.current = step.cursor;
      setDrawn((previous) => {
        const next = new Map([...previous].filter(([key]) => wanted.has(key)));
        for (const key of step.keys) next.set(key, wanted.get(key) as V);
        return next;
      });
    });
    return () => cancelAnimationFrame(frame);
  }, [behind, wanted, perFrame]);
  return drawn;
}
