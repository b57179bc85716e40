import { CodedError } from '../../shared/coded-error.ts';

/**
 * A refusal or failure of the records store that the operator can act on: the message says what
 * went wrong and what to do. Front ends show it as is (the CLI as a CliError, the UI as an API error).
 */
/** Codes an operator's front end acts on; anything else the store refuses is RECORDS_REFUSED. */
export type RecordsErrorCode =
  | 'RECORDS_REFUSED'
  | 'SIGN_IN_FAILED'
  | 'OPERATOR_DISABLED'
  | 'OPERATOR_LOCKED'
  | 'ROLE_NOT_ALLOWED'
  | 'NO_SUCH_OPERATOR'
  | 'LAST_ADMIN'
  | 'PIN_INVALID';

export class RecordsError extends CodedError<RecordsErrorCode> {
  constructor(code: RecordsErrorCode, message: string) {
    super(code, message);
    this.name = 'RecordsError';
  }
}
