// A fleet of virtual handsets built from a scenario: the handsets, their simulated USB bus, the
// serial ports of the booted ones and, on request, one fastboot TCP server per handset on
// consecutive ports and real ttys for the serial ports.
import { mkdir } from 'node:fs/promises';
import { SimHandset } from './handset.ts';
import { servePty, type SimPtyServer } from './pty-server.ts';
import { DEFAULT_TIMING, type Scenario, type SimTiming } from './scenario.ts';
import { SimSerialBus } from './serial-bus.ts';
import { serveTcp, type TcpEndpoint } from './tcp-server.ts';
import { SimUsbBus } from './usb-bus.ts';

export interface SimFleetOptions {
  readonly scenario: Scenario;
  /** Where each handset keeps its partitions, fuses and lock state between runs. */
  readonly stateDir: string;
  /** Overrides the scenario's timing, which overrides the defaults. */
  readonly timing?: Partial<SimTiming>;
}

export interface SimFleet {
  readonly handsets: readonly SimHandset[];
  readonly usb: SimUsbBus;
  /** The AT ports of the booted handsets, in process. */
  readonly serial: SimSerialBus;
  /** One fastboot TCP server per handset on consecutive ports from `firstPort` (0: any free ports); returns the ports. */
  serveTcp(firstPort: number, host?: string): Promise<number[]>;
  /** Mirrors every AT port onto a PTY linked at `<dir>/<handset folder name>` (needs socat); closed with the fleet. */
  servePty(dir: string): Promise<SimPtyServer>;
  close(): Promise<void>;
}

export async function createSimFleet(options: SimFleetOptions): Promise<SimFleet> {
  const timing: SimTiming = { ...DEFAULT_TIMING, ...options.scenario.timing, ...options.timing };
  await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
  const handsets: SimHandset[] = [];
  try {
    for (const device of options.scenario.devices) handsets.push(await SimHandset.create(device, options.stateDir, timing));
  } catch (error) {
    await Promise.all(handsets.map((handset) => handset.close()));
    throw error;
  }
  const usb = new SimUsbBus(handsets);
  const serial = new SimSerialBus(handsets);
  const endpoints: TcpEndpoint[] = [];
  const ptyServers: SimPtyServer[] = [];

  return {
    handsets,
    usb,
    serial,
    async serveTcp(firstPort, host) {
      if (endpoints.length > 0) throw new Error('the fleet is already served over TCP');
      if (firstPort !== 0 && (!Number.isInteger(firstPort) || firstPort < 1 || firstPort + handsets.length - 1 > 65535)) {
        throw new RangeError(`ports ${firstPort}-${firstPort + handsets.length - 1} are not all valid TCP ports`);
      }
      try {
        for (const [index, handset] of handsets.entries()) endpoints.push(await serveTcp(handset, firstPort === 0 ? 0 : firstPort + index, host));
      } catch (error) {
        await Promise.all(endpoints.splice(0).map((endpoint) => endpoint.close()));
        throw error;
      }
      return endpoints.map((endpoint) => endpoint.port);
    },
    async servePty(dir) {
      const server = await servePty(serial, dir);
      ptyServers.push(server);
      return server;
    },
    async close() {
      await Promise.all([...endpoints.splice(0), ...ptyServers.splice(0)].map((server) => server.close()));
      usb.detachAll();
      serial.detachAll();
      await Promise.all(handsets.map((handset) => handset.close()));
    },
  };
}
