import { useEffect, useMemo, useRef, useState } from 'react';

/**
 * What to draw for each key of `wanted` (in its order), moved towards `wanted` at most `perFrame`
 * keys per animation frame, round robin so that no key waits behind the others. A key not drawn yet
 * is absent from the answer. Every card that changes costs the renderer style, layout and paint in
 * the frame after its commit, and Chromium lays out a new card in full even under
 * `content-visibility: auto`: 32 handsets plugged in, or moving on together, would otherwise be one
 * 60–110 ms frame instead of a few short ones. `same` says when a drawn value needs no redraw.
 */
export function usePaced<V>(wanted: ReadonlyMap<string, V>, same: (drawn: V, next: V) => boolean, perFrame: number): ReadonlyMap<string, V> {
  const [drawn, setDrawn] = useState<ReadonlyMap<string, V>>(() => new Map());
  const cursor = useRef(0);
  const behind = useMemo(() => [...wanted].filter(([key, value]) => !drawn.has(key) || !same(drawn.get(key) as V, value)).map(([key]) => key), [wanted, drawn, same]);
  useEffect(() => {
    if (behind.length === 0) return;
    const frame = requestAnimationFrame(() => {
      const position = new Map([...wanted.keys()].map((key, index) => [key, index]));
      const start = Math.max(0, behind.findIndex((key) => (position.get(key) ?? 0) >= cursor.current));
      const step = [...behind.slice(start), ...behind.slice(0, start)].slice(0, perFrame);
      cursor.current = (position.get(step.at(-1) ?? '') ?? -1) + 1;
      setDrawn((previous) => {
        const next = new Map([...previous].filter(([key]) => wanted.has(key)));
        for (const key of step) next.set(key, wanted.get(key) as V);
        return next;
      });
    });
    return () => cancelAnimationFrame(frame);
  }, [behind, wanted, perFrame]);
  return drawn;
}
