// What the `operators` and `records` commands share: opening the station records named by --db,
// and turning the store's refusals into CLI errors the operator can act on.
import { existsSync } from 'node:fs';
import { displaySafe } from '../../shared/untrusted.ts';
import { RecordsError } from '../records/errors.ts';
import { openStationRecords, type StationRecords } from '../records/station-records.ts';
import { CliError, EXIT_USAGE, failureText } from './io.ts';

export function requireOption(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new CliError(`missing ${name}.`, EXIT_USAGE);
  return value;
}

/** Opens the database; `mustExist` refuses to create a new station where the user meant to read one. */
export function openCliRecords(database: string | undefined, options: { mustExist?: boolean } = {}): StationRecords {
  const path = requireOption(database, '--db FILE (the station records database)');
  if (options.mustExist && !existsSync(path)) throw new CliError(`there is no records database at ${displaySafe(path)}; check --db.`);
  return openStationRecords({ database: path });
}

/** Runs a command, reporting a RecordsError as a CliError with its code and message (failureText). */
export async function asCliErrors(work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof RecordsError) throw new CliError(failureText(error));
    throw error;
  }
}
