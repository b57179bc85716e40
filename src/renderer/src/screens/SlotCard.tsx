import { memo, useId, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { STEP_NAMES, type StepName } from '../../../shared/records.ts';
import { STEP_STATES, type HandsetSnapshot, type RunPhase, type StepState } from '../../../shared/pipeline.ts';
import { displaySafe } from '../../../shared/untrusted.ts';
import { ProgressBar } from '../components/ProgressBar.tsx';
import { StateBadge } from '../components/StateBadge.tsx';
import { WaitCountdown } from '../components/WaitCountdown.tsx';
import { formatDuration, formatNumber, formatRate } from '../format.ts';
import { labelNotPrinted, phaseLook, STEP_ICONS } from '../phase.ts';
import { useCheckTexts } from '../check-texts.ts';
import { failureDetailText } from '../station-words.ts';

/** Words every card repeats, translated once per language instead of 40 times per card per render. */
export interface CardWords {
  readonly fixed: Readonly<Record<'empty' | 'serial' | 'unknownSerial' | 'stepList' | 'nextAction' | 'labelNotPrinted' | 'labelNoPrinter' | 'retry' | 'abort' | 'details' | 'quarantineAction', string>>;
  readonly steps: Readonly<Record<StepName, string>>;
  /** `stepState[step][state]`: "Flash: running", for screen readers. */
  readonly stepState: Readonly<Record<StepName, Readonly<Record<StepState, string>>>>;
}

export function cardWords(t: TFunction): CardWords {
  const steps = Object.fromEntries(STEP_NAMES.map((step) => [step, t(`steps.${step}`)])) as Record<StepName, string>;
  const stepState = Object.fromEntries(
    STEP_NAMES.map((step) => [step, Object.fromEntries(STEP_STATES.map((state) => [state, t('grid.stepState', { step: steps[step], state: t(`stepState.${state}`) })]))]),
  ) as CardWords['stepState'];
  const fixed: CardWords['fixed'] = {
    empty: t('grid.empty'),
    serial: t('grid.serial'),
    unknownSerial: t('grid.unknownSerial'),
    stepList: t('grid.steps'),
    nextAction: t('grid.nextAction'),
    labelNotPrinted: t('grid.labelNotPrinted'),
    labelNoPrinter: t('noPrinter.label'),
    retry: t('grid.retry'),
    abort: t('grid.abort'),
    details: t('grid.details'),
    quarantineAction: t('quarantine.action'),
  };
  return { fixed, steps, stepState };
}

/** Phases of a run under way, which the operator may abort. */
const ACTIVE_PHASES: ReadonlySet<RunPhase> = new Set(['running', 'queued', 'paused', 'waiting-for-handset', 'waiting-for-authorisation']);

export interface SlotActions {
  retry(serial: string): void;
  /** Asks first (the card's title names the slot in the question): an abort stops the handset at once. */
  abort(serial: string, slot: string): void;
  details(serial: string): void;
}

interface SlotCardProps {
  readonly position: number;
  readonly slot: string;
  readonly slotName: string | null;
  readonly handset: HandsetSnapshot | null;
  readonly words: CardWords;
  readonly actions: SlotActions;
}

function SlotCardView({ position, slot, slotName, handset, words, actions }: SlotCardProps) {
  const { t, i18n } = useTranslation();
  const checkTexts = useCheckTexts();
  const title = slotName ?? t('grid.slotNumber', { number: position });
  // The buttons' names change with the slot's name only, not with every snapshot.
  const buttonNames = useMemo(
    () => ({ retry: t('grid.retryLabel', { slot: title }), abort: t('grid.abortLabel', { slot: title }), details: t('grid.detailsLabel', { slot: title }) }),
    [t, title],
  );
  const { fixed } = words;
  const actionId = useId();
  if (!handset) {
    return (
      <article className="slot-card empty" aria-label={title}>
        <header className="slot-head">
          <h3 title={displaySafe(title, 32)}>{displaySafe(title, 32)}</h3>
        </header>
        <StateBadge tone="normal" icon="·" label={fixed.empty} />
      </article>
    );
  }
  const look = phaseLook(handset, t);
  const serial = handset.serial === null ? null : displaySafe(handset.serial, 64);
  const { progress, reason, quarantine, wait } = handset;
  // A quarantined handset shows the alarm that put it there, not what a later attempt stopped with (QUARANTINED at identify).
  const finding = quarantine ?? reason;
  const knownReason = finding !== null && t(`failure.${finding.code}.what`, { defaultValue: '' }) !== '';
  const headline = finding && (knownReason ? t(`failure.${finding.code}.what`) : finding.message);
  const nextAction = quarantine ? fixed.quarantineAction : reason && (knownReason ? t(`failure.${reason.code}.action`) : reason.action);
  // The finding in the operator's words (the alarm's own when this attempt raised it); the station's sentence where the UI has none.
  const worded = reason !== null && reason.code === finding?.code ? reason : null;
  const detail = worded && knownReason ? failureDetailText(worded, handset.profile, t, checkTexts) : null;
  const active = ACTIVE_PHASES.has(handset.phase);
  // The station refuses to retry a quarantined handset; the button says so by being off, the next action says why.
  const retryable = (handset.phase === 'failed' || handset.phase === 'aborted') && quarantine === null;
  // A card with a failure to show keeps its steps to a row of icons (named on hover and to screen readers): the
  // badge names the failed step, and the headline, next action and buttons need the room.
  const showsReason = finding !== null && handset.phase !== 'provisioned';
  const unprinted = labelNotPrinted(handset);
  return (
    <article className={`slot-card tone-${look.tone}${showsReason ? ' with-reason' : ''}${quarantine ? ' quarantined' : ''}`} aria-label={title} data-slot={slot}>
      <header className="slot-head">
        <h3 title={displaySafe(title, 32)}>{displaySafe(title, 32)}</h3>
        <StateBadge tone={look.tone} label={look.label} {...(look.icon ? { icon: look.icon } : {})} />
      </header>
      <p className="serial" title={serial ?? undefined}>
        <span className="muted">{fixed.serial}</span> <strong>{serial ?? fixed.unknownSerial}</strong>
      </p>
      <ol className="steps" aria-label={fixed.stepList}>
        {STEP_NAMES.map((step) => (
          <li key={step} className={`step step-${handset.steps[step]}`} aria-label={words.stepState[step][handset.steps[step]]} title={words.stepState[step][handset.steps[step]]}>
            <span aria-hidden="true">{STEP_ICONS[handset.steps[step]]}</span> <span className="step-name">{words.steps[step]}</span>
          </li>
        ))}
      </ol>
      {progress && handset.phase === 'running' && (
        <div className="transfer">
          <ProgressBar done={progress.bytesDone} total={progress.bytesTotal} label={t('grid.flashProgress', { partition: displaySafe(progress.partition, 40) })} />
          {wait ? (
            <WaitCountdown wait={wait} className="transfer-text wait" />
          ) : (
            <span className="transfer-text">
              {displaySafe(progress.partition, 40)} · {formatNumber(progress.bytesTotal > 0 ? (progress.bytesDone / progress.bytesTotal) * 100 : 0)}% · {formatRate(progress.bytesPerSecond)} ·{' '}
              {t('grid.eta', { time: progress.etaSeconds === null ? '—' : formatDuration(progress.etaSeconds) })}
            </span>
          )}
        </div>
      )}
      {/* A wait takes the line of what it replaces (the transfer's figures, the reboot's prompt): the card never grows. */}
      {wait && !(progress && handset.phase === 'running') && <WaitCountdown wait={wait} className="wait" />}
      {showsReason && (
        <div className="reason" role={handset.phase === 'failed' ? 'alert' : undefined}>
          <p className="reason-what" title={headline ?? undefined}>
            <strong data-station-words={knownReason ? undefined : true}>{headline}</strong> <span className="code">{finding.code}</span>
          </p>
          <p className="reason-action" id={actionId} title={nextAction ?? undefined}>
            <span className="muted">{fixed.nextAction}</span> <span data-station-words={knownReason || quarantine ? undefined : true}>{nextAction}</span>
          </p>
          {knownReason &&
            (detail !== null ? (
              <p className="reason-detail" title={detail}>
                {detail}
              </p>
            ) : (
              // The station's English sentence: on the card only in English (Details has it behind a disclosure otherwise).
              i18n.language === 'en' && (
                <p className="reason-detail" data-station-words title={finding.message}>
                  {finding.message}
                </p>
              )
            ))}
        </div>
      )}
      {unprinted && (
        <p className="label-state">
          <StateBadge tone="attention" label={unprinted === 'no-printer' ? fixed.labelNoPrinter : fixed.labelNotPrinted} />
        </p>
      )}
      {look.prompt && !reason && !wait && <p className="prompt">{look.prompt}</p>}
      <footer className="slot-actions">
        <button
          type="button"
          disabled={!retryable || handset.serial === null}
          onClick={() => handset.serial && actions.retry(handset.serial)}
          aria-label={buttonNames.retry}
          aria-describedby={quarantine ? actionId : undefined}
        >
          {fixed.retry}
        </button>
        <button type="button" disabled={handset.serial === null} onClick={() => handset.serial && actions.details(handset.serial)} aria-label={buttonNames.details}>
          {fixed.details}
        </button>
        <button type="button" className="abort" disabled={!active || handset.serial === null} onClick={() => handset.serial && actions.abort(handset.serial, title)} aria-label={buttonNames.abort}>
          {fixed.abort}
        </button>
      </footer>
    </article>
  );
}

/** Whether a card drawn for `x` shows exactly what one for `y` would (snapshots are new objects every time). */
export function sameHandsetView(x: HandsetSnapshot | null, y: HandsetSnapshot | null): boolean {
  if (x === y) return true;
  if (!x || !y) return false;
  return (
    x.phase === y.phase &&
    x.step === y.step &&
    x.serial === y.serial &&
    x.slotName === y.slotName &&
    x.unprintedLabel === y.unprintedLabel &&
    x.reason?.code === y.reason?.code &&
    x.reason?.message === y.reason?.message &&
    x.reason?.action === y.reason?.action &&
    x.quarantine?.code === y.quarantine?.code &&
    x.quarantine?.message === y.quarantine?.message &&
    x.progress?.partition === y.progress?.partition &&
    x.progress?.bytesDone === y.progress?.bytesDone &&
    x.progress?.bytesTotal === y.progress?.bytesTotal &&
    x.progress?.bytesPerSecond === y.progress?.bytesPerSecond &&
    x.progress?.etaSeconds === y.progress?.etaSeconds &&
    x.wait?.kind === y.wait?.kind &&
    x.wait?.partition === y.wait?.partition &&
    x.wait?.until === y.wait?.until &&
    STEP_NAMES.every((step) => x.steps[step] === y.steps[step])
  );
}

/** Only what a card shows decides whether it renders again: 32 cards at ten snapshots a second stay cheap. */
function sameCard(a: SlotCardProps, b: SlotCardProps): boolean {
  if (a.position !== b.position || a.slot !== b.slot || a.slotName !== b.slotName || a.words !== b.words || a.actions !== b.actions) return false;
  return sameHandsetView(a.handset, b.handset);
}

export const SlotCard = memo(SlotCardView, sameCard);
