import type { StationApi } from '../../shared/api.ts';
import type { StationMode } from '../../shared/types.ts';
import { accelerate, createSimFleet, defaultScenario, DEFAULT_TIMING, DEMO_SPEEDUP, loadScenario, type SimFleet } from '../../sim/index.ts';
import type { UsbBus } from '../usb/discovery.ts';
import { openSystemUsbBus } from '../usb/system-bus.ts';
import { simulatorStateDir } from './data-dir.ts';
import { createStation } from './station.ts';

/** Handsets in the simulated fleet when no scenario file is named. */
export const DEFAULT_FLEET_SIZE = 4;

export interface OpenStationOptions {
  readonly dataDir: string;
  /**
   * 'hardware' uses the host's USB bus; 'simulated' a virtual fleet on a simulated USB bus;
   * 'auto' (the default) uses the hardware bus when the host has one, else the simulated fleet.
   */
  readonly fleet?: 'auto' | StationMode;
  /** A scenario file describing the simulated fleet (see docs/simulator.md). */
  readonly scenarioPath?: string;
  /** Demo timing: the simulated fleet runs faster than real handsets. */
  readonly demo?: boolean;
}

export interface OpenedStation {
  readonly station: StationApi;
  readonly mode: StationMode;
  close(): Promise<void>;
}

/** Builds the station on the USB bus the options call for, and returns how to close it again. */
export async function openStation(options: OpenStationOptions): Promise<OpenedStation> {
  const fleet = options.fleet ?? 'auto';
  if (fleet !== 'simulated') {
    const bus = openSystemUsbBus();
    if (fleet === 'hardware' || (await hasUsbBus(bus))) {
      return { station: createStation({ mode: 'hardware', usb: bus }), mode: 'hardware', close: async () => {} };
    }
  }
  const scenario = options.scenarioPath ? await loadScenario(options.scenarioPath) : defaultScenario(DEFAULT_FLEET_SIZE);
  const simulated: SimFleet = await createSimFleet({
    scenario,
    stateDir: simulatorStateDir(options.dataDir),
    ...(options.demo ? { timing: accelerate({ ...DEFAULT_TIMING, ...scenario.timing }, DEMO_SPEEDUP) } : {}),
  });
  return { station: createStation({ mode: 'simulated', usb: simulated.usb }), mode: 'simulated', close: () => simulated.close() };
}

async function hasUsbBus(bus: UsbBus): Promise<boolean> {
  try {
    await bus.getDevices();
    return true;
  } catch {
    return false;
  }
}
