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

export class RecordsError extends Error {
  readonly code: RecordsErrorCode;
  constructor(message: string, code: RecordsErrorCode = 'RECORDS_REFUSED') {
    super(message);
    this.name = 'RecordsError';
    this.code = code;
  }
}
