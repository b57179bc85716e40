// What earlier attempts of a handset in this batch established, read from the journal's typed data
// (never from its text): which steps passed, what may have reached the handset, and whether an alarm
// or an unreadable entry puts it in quarantine. Resume, retry and quarantine decide on this alone.
import { isAlarm } from '../../shared/failures.ts';
import type { StepEvent, StepName } from '../../shared/records.ts';
import type { StepData } from '../../shared/step-events.ts';
import { wordKey } from './fuse-plan.ts';

export interface History {
  /** Steps an earlier attempt passed. */
  readonly passed: ReadonlySet<StepName>;
  /** An earlier attempt began writing partitions: the handset's own hashes decide whether to write again. */
  readonly flashWritten: boolean;
  /** Per `bank/word`, the word as the first read before any program showed it: bits set there were found set. */
  readonly fuseWordsFirstRead: ReadonlyMap<string, number>;
  /** Per `bank/word`, every bit a program command was sent for (acknowledged or not): never sent again. */
  readonly fuseBitsSent: ReadonlyMap<string, number>;
  /**
   * An older station's fuse step began here, and it burned before journaling: policy bits unset at
   * its first read may have been programmed without a trace, so they count as sent.
   */
  readonly fuseProgramsUnjournaled: boolean;
  /** A `flashing lock` may have reached the handset. */
  readonly lockSent: boolean;
  /** The alarm an earlier attempt raised: the handset is quarantined. */
  readonly alarm: { readonly code: string; readonly step: StepName; readonly detail: string | null } | null;
  /** An event kept verbatim from before the structured journal: nothing about this handset can be trusted to data. */
  readonly unreadable: StepEvent | null;
  /** The facts of the last passed fuse and lock steps, for a handset resumed after its lock step. */
  readonly fusePassed: StepData<'fuse', 'passed'> | null;
  readonly lockPassed: StepData<'lock', 'passed'> | null;
  /** The authorisation the irreversible steps ran under, if one was granted. */
  readonly authorisationId: number | null;
}

export function historyOf(events: readonly StepEvent[]): History {
  const passed = new Set<StepName>();
  const firstRead = new Map<string, number>();
  const sent = new Map<string, number>();
  let flashWritten = false;
  let unjournaled = false;
  let lockSent = false;
  let alarm: History['alarm'] = null;
  let unreadable: StepEvent | null = null;
  let fusePassed: History['fusePassed'] = null;
  let lockPassed: History['lockPassed'] = null;
  let authorisationId: number | null = null;
  for (const event of events) {
    if (event.unconverted) unreadable ??= event;
    if (event.status === 'passed') passed.add(event.step);
    if (event.status === 'failed' && isAlarm(event.code)) alarm ??= { code: event.code, step: event.step, detail: event.detail };
    if (event.authorisation?.authorised && (event.step === 'fuse' || event.step === 'lock')) authorisationId ??= event.authorisation.authorisationId;
    const data = event.data as Record<string, unknown> | null;
    if (data === null) continue;
    if (event.step === 'flash' && event.status === 'started' && data['event'] === 'writing') flashWritten = true;
    if (event.step === 'fuse' && event.status === 'started') {
      const fact = data as StepData<'fuse', 'started'>;
      if (fact.event === 'read-before') {
        for (const word of fact.words) if (!firstRead.has(wordKey(word))) firstRead.set(wordKey(word), word.value);
        unjournaled ||= fact.programsUnjournaled;
      }
      if (fact.event === 'program-sent' || fact.event === 'program-acknowledged') sent.set(wordKey(fact), ((sent.get(wordKey(fact)) ?? 0) | fact.mask) >>> 0);
    }
    if (event.step === 'fuse' && event.status === 'passed') fusePassed = data as StepData<'fuse', 'passed'>;
    if (event.step === 'lock' && event.status === 'started' && data['event'] === 'lock-sent') lockSent = true;
    if (event.step === 'lock' && event.status === 'passed') lockPassed = data as StepData<'lock', 'passed'>;
  }
  return {
    passed,
    flashWritten,
    fuseWordsFirstRead: firstRead,
    fuseBitsSent: sent,
    fuseProgramsUnjournaled: unjournaled,
    lockSent,
    alarm,
    unreadable,
    fusePassed,
    lockPassed,
    authorisationId,
  };
}
