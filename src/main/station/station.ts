import type { StationApi } from '../../shared/api.ts';
import type { StationMode } from '../../shared/types.ts';
import { scanUsb, type UsbBus } from '../usb/discovery.ts';
import { STATION_VERSION } from './version.ts';

export interface StationOptions {
  readonly mode: StationMode;
  readonly usb: UsbBus;
}

/** The station core: the one object that the Electron UI, the CLI and the tests all drive. */
export function createStation(options: StationOptions): StationApi {
  return {
    'station.info': async () => ({
      name: 'lockstep',
      version: STATION_VERSION,
      mode: options.mode,
      runtime: {
        node: process.versions.node,
        electron: process.versions.electron ?? null,
        platform: process.platform,
      },
    }),
    'devices.scan': async () => {
      const usb = await scanUsb(options.usb);
      const status = options.mode === 'simulated' ? { ...usb.status, detail: `Simulated fleet on a virtual USB bus: ${usb.status.detail}` } : usb.status;
      return { scannedAt: new Date().toISOString(), handsets: usb.handsets, transports: [status] };
    },
  };
}
