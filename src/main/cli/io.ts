import { describeFailure, failureCode } from '../../shared/describe-failure.ts';
import { terminalSafeJson } from '../../shared/untrusted.ts';

/** Where a command writes. Tests pass buffers; the real CLI passes the process streams. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly isTty: boolean;
}

/**
 * Writes to a process stream unless its reader has gone away (`lockstep sim | head`): a closed pipe
 * discards further output instead of crashing the command half-way through its work.
 */
function pipeWriter(stream: NodeJS.WriteStream): (text: string) => void {
  let closed = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    closed = true;
  });
  return (text) => {
    if (!closed) stream.write(text);
  };
}

export const processIo: CliIo = {
  out: pipeWriter(process.stdout),
  err: pipeWriter(process.stderr),
  isTty: Boolean(process.stdout.isTTY),
};

/** A failure the operator can act on: the message says what went wrong and what to do. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/**
 * A failure as every command words it: the code it carries, if any, before the station's sentence (describeFailure's,
 * escaped), so a technician can quote the code and look it up.
 */
export function failureText(error: unknown): string {
  const code = failureCode(error);
  return code === null ? describeFailure(error) : `[${code}]: ${describeFailure(error)}`;
}

/** Exit code for a command line the CLI cannot understand (as sysexits' EX_USAGE). */
export const EXIT_USAGE = 64;

/**
 * One value as one line of JSON for standard output, escaped for a terminal: with --json every line
 * a command prints there is one of these, so `jq` and any line reader take the whole stream.
 */
export function jsonLine(value: unknown): string {
  return `${terminalSafeJson(JSON.stringify(value))}\n`;
}
