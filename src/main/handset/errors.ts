// Failures of a handset operation that are the handset's fault, not the station's: the device said
// something the profile does not allow, or its AT port timed out, went away or flooded. The code
// travels to the operator unchanged.
import { CodedError, type CodedErrorOptions } from '../../shared/coded-error.ts';
import { AtError, type AtErrorCode } from '../at/errors.ts';

export type HandsetErrorCode = 'UNEXPECTED_ANSWER' | AtErrorCode;

export class HandsetError extends CodedError<HandsetErrorCode> {
  /** `words`: the finding as a key and the values it quotes, for the UI's words (CodedError). */
  constructor(code: HandsetErrorCode, message: string, words: Pick<CodedErrorOptions, 'detail' | 'params'> = {}) {
    super(code, message, words);
    this.name = 'HandsetError';
  }
}

/** An AT link failure as the handset's fault, with its code; anything else (an abort, a station fault) unchanged. */
export function asHandsetFault(error: unknown): unknown {
  return error instanceof AtError ? new HandsetError(error.code, error.message, { params: error.params, ...(error.detail === null ? {} : { detail: error.detail }) }) : error;
}
