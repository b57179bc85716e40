// One settings change at a time from a panel: busy while it runs, the station's refusal kept to show.
import { useCallback, useState } from 'react';
import { shownError, type ShownError } from '../../station-client.ts';

export interface Action {
  readonly busy: boolean;
  readonly error: ShownError | null;
  /** The call's answer, or null when it failed (the failure is in `error`). */
  run<T>(call: () => Promise<T>): Promise<T | null>;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ShownError | null>(null);
  const run = useCallback(async <T,>(call: () => Promise<T>): Promise<T | null> => {
    setError(null);
    setBusy(true);
    try {
      return await call();
    } catch (cause) {
      setError(shownError(cause));
      return null;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run };
}
