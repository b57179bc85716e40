import { describeFailure } from '../../../shared/describe-failure.ts';
import { parseArgs } from 'node:util';
import { displaySafe } from '../../../shared/untrusted.ts';
import { ScenarioError } from '../../../sim/index.ts';
import { openStation } from '../../station/open-station.ts';
import type { CliCommand } from '../command.ts';
import { CliError, jsonLine } from '../io.ts';
import { STATION_OPTIONS, STATION_USAGE, stationOptions } from '../station-options.ts';

export const scanCommand: CliCommand = {
  usage: `lockstep scan [--json] ${STATION_USAGE}`,
  async run(argv, io) {
    const { values } = parseArgs({ args: [...argv], options: { json: { type: 'boolean', default: false }, ...STATION_OPTIONS }, strict: true });
    // A scenario file or a data folder the station cannot use is the operator's to fix, not a bug.
    const opened = await openStation(stationOptions(values)).catch((error: unknown) => {
      if (error instanceof ScenarioError) throw new CliError(error.message);
      throw new CliError(`cannot open the station: ${describeFailure(error)}`);
    });
    try {
      const result = await opened.station.owner.scan();
      if (values.json) {
        io.out(jsonLine(result));
        return 0;
      }
      for (const status of result.transports) {
        io.out(`${status.transport}: ${status.available ? 'available' : 'unavailable'} - ${status.detail}\n`);
      }
      if (result.handsets.length === 0) io.out('No handsets found.\n');
      for (const handset of result.handsets) {
        io.out(`${displaySafe(handset.slot)}\t${handset.mode}\t${handset.serial === null ? '(no serial)' : displaySafe(handset.serial)}\n`);
      }
      return 0;
    } finally {
      await opened.close();
    }
  },
};
