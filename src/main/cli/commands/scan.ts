import { parseArgs } from 'node:util';
import { createStation } from '../../station/station.ts';
import { openSystemUsbBus } from '../../usb/system-bus.ts';
import type { CliCommand } from '../command.ts';

export const scanCommand: CliCommand = {
  name: 'scan',
  summary: 'List handsets attached in fastboot mode and the state of each transport',
  usage: 'lockstep scan [--json]',
  async run(argv, io) {
    const { values } = parseArgs({ args: [...argv], options: { json: { type: 'boolean', default: false } }, strict: true });
    const result = await createStation({ mode: 'hardware', usb: openSystemUsbBus() })['devices.scan'](undefined);
    if (values.json) {
      io.out(`${JSON.stringify(result, null, 2)}\n`);
      return 0;
    }
    for (const status of result.transports) {
      io.out(`${status.transport}: ${status.available ? 'available' : 'unavailable'} - ${status.detail}\n`);
    }
    if (result.handsets.length === 0) io.out('No handsets in fastboot mode.\n');
    for (const handset of result.handsets) io.out(`${handset.address}\t${handset.serialNumber ?? '(no serial)'}\n`);
    return 0;
  },
};
