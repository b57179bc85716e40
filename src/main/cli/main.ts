import { displaySafe } from '../../shared/untrusted.ts';
import { STATION_VERSION } from '../station/version.ts';
import { COMMANDS } from './commands/index.ts';
import { CliError, EXIT_USAGE, processIo, type CliIo } from './io.ts';

function helpText(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  const lines = COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return [
    `Lockstep ${STATION_VERSION} - provisioning station for secure handsets`,
    '',
    'Usage: lockstep <command> [options]',
    '       lockstep <command> --help',
    '',
    'Commands:',
    ...lines,
    '',
    'Options:',
    '  -h, --help     Show this help',
    '  -v, --version  Print the version',
    '',
  ].join('\n');
}

/**
 * An error nobody anticipated, with its stack for the bug report. Its message may quote anything
 * (Node's file errors quote the path as typed), so it is escaped whole, newlines included, before
 * the stack frames, which V8 writes, are added line by line.
 */
function unexpectedFailure(error: unknown): string {
  const header = String(error);
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  if (!stack.startsWith(header)) return displaySafe(stack || header, 8192);
  return [header, ...stack.slice(header.length).split('\n').slice(1)].map((line) => displaySafe(line, 4096)).join('\n');
}

/** Runs one command line and returns the exit code; never throws. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    io.out(helpText());
    return first === undefined ? EXIT_USAGE : 0;
  }
  if (first === '-v' || first === '--version') {
    io.out(`${STATION_VERSION}\n`);
    return 0;
  }
  const entry = COMMANDS.find((candidate) => candidate.name === first);
  if (!entry) {
    io.err(`lockstep: unknown command '${displaySafe(first, 40)}'. Run 'lockstep --help' for the list.\n`);
    return EXIT_USAGE;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`${entry.summary}\n\nUsage: ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.err(`lockstep ${entry.name}: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      // Node quotes the unknown option as typed.
      io.err(`lockstep ${entry.name}: ${displaySafe(error.message)}\nUsage: ${command.usage}\n`);
      return EXIT_USAGE;
    }
    io.err(`lockstep ${entry.name}: unexpected failure: ${unexpectedFailure(error)}\n`);
    return 70;
  }
}
