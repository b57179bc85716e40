// The codes a handset's run can stop with, once for every front end: the pipeline throws them, the
// journal stores them in a column of their own, the records quote them, and the operator UI words
// them in the operator's language (its translation files are typed against this list).
import { BUNDLE_ERROR_CODES } from './bundle.ts';

/** Findings that quarantine a handset: it gets no further writes, in this attempt or any later one, until a supervisor acts. */
export const ALARM_CODES = [
  'FUSE_READBACK_MISMATCH',
  'FUSE_UNCONFIRMED',
  'FUSES_FOUND_SET',
  'LOCK_READBACK_MISMATCH',
  'LOCK_UNCONFIRMED',
  'LOCK_FOUND_SET',
  'AT_PORT_CONFLICT',
  'CHECK_ALARM',
] as const;
export type AlarmCode = (typeof ALARM_CODES)[number];

/** What the pipeline's own steps find, and how it classifies what the handset and the link do. */
export const STEP_FAILURE_CODES = [
  'NO_PROFILE',
  'CONNECT_FAILED',
  'SERIAL_INVALID',
  'SERIAL_MISMATCH',
  'IDENTITY_CHANGED',
  'WRONG_PRODUCT',
  'WRONG_HARDWARE_REVISION',
  'BOOTLOADER_TOO_OLD',
  'ROLLBACK',
  'BATTERY_LOW',
  'BATTERY_UNKNOWN',
  'ARRIVES_LOCKED',
  'LOCK_STATE_UNKNOWN',
  'UNKNOWN_FUSE',
  'DEVICE_REFUSED',
  'DISCONNECTED',
  'TIMEOUT',
  'PROTOCOL',
  'IMAGE_UNREADABLE',
  'VERIFY_MISMATCH',
  'NOT_AUTHORISED',
  'QUARANTINED',
  'LOCKED_UNVERIFIED',
  'REBOOT_TIMEOUT',
  'CHECK_FAILED',
  'HANDSET_FAULTY',
  'FIRMWARE_MISMATCH',
  'UNEXPECTED_ANSWER',
  'AT_TIMEOUT',
  'AT_DISCONNECTED',
  'AT_LINE_TOO_LONG',
  'AT_PORT_UNAVAILABLE',
  'ABORTED',
  'INTERNAL',
  ...ALARM_CODES,
] as const;

/** Every code a handset's failure can carry: the steps' own and a bundle's (a file that changed after verification, say). */
export const FAILURE_CODES = [...STEP_FAILURE_CODES, ...BUNDLE_ERROR_CODES] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

export function isFailureCode(code: string): code is FailureCode {
  return (FAILURE_CODES as readonly string[]).includes(code);
}

export function isAlarm(code: string | null): code is AlarmCode {
  return code !== null && (ALARM_CODES as readonly string[]).includes(code);
}

/** Whether a failure with this code leaves the handset in quarantine: an alarm, or the refusal of a handset already there. */
export function isQuarantine(code: string | null): boolean {
  return isAlarm(code) || code === 'QUARANTINED';
}
