import { CodedError, type CodedErrorOptions } from '../../shared/coded-error.ts';
import type { Role } from '../../shared/records.ts';

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
  | 'PIN_INVALID'
  // In a depot: the station's copy of the operators is older than the depot allows, or a change was tried at the station.
  | 'DEPOT_SIGN_IN_STALE'
  | 'OPERATORS_AT_DEPOT'
  // In a depot: the depot holds another person under the id of one of the station's own operators (params: operator).
  | 'OPERATOR_CLASH'
  // An export file could not be written: its folder is missing, not writable, or its disk is full.
  | 'EXPORT_FOLDER_MISSING'
  | 'EXPORT_NOT_WRITABLE'
  | 'EXPORT_NO_SPACE'
  // A CSV or PDF export was given to verify: only the JSON Lines export carries the signed chain.
  | 'VERIFY_NOT_JSONL';

export class RecordsError extends CodedError<RecordsErrorCode> {
  constructor(code: RecordsErrorCode, message: string, options: CodedErrorOptions = {}) {
    super(code, message, options);
    this.name = 'RecordsError';
  }
}

/** An operator whose role is not one of `roles`; the UI words it from the role codes (`needed`: comma-separated). */
export function roleNotAllowed(operator: string, role: Role, roles: readonly Role[]): RecordsError {
  return new RecordsError('ROLE_NOT_ALLOWED', `operator ${operator} is a ${role}; this needs a ${roles.join(' or ')}.`, {
    params: { operator, role, needed: roles.join(',') },
  });
}

/** A journal id (a handset's row) that is not there; `then`: what the caller does about it, in the station's words. */
export function noSuchDevice(id: number, then = ''): RecordsError {
  return new RecordsError('RECORDS_REFUSED', `there is no device ${id} in the journal${then ? `; ${then}` : '.'}`, { detail: 'NO_SUCH_DEVICE', params: { device: String(id) } });
}

export function noSuchBatch(id: number): RecordsError {
  return new RecordsError('RECORDS_REFUSED', `there is no batch ${id}.`, { detail: 'NO_SUCH_BATCH', params: { batch: String(id) } });
}
