import { useEffect, useRef } from 'react';

const ACTIVITY = ['pointerdown', 'keydown', 'wheel', 'touchstart'] as const;
/**
 * Tabs of one browser share its operator session (`lockstep serve`), so a tab left in the background
 * must not lock the session while a person works in another: each tab tells the others of its
 * activity on this channel (same origin only: the same station), at most once a second.
 */
const ACTIVITY_CHANNEL = 'lockstep-activity';
const TELL_OTHERS_EVERY_MS = 1000;

/** Calls `onIdle` once nobody has touched this window, or another tab of the station, for `minutes`; any input starts the count again. */
export function useIdleLock(active: boolean, minutes: number, onIdle: () => void): void {
  const callback = useRef(onIdle);
  useEffect(() => {
    callback.current = onIdle;
  }, [onIdle]);
  useEffect(() => {
    if (!active || minutes <= 0) return;
    const others = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(ACTIVITY_CHANNEL);
    let timer = setTimeout(() => callback.current(), minutes * 60_000);
    const startAgain = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => callback.current(), minutes * 60_000);
    };
    let told = 0;
    const restart = (): void => {
      startAgain();
      if (Date.now() - told < TELL_OTHERS_EVERY_MS) return;
      told = Date.now();
      others?.postMessage('activity');
    };
    if (others) others.onmessage = startAgain;
    for (const name of ACTIVITY) window.addEventListener(name, restart, { passive: true });
    return () => {
      clearTimeout(timer);
      others?.close();
      for (const name of ACTIVITY) window.removeEventListener(name, restart);
    };
  }, [active, minutes]);
}
