import type { CliIo } from './io.ts';

/** What a command module exports. */
export interface CliCommand {
  readonly usage: string;
  /** Returns the process exit code; throws CliError for a failure the operator can act on. */
  readonly run: (argv: readonly string[], io: CliIo) => Promise<number>;
}

/** How the command list names a command without loading its module. */
export interface CliCommandEntry {
  readonly name: string;
  readonly summary: string;
  readonly load: () => Promise<CliCommand>;
}
