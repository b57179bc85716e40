// The one place the station's handset sources are built, for the Electron station, `lockstep scan`
// (both through openStation) and `lockstep provision`: the host's USB bus, its serial ports and the
// TCP endpoints of the station settings, or a simulated fleet on a virtual USB and serial bus. A
// settings entry that names no usable source is reported beside the transports' own statuses (the
// station's status line, the CLI's messages), never dropped without a word.
import type { TransportStatus, StationMode } from '../../shared/types.ts';
import { accelerate, createSimFleet, DEFAULT_TIMING, DEMO_SPEEDUP, type Scenario, type SimFleet } from '../../sim/index.ts';
import type { Slot } from '../../shared/handset.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { HandsetRegistry } from '../discovery/registry.ts';
import { SerialBackend } from '../discovery/serial-backend.ts';
import { SimSerialBackend } from '../discovery/sim-serial-backend.ts';
import { TcpBackend } from '../discovery/tcp-backend.ts';
import { UsbBackend, type UsbEventBus } from '../discovery/usb-backend.ts';
import { openSystemUsbBus } from '../usb/system-bus.ts';
import { parseTcpEndpoints, SETTINGS_FILE, type StationSettings } from './settings.ts';

type TcpSlot = Extract<Slot, { kind: 'tcp' }>;

export type HandsetSourceOptions =
  | {
      readonly kind: 'hardware';
      /** The station settings: TCP endpoints and serial port paths to watch. */
      readonly settings: StationSettings;
      /** Endpoints a command line adds; the caller checked them (parseEndpointList). */
      readonly tcpSlots?: readonly TcpSlot[];
      /** Port paths a command line adds. */
      readonly serialPorts?: readonly string[];
      /** The host's USB bus, when the caller has opened it already (listableUsbBus). */
      readonly usb?: UsbEventBus;
    }
  | {
      readonly kind: 'simulated';
      readonly scenario: Scenario;
      /** Where the virtual handsets keep their partitions and fuses. */
      readonly stateDir: string;
      /** Demo speed: the scenario's timing run DEMO_SPEEDUP times faster. */
      readonly demoTiming: boolean;
    };

export interface HandsetSources {
  readonly mode: StationMode;
  /** Started: handsets already attached are listed. */
  readonly registry: HandsetRegistry;
  /** Settings entries that name no usable source, as statuses shown beside the transports'. */
  readonly problems: readonly TransportStatus[];
  /** Each transport's state, then each problem. */
  statuses(): TransportStatus[];
  /** Stops watching the sources, and stops the simulated fleet. */
  close(): Promise<void>;
}

/** Builds and starts the sources the options describe. */
export async function openHandsetSources(options: HandsetSourceOptions): Promise<HandsetSources> {
  if (options.kind === 'simulated') {
    const timing = options.demoTiming ? accelerate({ ...DEFAULT_TIMING, ...options.scenario.timing }, DEMO_SPEEDUP) : {};
    const fleet: SimFleet = await createSimFleet({ scenario: options.scenario, stateDir: options.stateDir, timing });
    const registry = new HandsetRegistry([new UsbBackend(fleet.usb, 'simulated'), new SimSerialBackend(fleet.serial)]);
    return started('simulated', registry, [], () => fleet.close());
  }
  const fromSettings = parseEndpointList(options.settings.tcpEndpoints);
  const problems = fromSettings.problems.map(
    ({ endpoint, problem }): TransportStatus => ({
      transport: 'tcp',
      available: false,
      detail: `${SETTINGS_FILE} tcpEndpoints: ${problem}; this endpoint is not watched until it is fixed`,
      words: { key: 'tcpEndpointInvalid', params: { file: SETTINGS_FILE, endpoint } },
    }),
  );
  const endpoints = [...fromSettings.slots, ...(options.tcpSlots ?? [])];
  const registry = new HandsetRegistry([
    new UsbBackend(options.usb ?? openSystemUsbBus()),
    new SerialBackend({ paths: [...options.settings.serialPorts, ...(options.serialPorts ?? [])], listSystemPorts: true }),
    ...(endpoints.length > 0 ? [new TcpBackend(endpoints)] : []),
  ]);
  return started('hardware', registry, problems, async () => {});
}

/** A configured endpoint text that is no endpoint: the text (escaped) and the station's sentence why. */
interface EndpointProblem {
  readonly endpoint: string;
  readonly problem: string;
}

/** The TCP slots of endpoint texts (`HOST:PORT`, `HOST:FIRST-LAST`), and each text that is none, with why. */
export function parseEndpointList(texts: readonly string[]): { readonly slots: TcpSlot[]; readonly problems: EndpointProblem[] } {
  const slots: TcpSlot[] = [];
  const problems: EndpointProblem[] = [];
  for (const text of texts) {
    const parsed = parseTcpEndpoints(text);
    if ('problem' in parsed) problems.push({ endpoint: displaySafe(text, 80), problem: parsed.problem });
    else slots.push(...parsed);
  }
  return { slots, problems };
}

/** The host's USB bus, or null when this process cannot list it (no bus: a container, or no permission). */
export async function listableUsbBus(): Promise<UsbEventBus | null> {
  const bus = openSystemUsbBus();
  try {
    await bus.getDevices();
    return bus;
  } catch {
    return null;
  }
}

async function started(mode: StationMode, registry: HandsetRegistry, problems: readonly TransportStatus[], closeSource: () => Promise<void>): Promise<HandsetSources> {
  await registry.start();
  return {
    mode,
    registry,
    problems,
    statuses: () => [...registry.statuses(), ...problems],
    async close() {
      await registry.stop();
      await closeSource();
    },
  };
}
