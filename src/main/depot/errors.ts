/**
 * A refusal or failure of the depot the operator can act on: the message says what went wrong and
 * what to do. `code` is PostgreSQL's SQLSTATE when the depot refused (class LS, migrations.ts).
 */
export class DepotError extends Error {
  readonly code: string | null;
  constructor(message: string, code: string | null = null) {
    super(message);
    this.name = 'DepotError';
    this.code = code;
  }
}
