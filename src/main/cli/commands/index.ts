import type { CliCommand } from '../command.ts';
import { scanCommand } from './scan.ts';

/** Every subcommand of `lockstep`, in the order `--help` lists them. */
export const COMMANDS: readonly CliCommand[] = [scanCommand];
