import type { ParseArgsOptionsConfig } from 'node:util';
import { displaySafe } from '../../shared/untrusted.ts';
import { defaultDataDir } from '../station/data-dir.ts';
import type { OpenStationOptions } from '../station/open-station.ts';
import { CliError } from './io.ts';

/** The options every command that opens the station accepts. */
export const STATION_OPTIONS = {
  fleet: { type: 'string', default: 'auto' },
  scenario: { type: 'string' },
  data: { type: 'string' },
  demo: { type: 'boolean', default: false },
} as const satisfies ParseArgsOptionsConfig;

export const STATION_USAGE = '[--fleet auto|hardware|simulated] [--scenario FILE] [--data DIR] [--demo]';

export function stationOptions(values: { fleet: string; scenario?: string | undefined; data?: string | undefined; demo: boolean }): OpenStationOptions {
  if (values.fleet !== 'auto' && values.fleet !== 'hardware' && values.fleet !== 'simulated') {
    throw new CliError(`--fleet must be auto, hardware or simulated, not '${displaySafe(values.fleet, 40)}'`, 64);
  }
  return {
    dataDir: values.data ?? defaultDataDir(),
    fleet: values.demo ? 'simulated' : values.fleet,
    demo: values.demo,
    ...(values.scenario ? { scenarioPath: values.scenario } : {}),
  };
}
