// Connecting to the handset a front end names, in the one grammar of src/shared/handset.ts: a
// slot (USB port path `1-3.2` or `tcp:HOST[:PORT]`), a serial number, or `usb` for the only
// handset on USB. What `scan` prints is what `-s` takes.
import { formatSlot, type HandsetSelector } from '../../shared/handset.ts';
import { describeFailure } from '../../shared/describe-failure.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import type { UsbBus } from '../usb/discovery.ts';
import { findFastbootInterface } from '../usb/fastboot-interface.ts';
import { slotOfUsbDevice } from '../usb/slot.ts';
import { FastbootConnectError } from './errors.ts';
import { connectTcp } from './tcp-transport.ts';
import type { FastbootTransport } from './transport.ts';
import { openUsb } from './usb-transport.ts';

export interface ConnectOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** The USB bus to search (the system bus, or the simulator's). */
  readonly usb?: UsbBus;
}

export async function connectDevice(selector: HandsetSelector, options: ConnectOptions = {}): Promise<FastbootTransport> {
  if (selector.by === 'slot' && selector.slot.kind === 'tcp') return connectTcp(selector.slot.host, selector.slot.port, options);
  const name = selector.by === 'slot' ? formatSlot(selector.slot) : selector.by === 'serial' ? displaySafe(selector.serial, 64) : 'usb';
  if (!options.usb) throw new FastbootConnectError(name, 'no USB bus is available to this station');
  let devices: USBDevice[];
  try {
    devices = await options.usb.getDevices();
  } catch (error) {
    throw new FastbootConnectError(name, `no USB bus is reachable (${describeFailure(error)}); use tcp:HOST:PORT, or run where the handsets are plugged in`, { cause: error });
  }
  const matches = (device: USBDevice): boolean => {
    if (selector.by === 'serial') return device.serialNumber === selector.serial; // WebUSB's name for the descriptor's serial
    if (selector.by === 'slot') {
      const slot = slotOfUsbDevice(device);
      return slot !== null && formatSlot(slot) === name;
    }
    return true;
  };
  const candidates = devices.filter((device) => findFastbootInterface(device) !== null && matches(device));
  if (candidates.length === 0) throw new FastbootConnectError(name, 'no handset in fastboot mode matches; check the cable and that the handset shows its fastboot screen (lockstep scan lists them)');
  if (candidates.length > 1) throw new FastbootConnectError(name, `${candidates.length} handsets in fastboot mode match; name one by its slot or serial number (lockstep scan lists them)`);
  return openUsb(candidates[0] as USBDevice);
}
