import { parseArgs } from 'node:util';
import { openStation } from '../../station/open-station.ts';
import type { CliCommand } from '../command.ts';
import { STATION_OPTIONS, STATION_USAGE, stationOptions } from '../station-options.ts';
import { displaySafe } from '../../../shared/untrusted.ts';

export const scanCommand: CliCommand = {
  usage: `lockstep scan [--json] ${STATION_USAGE}`,
  async run(argv, io) {
    const { values } = parseArgs({ args: [...argv], options: { json: { type: 'boolean', default: false }, ...STATION_OPTIONS }, strict: true });
    const opened = await openStation(stationOptions(values));
    try {
      const result = await opened.station['devices.scan'](undefined);
      if (values.json) {
        io.out(`${JSON.stringify(result, null, 2)}\n`);
        return 0;
      }
      for (const status of result.transports) {
        io.out(`${status.transport}: ${status.available ? 'available' : 'unavailable'} - ${status.detail}\n`);
      }
      if (result.handsets.length === 0) io.out('No handsets in fastboot mode.\n');
      for (const handset of result.handsets) io.out(`${handset.address}\t${handset.serialNumber === null ? '(no serial)' : displaySafe(handset.serialNumber)}\n`);
      return 0;
    } finally {
      await opened.close();
    }
  },
};
