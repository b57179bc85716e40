/**
 * A refusal or failure of the records store that the operator can act on: the message says what
 * went wrong and what to do. Front ends show it as is (the CLI as a CliError, the UI as an API error).
 */
export class RecordsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordsError';
  }
}
