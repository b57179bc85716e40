// A depot for the UI tests: the real station core with a records database holding an admin, a
// supervisor and a technician, the demo bundle in its data folder as demo mode prepares it, and a
// simulated fleet on a virtual USB bus whose handsets start unplugged, so a test plugs each one in
// when its story says so.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HandsetRegistry } from '../../src/main/discovery/registry.ts';
import { SimSerialBackend } from '../../src/main/discovery/sim-serial-backend.ts';
import { UsbBackend } from '../../src/main/discovery/usb-backend.ts';
import { openStationRecords } from '../../src/main/records/station-records.ts';
import { ensureDemoBundle } from '../../src/main/station/demo-station.ts';
import { createStation, type Station } from '../../src/main/station/station.ts';
import type { DeviceProfile } from '../../src/shared/profile.ts';
import { writeProfilesWithTimeouts } from '../integration/pipeline/fixture.ts';
import { createSimFleet, parseScenario, type SimFleet, type SimHandset, type SimTiming } from '../../src/sim/index.ts';
import { withTransportBug } from './transport-bug.ts';
import { addDepotOperators, ADMIN as DEPOT_ADMIN, DISPLAY_NAMES, SUPERVISOR as DEPOT_SUPERVISOR, TECHNICIAN as DEPOT_TECHNICIAN } from '../depot-operators.ts';

/** The test depot's accounts with the names the UI shows for them. */
export const ADMIN = { ...DEPOT_ADMIN, name: DISPLAY_NAMES[DEPOT_ADMIN.id] };
export const SUPERVISOR = { ...DEPOT_SUPERVISOR, name: DISPLAY_NAMES[DEPOT_SUPERVISOR.id] };
export const TECHNICIAN = { ...DEPOT_TECHNICIAN, name: DISPLAY_NAMES[DEPOT_TECHNICIAN.id] };

/** A records database in `dataDir` with the three test operators. */
export function seedOperators(dataDir: string): void {
  const records = openStationRecords(dataDir);
  try {
    addDepotOperators(records);
  } finally {
    records.close();
  }
}

export interface Depot {
  readonly station: Station;
  readonly fleet: SimFleet;
  readonly bundlePath: string;
  readonly dir: string;
  handset(serial: string): SimHandset;
  close(): Promise<void>;
}

export interface DepotOptions {
  /** The scenario's devices (src/sim/scenario.ts), e.g. `{ serial, faults }`. */
  readonly devices: readonly Record<string, unknown>[];
  readonly timing: SimTiming;
  /** The shipped profiles with these timeouts instead of theirs (a stalled command fails in seconds, not minutes). */
  readonly timeouts?: DeviceProfile['timeouts'];
  /** The serial of a handset whose USB transport has a bug of the test harness (transport-bug.ts): it fails INTERNAL. */
  readonly transportBug?: string;
}

export async function openDepot(options: DepotOptions): Promise<Depot> {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-ui-'));
  const dataDir = join(dir, 'station');
  seedOperators(dataDir);
  // Where `npm run demo` keeps it, so the station offers it to the setup screen (station.info's demoBundlePath).
  const bundlePath = await ensureDemoBundle(dataDir);
  const fleet = await createSimFleet({ scenario: parseScenario({ devices: options.devices }), stateDir: join(dir, 'sim'), timing: options.timing });
  for (const handset of fleet.handsets) handset.unplug();
  const usb = new UsbBackend(fleet.usb, 'simulated');
  const registry = new HandsetRegistry([options.transportBug ? withTransportBug(usb, options.transportBug) : usb, new SimSerialBackend(fleet.serial)]);
  await registry.start();
  const stationProfilesDir = options.timeouts && (await writeProfilesWithTimeouts(join(dir, 'profiles'), options.timeouts));
  const station = createStation({ mode: 'simulated', registry, dataDir, demo: true, ...(stationProfilesDir ? { stationProfilesDir } : {}) });
  return {
    station,
    fleet,
    bundlePath,
    dir,
    handset(serial) {
      const found = fleet.handsets.find((candidate) => candidate.serial === serial);
      if (!found) throw new Error(`no simulated handset ${serial}`);
      return found;
    },
    async close() {
      await station.close();
      await registry.stop();
      await fleet.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
