// A label reprint asked for from a screen: the reason typed, the printer that took the job, or the
// error with its code. One hook for the handset detail and the unprinted list.
import { useState, type FormEvent } from 'react';
import type { StationApi } from '../../../shared/api.ts';
import { shownError, type ShownError } from '../station-client.ts';

export interface Reprint {
  readonly reason: string;
  setReason(reason: string): void;
  /** The printer the reprint was queued on, once it was. */
  readonly sentTo: string | null;
  readonly error: ShownError | null;
  submit(event: FormEvent): Promise<void>;
}

export function useReprint(station: StationApi, serial: string): Reprint {
  const [reason, setReason] = useState('');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setSentTo(null);
    setError(null);
    try {
      setSentTo((await station['labels.reprint']({ serial, reason: reason.trim() })).printer);
    } catch (cause) {
      setError(shownError(cause));
    }
  };
  return { reason, setReason, sentTo, error, submit };
}
