// Why a handset stopped, in words a technician acts on. Every failure keeps a stable code from
// where it arose (a BundleError's code, a fastboot failure kind, a handset answer, a step's own
// finding) so the CLI, the UI and the records all say the same thing.
import { isAlarm, type FailureCode } from '../../shared/failures.ts';
import type { FailureReason } from '../../shared/pipeline.ts';
import { BundleError } from '../bundle/errors.ts';
import { describeFailure } from '../../shared/describe-failure.ts';
import {
  DeviceDisconnectedError,
  FastbootCancelledError,
  FastbootConnectError,
  FastbootFailError,
  FastbootProtocolError,
  FastbootTimeoutError,
  FlashCheckError,
  FlashImageError,
} from '../fastboot/errors.ts';
import { HandsetError } from '../handset/errors.ts';

/**
 * A step's own finding that stops the handset: the readback disagreed, a precondition failed. `data`
 * is the finding as facts for the journal (the step's failed-event schema, src/shared/step-events.ts).
 */
export class StepFailure extends Error {
  readonly code: FailureCode;
  readonly action: string;
  readonly data: unknown;
  constructor(code: FailureCode, message: string, action: string, data: unknown = null) {
    super(message);
    this.name = 'StepFailure';
    this.code = code;
    this.action = action;
    this.data = data;
  }
}

const RECONNECT = 'Plug the handset back in (fastboot mode); it resumes at the first step its own readback does not prove done.';
const SET_ASIDE = 'Set the handset aside with a note of this message and tell the supervisor.';

export function classifyFailure(error: unknown): FailureReason {
  if (error instanceof StepFailure) return { code: error.code, message: error.message, action: error.action };
  if (error instanceof FlashCheckError && error.cause !== undefined) return classifyFailure(error.cause);
  const message = describeFailure(error);
  if (error instanceof BundleError) return { code: error.code, message, action: 'Check the bundle (lockstep bundle verify), copy it again from its source, then retry the handset.' };
  if (error instanceof DeviceDisconnectedError) return { code: 'DISCONNECTED', message, action: RECONNECT };
  if (error instanceof FastbootTimeoutError) return { code: 'TIMEOUT', message, action: `Unplug the handset, power-cycle it into fastboot and plug it in again. ${RECONNECT}` };
  if (error instanceof FastbootFailError) return { code: 'DEVICE_REFUSED', message, action: 'Retry the handset; if the handset refuses again, set it aside for the repair bench.' };
  if (error instanceof FastbootProtocolError) return { code: 'PROTOCOL', message, action: RECONNECT };
  if (error instanceof FastbootConnectError) return { code: 'CONNECT_FAILED', message, action: 'Check the cable and that no other program (adb, fastboot) holds the handset, then retry.' };
  if (error instanceof FastbootCancelledError) return { code: 'ABORTED', message, action: 'Retry the handset when you are ready.' };
  if (error instanceof FlashImageError) return { code: 'IMAGE_UNREADABLE', message, action: 'Check the bundle (lockstep bundle verify), then retry the handset.' };
  if (error instanceof HandsetError) {
    // An alarm (an AT port another port contradicts) quarantines the handset: replugging would not clear it.
    const setAside = error.code === 'UNEXPECTED_ANSWER' || isAlarm(error.code);
    const action = setAside ? SET_ASIDE : 'Unplug the handset and plug it in again; if it happens again, set it aside.';
    return { code: error.code, message, action };
  }
  return { code: 'INTERNAL', message, action: `${SET_ASIDE} This is a station fault: keep the station log.` };
}
