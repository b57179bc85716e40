// Failures of a handset operation that are about the handset's answer, not the link: the device
// said something the profile does not allow. The code travels to the operator unchanged.

export type HandsetErrorCode = 'UNEXPECTED_ANSWER' | 'AT_TIMEOUT' | 'AT_DISCONNECTED' | 'AT_LINE_TOO_LONG' | 'AT_PORT_UNAVAILABLE';

export class HandsetError extends Error {
  readonly code: HandsetErrorCode;
  constructor(code: HandsetErrorCode, message: string) {
    super(message);
    this.name = 'HandsetError';
    this.code = code;
  }
}
