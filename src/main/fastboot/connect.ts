// Device addresses as AOSP fastboot's `-s` takes them: `tcp:HOST[:PORT]`, or `usb[:SERIAL]`.
import { displaySafe } from '../../shared/untrusted.ts';
import type { UsbBus } from '../usb/discovery.ts';
import { findFastbootInterface } from '../usb/fastboot-interface.ts';
import { FastbootConnectError } from './errors.ts';
import { connectTcp } from './tcp-transport.ts';
import { describeError, type FastbootTransport } from './transport.ts';
import { openUsb } from './usb-transport.ts';

/** AOSP's default fastboot TCP port. */
export const DEFAULT_TCP_PORT = 5554;

export type DeviceAddress = { readonly transport: 'tcp'; readonly host: string; readonly port: number } | { readonly transport: 'usb'; readonly serial: string | null };

/** Parses an address, or returns why it is not one. */
export function parseDeviceAddress(text: string): DeviceAddress | { readonly problem: string } {
  const tcp = /^tcp:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::([0-9]{1,5}))?$/.exec(text);
  if (tcp) {
    const port = tcp[2] === undefined ? DEFAULT_TCP_PORT : Number(tcp[2]);
    if (port < 1 || port > 65535) return { problem: `port ${port} is out of range 1-65535` };
    return { transport: 'tcp', host: (tcp[1] as string).replace(/^\[|\]$/g, ''), port };
  }
  const usb = /^usb(?::([\x21-\x7e]{1,64}))?$/.exec(text);
  if (usb) return { transport: 'usb', serial: usb[1] ?? null };
  return { problem: `'${displaySafe(text, 80)}' is not a device address; use tcp:HOST[:PORT] or usb[:SERIAL]` };
}

export interface ConnectOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** The USB bus to search for `usb` addresses (the system bus, or the simulator's). */
  readonly usb?: UsbBus;
}

export async function connectDevice(address: DeviceAddress, options: ConnectOptions = {}): Promise<FastbootTransport> {
  if (address.transport === 'tcp') return connectTcp(address.host, address.port, options);
  const name = address.serial === null ? 'usb' : `usb:${address.serial}`;
  if (!options.usb) throw new FastbootConnectError(name, 'no USB bus is available to this station');
  let devices: USBDevice[];
  try {
    devices = await options.usb.getDevices();
  } catch (error) {
    throw new FastbootConnectError(name, `no USB bus is reachable (${describeError(error)}); use tcp:HOST:PORT, or run where the handsets are plugged in`, { cause: error });
  }
  const candidates = devices.filter((device) => findFastbootInterface(device) !== null && (address.serial === null || device.serialNumber === address.serial));
  if (candidates.length === 0) throw new FastbootConnectError(name, 'no handset in fastboot mode matches; check the cable and that the handset shows its fastboot screen');
  if (candidates.length > 1) throw new FastbootConnectError(name, `${candidates.length} handsets in fastboot mode match; name one with usb:SERIAL`);
  return openUsb(candidates[0] as USBDevice);
}
