import type { DepotSyncSettings } from '../../shared/depot.ts';
import type { StationMode } from '../../shared/types.ts';
import { defaultScenario, loadScenario } from '../../sim/index.ts';
import { simulatorStateDir } from './data-dir.ts';
import { listableUsbBus, openHandsetSources } from './handset-sources.ts';
import { loadSettings } from './settings.ts';
import { createStation, type Station } from './station.ts';

/** Handsets in the simulated fleet when no scenario file is named. */
export const DEFAULT_FLEET_SIZE = 4;

export interface OpenStationOptions {
  readonly dataDir: string;
  /**
   * 'hardware' uses the host's USB bus, serial ports and configured TCP endpoints; 'simulated' a
   * virtual fleet; 'auto' (the default) the hardware when the host has a USB bus, else the fleet.
   */
  readonly fleet?: 'auto' | StationMode;
  /** A scenario file describing the simulated fleet (see docs/simulator.md). */
  readonly scenarioPath?: string;
  /** Demo timing for the simulated fleet, and the DEMO signing key trusted. */
  readonly demo?: boolean;
  /** How the depot sync worker is tuned, when the station joined a depot (defaults otherwise). */
  readonly depotSync?: Partial<DepotSyncSettings>;
}

export interface OpenedStation {
  readonly station: Station;
  readonly mode: StationMode;
  close(): Promise<void>;
}

/** Builds the station on the handset sources the options call for, and returns how to close it again. */
export async function openStation(options: OpenStationOptions): Promise<OpenedStation> {
  const fleet = options.fleet ?? 'auto';
  const demo = Boolean(options.demo);
  const usb = fleet === 'simulated' ? null : await listableUsbBus();
  const sources =
    fleet === 'hardware' || usb !== null
      ? await openHandsetSources({ kind: 'hardware', settings: await loadSettings(options.dataDir), ...(usb ? { usb } : {}) })
      : await openHandsetSources({
          kind: 'simulated',
          scenario: options.scenarioPath ? await loadScenario(options.scenarioPath) : defaultScenario(DEFAULT_FLEET_SIZE),
          stateDir: simulatorStateDir(options.dataDir),
          demoTiming: demo,
        });
  // A simulated fleet has no real handsets to protect: it always runs with the DEMO key trusted.
  const station = createStation({ mode: sources.mode, registry: sources.registry, sourceProblems: sources.problems, dataDir: options.dataDir,
    demo: demo || sources.mode === 'simulated',
    ...(options.depotSync ? { depotSync: options.depotSync } : {}),
  });
  return {
    station,
    mode: sources.mode,
    close: async () => {
      await station.close();
      await sources.close();
    },
  };
}
