// Fastboot over USB through the WebUSB `USBDevice` interface (`usb` 3.x on a real bus, or the
// simulated handset): the vendor interface 0xFF/0x42/0x03 and its two bulk endpoints.
import { formatSlot } from '../../shared/handset.ts';
import { findFastbootInterface } from '../usb/fastboot-interface.ts';
import { slotOfUsbDevice } from '../usb/slot.ts';
import { FastbootConnectError } from './errors.ts';
import { MAX_PACKET_SIZE, printable } from './response.ts';
import { describeFailure } from '../../shared/describe-failure.ts';
import { TransportError, type FastbootTransport } from './transport.ts';

/** `usb` 3.x takes a per-transfer timeout as a third argument (default 1 s); WebUSB ignores extra arguments. */
interface TimedTransfers {
  transferOut(endpointNumber: number, data: Uint8Array, timeout?: number): Promise<USBOutTransferResult>;
  transferIn(endpointNumber: number, length: number, timeout?: number): Promise<USBInTransferResult>;
}

/** Consecutive zero-length IN packets tolerated while waiting for a response. */
const MAX_EMPTY_PACKETS = 16;

/** Opens the device, claims its fastboot interface and finds the bulk endpoints. */
export async function openUsb(device: USBDevice): Promise<FastbootTransport> {
  const name = usbName(device);
  const match = findFastbootInterface(device);
  if (!match) throw new FastbootConnectError(name, 'has no fastboot interface (class 0xFF, subclass 0x42, protocol 0x03); is it in fastboot mode?');
  let claimed = false;
  try {
    if (!device.opened) await device.open();
    if (device.configuration?.configurationValue !== match.configurationValue) await device.selectConfiguration(match.configurationValue);
    await device.claimInterface(match.interfaceNumber);
    claimed = true;
    if (match.alternateSetting !== 0) await device.selectAlternateInterface(match.interfaceNumber, match.alternateSetting);
    const alternate = device.configuration?.interfaces
      .find((candidate) => candidate.interfaceNumber === match.interfaceNumber)
      ?.alternates.find((candidate) => candidate.alternateSetting === match.alternateSetting);
    const bulk = (direction: USBDirection): USBEndpoint | undefined => alternate?.endpoints.find((endpoint) => endpoint.type === 'bulk' && endpoint.direction === direction);
    const inEndpoint = bulk('in');
    const outEndpoint = bulk('out');
    if (!inEndpoint || !outEndpoint) throw new Error('its fastboot interface lacks a bulk IN or bulk OUT endpoint');
    return new UsbTransport(name, device, match.interfaceNumber, inEndpoint, outEndpoint);
  } catch (error) {
    if (claimed) await device.releaseInterface(match.interfaceNumber).catch(() => undefined);
    await device.close().catch(() => undefined);
    throw new FastbootConnectError(name, `could not claim the fastboot interface (${describeFailure(error)}); another program (adb, fastboot, ModemManager) may hold it, or udev denies access`, { cause: error });
  }
}

/** `usb:1-3.2 SERIAL`: the slot as `-s` takes it; the serial is the device's own claim, so it is escaped and shortened. */
export function usbName(device: USBDevice): string {
  const slot = slotOfUsbDevice(device);
  // WebUSB's name for the descriptor's serial.
  const serial = device.serialNumber ? ` ${printable(new TextEncoder().encode(device.serialNumber.slice(0, 64)))}` : '';
  return `usb${slot === null ? '' : `:${formatSlot(slot)}`}${serial}`;
}

class UsbTransport implements FastbootTransport {
  readonly name: string;
  readonly #device: USBDevice & TimedTransfers;
  readonly #interfaceNumber: number;
  readonly #in: USBEndpoint;
  readonly #out: USBEndpoint;
  #closed = false;

  constructor(name: string, device: USBDevice, interfaceNumber: number, inEndpoint: USBEndpoint, outEndpoint: USBEndpoint) {
    this.name = name;
    this.#device = device as USBDevice & TimedTransfers;
    this.#interfaceNumber = interfaceNumber;
    this.#in = inEndpoint;
    this.#out = outEndpoint;
  }

  // No zero-length packet follows a write whose size is a multiple of the packet size: the device
  // knows every length in advance (64-byte commands, `download:` sizes), and bootloaders such as
  // LK would read a trailing ZLP as an empty command.
  async send(parts: readonly Uint8Array[], timeoutMs: number): Promise<void> {
    const data = parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts);
    const result = await this.#transfer(() => this.#device.transferOut(this.#out.endpointNumber, data, timeoutMs));
    if (result.status === 'stall') {
      await this.#device.clearHalt('out', this.#out.endpointNumber).catch(() => undefined);
      throw new TransportError('protocol', 'stalled its bulk OUT endpoint');
    }
    if (result.bytesWritten !== data.length) throw new TransportError('protocol', `accepted ${result.bytesWritten} of ${data.length} bytes`);
  }

  // Asks for a whole packet (not just 64 bytes) so that an over-long response arrives intact and is
  // reported as such instead of as a USB babble error.
  async receive(timeoutMs: number): Promise<Uint8Array> {
    const length = Math.max(MAX_PACKET_SIZE, this.#in.packetSize);
    for (let empty = 0; empty < MAX_EMPTY_PACKETS; empty++) {
      const result = await this.#transfer(() => this.#device.transferIn(this.#in.endpointNumber, length, timeoutMs));
      if (result.status === 'stall') {
        await this.#device.clearHalt('in', this.#in.endpointNumber).catch(() => undefined);
        throw new TransportError('protocol', 'stalled its bulk IN endpoint');
      }
      if (result.status === 'babble') throw new TransportError('protocol', `sent more than the ${length} bytes of one response packet`);
      const data = result.data;
      if (data && data.byteLength > 0) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    }
    throw new TransportError('protocol', `sent ${MAX_EMPTY_PACKETS} empty packets instead of a response`);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#device.releaseInterface(this.#interfaceNumber).catch(() => undefined);
    await this.#device.close().catch(() => undefined);
  }

  async #transfer<T>(run: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new TransportError('disconnected', 'the station released the device');
    try {
      return await run();
    } catch (error) {
      if (this.#closed) throw new TransportError('disconnected', 'the station released the device', { cause: error });
      const text = describeFailure(error);
      const timedOut = /timed? ?out|TIMEOUT/i.test(text);
      throw new TransportError(timedOut ? 'timeout' : 'disconnected', timedOut ? text : `USB transfer failed: ${text}`, { cause: error });
    }
  }
}
