import type { CliCommand } from '../command.ts';
import { bundleCommand } from './bundle.ts';
import { fastbootCommand } from './fastboot.ts';
import { keysCommand } from './keys.ts';
import { operatorsCommand } from './operators.ts';
import { recordsCommand } from './records.ts';
import { scanCommand } from './scan.ts';
import { simCommand } from './sim.ts';

/** Every subcommand of `lockstep`, in the order `--help` lists them. */
export const COMMANDS: readonly CliCommand[] = [scanCommand, recordsCommand, operatorsCommand, fastbootCommand, bundleCommand, keysCommand, simCommand];
