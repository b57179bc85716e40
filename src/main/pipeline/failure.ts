// Why a handset stopped, in words a technician acts on. Every failure keeps a stable code from
// where it arose (a BundleError's code, a fastboot failure kind, a handset answer, a step's own
// finding) so the CLI, the UI and the records all say the same thing.
import { BUNDLE_ERROR_CODES } from '../../shared/bundle.ts';
import { CodedError, type CodedErrorOptions } from '../../shared/coded-error.ts';
import { describeFailure } from '../../shared/describe-failure.ts';
import { isAlarm, isFailureCode, type FailureCode } from '../../shared/failures.ts';
import type { FailureDetail, FailureReason } from '../../shared/pipeline.ts';
import { FlashCheckError } from '../fastboot/errors.ts';

/** A finding as a key (when the code has several) and the values the message quotes, and any further findings. */
export type StepFailureWords = Pick<CodedErrorOptions, 'detail' | 'params'> & { readonly also?: readonly FailureDetail[] };

/**
 * A step's own finding that stops the handset: the readback disagreed, a precondition failed. `data`
 * is the finding as facts for the journal (the step's failed-event schema, src/shared/step-events.ts).
 */
export class StepFailure extends CodedError<FailureCode> {
  readonly data: unknown;
  /** Further findings of the same failure, for the UI's words (the message states them all). */
  readonly also: readonly FailureDetail[];
  /** `words`: the finding as a key (when the code has several) and the values the message quotes, for the UI's words. */
  constructor(code: FailureCode, message: string, action: string, data: unknown = null, words: StepFailureWords = {}) {
    const { also = [], ...finding } = words;
    super(code, message, { action, ...finding });
    this.also = also;
    this.name = 'StepFailure';
    this.data = data;
  }
}

const RECONNECT = 'Plug the handset back in (fastboot mode); it resumes at the first step its own readback does not prove done.';
const SET_ASIDE = 'Set the handset aside with a note of this message and tell the supervisor.';
const STATION_FAULT = `${SET_ASIDE} This is a station fault: keep the station log.`;

/** The operator's next action for a code whose error did not name one (a fastboot, bundle or handset failure). */
const ACTIONS: Partial<Record<FailureCode, string>> = {
  DISCONNECTED: RECONNECT,
  TIMEOUT: `Unplug the handset, power-cycle it into fastboot and plug it in again. ${RECONNECT}`,
  DEVICE_REFUSED: 'Retry the handset; if the handset refuses again, set it aside for the repair bench.',
  PROTOCOL: RECONNECT,
  CONNECT_FAILED: 'Check the cable and that no other program (adb, fastboot) holds the handset, then retry.',
  ABORTED: 'Retry the handset when you are ready.',
  IMAGE_UNREADABLE: 'Check the bundle (lockstep bundle verify), then retry the handset.',
  // The handset said something its profile does not allow: replugging would not change its answer.
  UNEXPECTED_ANSWER: SET_ASIDE,
  INTERNAL: STATION_FAULT,
};

function actionFor(code: FailureCode): string {
  // An alarm (an AT port another port contradicts) quarantines the handset: replugging would not clear it.
  if (isAlarm(code)) return SET_ASIDE;
  if ((BUNDLE_ERROR_CODES as readonly string[]).includes(code)) {
    return 'Check the bundle (lockstep bundle verify), copy it again from its source, then retry the handset.';
  }
  return ACTIONS[code] ?? 'Unplug the handset and plug it in again; if it happens again, set it aside.';
}

export function classifyFailure(error: unknown): FailureReason {
  if (error instanceof FlashCheckError && error.cause !== undefined) return classifyFailure(error.cause);
  const message = describeFailure(error);
  if (error instanceof CodedError && isFailureCode(error.code)) {
    const also = error instanceof StepFailure && error.also.length > 0 ? { also: error.also } : {};
    const detail = { key: error.detail ?? error.code, params: error.params, ...also };
    return { code: error.code, message, action: error.action ?? actionFor(error.code), detail };
  }
  return { code: 'INTERNAL', message, action: STATION_FAULT, detail: null };
}
