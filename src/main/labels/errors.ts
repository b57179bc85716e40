// A label that cannot be made or printed: the message says which record, template or printer and
// what to do. `code` is stable for the front ends.
export type LabelErrorCode = 'TEMPLATE_INVALID' | 'NO_TEMPLATE' | 'NO_RECORD' | 'NOT_LABELLABLE' | 'DOES_NOT_FIT' | 'PRINTER_FAILED';

export class LabelError extends Error {
  readonly code: LabelErrorCode;
  constructor(code: LabelErrorCode, message: string) {
    super(message);
    this.name = 'LabelError';
    this.code = code;
  }
}
