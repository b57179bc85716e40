// Every failure of a fastboot exchange names the device and the command, so that an operator
// looking at one line of a batch log knows which handset did what, and carries the failure code the
// pipeline reports for it.
import { CodedError, type CodedErrorOptions } from '../../shared/coded-error.ts';
import { describeFailure } from '../../shared/describe-failure.ts';
import { isFailureCode, type FailureCode } from '../../shared/failures.ts';
import { formatSeconds, type Deadline } from './deadline.ts';

export abstract class FastbootError extends CodedError<FailureCode> {
  /** The device as its transport names it, e.g. `tcp:127.0.0.1:5554` or `usb:1-3.2 LSIM0001`. */
  readonly device: string;
  /** The command being run, or null when the failure is not tied to one (connecting, closing). */
  readonly command: string | null;
  /** `options.params`: what the failure quotes beyond the command, which every one names for the UI's words. */
  constructor(code: FailureCode, device: string, command: string | null, message: string, options: CodedErrorOptions = {}) {
    const params = { command: command === null ? '—' : describeFailure(command, 120), ...options.params };
    super(code, `${device}${command === null ? '' : ` '${command}'`}: ${message}`, { ...options, params });
    this.device = device;
    this.command = command;
  }
}

/** The device answered FAIL; `reason` is its text, escaped (`printable`) because it is shown, never judged. */
export class FastbootFailError extends FastbootError {
  readonly reason: string;
  constructor(device: string, command: string, reason: string) {
    super('DEVICE_REFUSED', device, command, `the device refused: ${reason === '' ? '(no reason given)' : reason}`, {
      detail: reason === '' ? 'DEVICE_REFUSED_SILENTLY' : 'DEVICE_REFUSED',
      params: { reason },
    });
    this.name = 'FastbootFailError';
    this.reason = reason;
  }
}

/** The device broke the protocol (garbage, over-long or unknown response, wrong DATA size, bad handshake). */
export class FastbootProtocolError extends FastbootError {
  constructor(device: string, command: string | null, message: string) {
    super('PROTOCOL', device, command, `${message}. The connection was closed; reconnect the device and retry`);
    this.name = 'FastbootProtocolError';
  }
}

/** The station could not reach the device at all (refused, unreachable, USB interface busy). */
export class FastbootConnectError extends FastbootError {
  constructor(device: string, message: string, options?: ErrorOptions) {
    super('CONNECT_FAILED', device, null, message, options);
    this.name = 'FastbootConnectError';
  }
}

/** The device went away (unplugged, rebooted, connection reset) in the middle of an exchange. */
export class DeviceDisconnectedError extends FastbootError {
  constructor(device: string, command: string | null, detail: string, options?: ErrorOptions) {
    super('DISCONNECTED', device, command, `the device disconnected (${detail}). Check the cable or network link and reconnect it`, options);
    this.name = 'DeviceDisconnectedError';
  }
}

/**
 * The device stayed silent longer than the command's silence timeout, or (with a deadline) did not
 * finish the command within its overall limit, however much it chattered meanwhile.
 */
export class FastbootTimeoutError extends FastbootError {
  readonly timeoutMs: number;
  readonly limit: 'silence' | 'deadline';
  /** A number is a silence timeout; a Deadline is the command's overall limit and the reason for it. */
  constructor(device: string, command: string | null, limit: number | Deadline) {
    const ms = typeof limit === 'number' ? limit : limit.ms;
    const what = typeof limit === 'number' ? `no answer within ${formatSeconds(ms)}` : `did not finish within ${formatSeconds(ms)} (${limit.basis})`;
    const words = { detail: typeof limit === 'number' ? 'TIMEOUT_SILENT' : 'TIMEOUT_UNFINISHED', params: { seconds: String(Math.round(ms / 100) / 10) } };
    super('TIMEOUT', device, command, `${what}; the connection was closed. Power-cycle the device into fastboot and retry`, words);
    this.name = 'FastbootTimeoutError';
    this.timeoutMs = ms;
    this.limit = typeof limit === 'number' ? 'silence' : 'deadline';
  }
}

/** The caller cancelled (AbortSignal); the connection is closed because the device's state is unknown. */
export class FastbootCancelledError extends FastbootError {
  constructor(device: string, command: string | null, options?: ErrorOptions) {
    super('ABORTED', device, command, 'cancelled; the connection was closed', { ...options, detail: 'FASTBOOT_CANCELLED' });
    this.name = 'FastbootCancelledError';
  }
}

/** A command the client refuses to send (too long, control bytes, bad argument); nothing was sent. A station fault. */
export class FastbootUsageError extends FastbootError {
  constructor(device: string, command: string, message: string) {
    super('INTERNAL', device, command, `${message}; nothing was sent`);
    this.name = 'FastbootUsageError';
  }
}

/** The image being flashed is unusable or changed while it was read; the partition was not flashed with it. */
export class FlashImageError extends FastbootError {
  constructor(device: string, command: string, message: string, options?: ErrorOptions) {
    super('IMAGE_UNREADABLE', device, command, message, options);
    this.name = 'FlashImageError';
  }
}

/** The caller's per-piece check rejected a downloaded piece, so `flash:` was not sent for it; the check's own code travels on. */
export class FlashCheckError extends FastbootError {
  readonly piece: number;
  constructor(device: string, command: string, piece: number, cause: unknown) {
    super(codedFailure(cause) ?? 'INTERNAL', device, command, `piece ${piece} failed its check before flashing (${describeFailure(cause)}); it was not flashed`, { cause });
    this.name = 'FlashCheckError';
    this.piece = piece;
  }
}

function codedFailure(error: unknown): FailureCode | null {
  return error instanceof CodedError && isFailureCode(error.code) ? error.code : null;
}
