// Whether a handset is quarantined, decided once from the journal's data (history.ts): identify refuses
// such a handset before any write, the batch refuses to retry it before anything runs or is recorded,
// and its snapshot keeps the alarm that put it there for every front end.
import { displaySafe } from '../../shared/untrusted.ts';
import type { Quarantine } from '../../shared/pipeline.ts';
import { StepFailure, type StepFailureWords } from './failure.ts';
import type { History } from './history.ts';

const HAND_OVER = 'Keep the handset in quarantine and hand it to the security officer with its record; a supervisor decides what happens to it.';

/** The quarantine the journal puts the handset in: the first alarm raised on it, else an entry this version cannot read as data. */
export function quarantineOf(history: History): Quarantine | null {
  if (history.alarm) return { code: history.alarm.code, step: history.alarm.step, message: history.alarm.detail ?? '' };
  const unreadable = history.unreadable;
  if (!unreadable) return null;
  return {
    code: 'QUARANTINED',
    step: null,
    message:
      `its journal holds an entry from an older station version that this version cannot read as data (${unreadable.step} ${unreadable.status}, ` +
      `'${displaySafe(unreadable.detail ?? '', 200)}'), so what was done to it is not certain`,
  };
}

/**
 * What identify throws for a quarantined handset met again: it stops before anything is written.
 * `unreadableStep`: the step of the journal entry this version cannot read, for the UI's words.
 */
export function quarantinedAtIdentify(quarantine: Quarantine, unreadableStep: string | null): StepFailure {
  const unreadable = quarantine.code === 'QUARANTINED';
  const why = unreadable ? quarantine.message : `an earlier attempt raised the alarm ${quarantine.code} on this handset (${displaySafe(quarantine.message, 300)})`;
  const words: StepFailureWords = unreadable ? { detail: 'QUARANTINED_UNREADABLE_JOURNAL', params: { step: unreadableStep ?? '' } } : { params: { alarm: quarantine.code } };
  return new StepFailure('QUARANTINED', `${why}; it gets no further writes`, HAND_OVER, null, words);
}

/** What the batch throws for an operator's retry of a quarantined handset: refused before anything runs or is recorded. */
export function retryRefused(serial: string, quarantine: Quarantine): StepFailure {
  return new StepFailure('QUARANTINED', `handset ${displaySafe(serial, 64)} is quarantined (${quarantine.code}) and gets no further writes; it is not retried`, HAND_OVER);
}
