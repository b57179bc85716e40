import type { CliIo } from './io.ts';

export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  /** Returns the process exit code; throws CliError for a failure the operator can act on. */
  readonly run: (argv: readonly string[], io: CliIo) => Promise<number>;
}
