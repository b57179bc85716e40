import type { StationMode } from '../../shared/types.ts';
import { accelerate, createSimFleet, defaultScenario, DEFAULT_TIMING, DEMO_SPEEDUP, loadScenario, type SimFleet } from '../../sim/index.ts';
import { HandsetRegistry } from '../discovery/registry.ts';
import { SerialBackend } from '../discovery/serial-backend.ts';
import { SimSerialBackend } from '../discovery/sim-serial-backend.ts';
import { TcpBackend } from '../discovery/tcp-backend.ts';
import { UsbBackend } from '../discovery/usb-backend.ts';
import { openSystemUsbBus } from '../usb/system-bus.ts';
import { simulatorStateDir } from './data-dir.ts';
import { loadSettings, parseTcpEndpoints } from './settings.ts';
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
  if (fleet !== 'simulated') {
    const bus = openSystemUsbBus();
    if (fleet === 'hardware' || (await hasUsbBus(bus))) {
      const settings = await loadSettings(options.dataDir);
      const endpoints = settings.tcpEndpoints.flatMap((text) => {
        const parsed = parseTcpEndpoints(text);
        return 'problem' in parsed ? [] : parsed;
      });
      const registry = new HandsetRegistry([
        new UsbBackend(bus),
        new SerialBackend({ paths: settings.serialPorts, listSystemPorts: true }),
        ...(endpoints.length > 0 ? [new TcpBackend(endpoints)] : []),
      ]);
      return started(registry, { mode: 'hardware', dataDir: options.dataDir, demo }, async () => {});
    }
  }
  const scenario = options.scenarioPath ? await loadScenario(options.scenarioPath) : defaultScenario(DEFAULT_FLEET_SIZE);
  const simulated: SimFleet = await createSimFleet({
    scenario,
    stateDir: simulatorStateDir(options.dataDir),
    ...(demo ? { timing: accelerate({ ...DEFAULT_TIMING, ...scenario.timing }, DEMO_SPEEDUP) } : {}),
  });
  const registry = new HandsetRegistry([new UsbBackend(simulated.usb, 'Simulated USB'), new SimSerialBackend(simulated.serial)]);
  // A simulated fleet has no real handsets to protect: it always runs with the DEMO key trusted.
  return started(registry, { mode: 'simulated', dataDir: options.dataDir, demo: true }, () => simulated.close());
}

async function started(registry: HandsetRegistry, options: Omit<Parameters<typeof createStation>[0], 'registry'>, closeSource: () => Promise<void>): Promise<OpenedStation> {
  await registry.start();
  const station = createStation({ ...options, registry });
  return {
    station,
    mode: options.mode,
    close: async () => {
      await station.close();
      await registry.stop();
      await closeSource();
    },
  };
}

async function hasUsbBus(bus: Pick<USB, 'getDevices'>): Promise<boolean> {
  try {
    await bus.getDevices();
    return true;
  } catch {
    return false;
  }
}
