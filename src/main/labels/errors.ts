// A label that cannot be made or printed: the message says which record, template or printer and
// what to do. `code` is stable for the front ends.
import { CodedError } from '../../shared/coded-error.ts';

export type LabelErrorCode = 'TEMPLATE_INVALID' | 'NO_TEMPLATE' | 'NO_RECORD' | 'NOT_LABELLABLE' | 'DOES_NOT_FIT' | 'NO_PRINTER' | 'PRINTER_FAILED';

export class LabelError extends CodedError<LabelErrorCode> {
  constructor(code: LabelErrorCode, message: string) {
    super(code, message);
    this.name = 'LabelError';
  }
}
