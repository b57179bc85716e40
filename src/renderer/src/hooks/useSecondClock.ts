import { useSyncExternalStore } from 'react';

// One clock for every countdown on screen: a single timer, started while anything shows one, so the
// waiting cards redraw their countdowns together once a second instead of each on its own beat.

const listeners = new Set<() => void>();
let now = Date.now();
let timer: ReturnType<typeof setInterval> | null = null;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (!timer) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const notify of listeners) notify();
    }, 1000);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
}

/** The time now, in milliseconds, updated once a second while a component uses it. */
export function useSecondClock(): number {
  return useSyncExternalStore(subscribe, () => now);
}
