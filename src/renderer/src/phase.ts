// How a handset's state reads on its card: a tone (colour and icon) and the words for it.
import type { TFunction } from 'i18next';
import type { UnprintedCause } from '../../shared/labels.ts';
import type { HandsetSnapshot, StepState } from '../../shared/pipeline.ts';
import type { Tone } from './components/StateBadge.tsx';

export interface PhaseLook {
  readonly tone: Tone;
  readonly label: string;
  /** An icon of its own where the tone's is not enough (a quarantine is an alarm unlike a failure). */
  readonly icon?: string;
  /** What the technician should do now, when it is theirs to do. */
  readonly prompt: string | null;
}

/**
 * The pipeline says where each handset stands, `paused` included (held at a step boundary because a
 * person paused the batch; a step under way finishes first). The supervisor's gate is no pause: a
 * handset waiting for it says so in its own phase.
 */
export function phaseLook(handset: HandsetSnapshot, t: TFunction): PhaseLook {
  // Quarantine outranks the phase: a later attempt's refusal at identify, or a wait for the handset, does not hide it.
  if (handset.quarantine) return { tone: 'alarm', icon: QUARANTINE_ICON, label: t('quarantine.state'), prompt: null };
  const step = handset.step ? t(`steps.${handset.step}`) : '';
  switch (handset.phase) {
    case 'running':
      return { tone: 'active', label: t('phase.running', { step }), prompt: null };
    case 'queued':
      return { tone: 'normal', label: t('phase.queued'), prompt: null };
    case 'paused':
      return { tone: 'normal', label: t('phase.paused'), prompt: t('prompt.paused') };
    case 'waiting-for-authorisation':
      return { tone: 'attention', label: t('phase.waitingForSupervisor'), prompt: t('prompt.gate') };
    case 'waiting-for-handset':
      return handset.step === 'reboot' || handset.step === 'checks'
        ? { tone: 'active', label: t('phase.rebooting'), prompt: t('prompt.rebooting') }
        : { tone: 'attention', label: t('phase.unplugged'), prompt: t('prompt.replug') };
    case 'provisioned':
      return { tone: 'done', label: t('phase.provisioned'), prompt: t('prompt.unplugDone') };
    case 'failed':
      return { tone: 'alarm', label: t('phase.failed', { step }), prompt: null };
    case 'aborted':
      return { tone: 'attention', label: t('phase.aborted'), prompt: t('prompt.aborted') };
  }
}

/**
 * Why a provisioned handset's label is unprinted (its label step skipped), as the station says it: no printer,
 * or the printer did not take it; null when it was printed. A snapshot from before the station said counts as not taken.
 */
export function labelNotPrinted(handset: HandsetSnapshot): UnprintedCause | null {
  if (handset.phase !== 'provisioned' || handset.steps.label !== 'skipped') return null;
  return handset.unprintedLabel ?? 'not-taken';
}

/**
 * A hazard sign in text presentation (U+FE0E: not an emoji), distinct from a failure's ✕ and, by its colour and
 * words, from the amber ▲ of waiting. (⛔ would say it better, but the common UI fonts lack it.)
 */
export const QUARANTINE_ICON = '\u26a0\ufe0e';

export const STEP_ICONS: Readonly<Record<StepState, string>> = {
  waiting: '○',
  running: '◐',
  passed: '✓',
  failed: '✕',
  skipped: '–',
};
