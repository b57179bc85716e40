// The handset as the station's USB code sees it: a WebUSB `USBDevice` shaped exactly like the
// objects `usb` 3.x returns, with the fastboot interface (0xFF/0x42/0x03) and two bulk endpoints.
// One object lives for one enumeration: after a detach it fails every transfer with a
// NetworkError and a re-attached handset is a new object, as on a real bus.
import { FastbootSession, type FastbootLink } from './fastboot-session.ts';
import type { SimHandset } from './handset.ts';

const FASTBOOT_ENDPOINT = 1;
const PACKET_SIZE = 512;
/** `usb` 3.x gives every transfer this timeout unless the caller passes one; 0 waits forever. */
const DEFAULT_TRANSFER_TIMEOUT_MS = 1000;
/** A USB string descriptor holds at most 126 UTF-16 code units. */
const STRING_DESCRIPTOR_LIMIT = 126;
/** How long a rebooting handset waits for the host to collect its last response. */
const FLUSH_GRACE_MS = 1000;

interface PendingIn {
  readonly length: number;
  readonly resolve: (result: USBInTransferResult) => void;
  readonly reject: (error: Error) => void;
}

export class SimUsbDevice implements USBDevice {
  readonly usbVersionMajor = 2;
  readonly usbVersionMinor = 0;
  readonly usbVersionSubminor = 0;
  readonly deviceClass = 0;
  readonly deviceSubclass = 0;
  readonly deviceProtocol = 0;
  readonly vendorId: number;
  readonly productId: number;
  readonly deviceVersionMajor = 1;
  readonly deviceVersionMinor = 0;
  readonly deviceVersionSubminor = 0;
  readonly manufacturerName = 'Lockstep';
  readonly productName: string;
  /** WebUSB's name for the descriptor's serial (USBDevice.serialNumber): the interface this class implements. */
  readonly serialNumber: string;
  readonly configurations: USBConfiguration[];
  /** Bus number, as `usb` 3.1's UsbDevice extension reports it. */
  readonly bus: string;
  /** Port chain from the root hub; with `bus`, the handset's slot. Stays the same across re-enumeration. */
  readonly ports: number[];
  readonly #handset: SimHandset;
  #opened = false;
  #claimed = false;
  #detached = false;
  #session: FastbootSession | null = null;
  #releaseLink: (() => void) | null = null;
  /** The command the device is executing; OUT transfers wait (NAK) until it is done. */
  #busy: Promise<void> = Promise.resolve();
  #out: Promise<unknown> = Promise.resolve();
  readonly #responses: Uint8Array[] = [];
  readonly #readers: PendingIn[] = [];
  readonly #drainWaiters: (() => void)[] = [];

  constructor(handset: SimHandset) {
    this.#handset = handset;
    this.vendorId = handset.device.usb.vendorId;
    this.productId = handset.device.usb.productId;
    this.productName = usbDescriptorString(handset.device.product);
    this.serialNumber = usbDescriptorString(handset.serial);
    this.configurations = [fastbootConfiguration(() => this.#claimed)];
    const [bus = '', chain = ''] = handset.device.usbPort.split('-');
    this.bus = bus;
    this.ports = chain.split('.').map(Number);
  }

  get configuration(): USBConfiguration {
    return this.configurations[0] as USBConfiguration;
  }

  get opened(): boolean {
    return this.#opened;
  }

  async open(): Promise<void> {
    this.#requireAttached();
    this.#opened = true;
  }

  async close(): Promise<void> {
    this.#endSession(abortError('The device was closed.'));
    this.#opened = false;
  }

  async forget(): Promise<void> {
    await this.close();
  }

  async selectConfiguration(configurationValue: number): Promise<void> {
    this.#requireOpen();
    if (configurationValue !== this.configuration.configurationValue) throw domError('NotFoundError', 'The configuration value provided is not supported by the device.');
  }

  async claimInterface(interfaceNumber: number): Promise<void> {
    this.#requireOpen();
    this.#requireInterface(interfaceNumber);
    if (this.#claimed) return;
    const release = this.#handset.tryAcquireLink();
    if (!release) throw domError('NetworkError', 'Unable to claim interface: the handset is busy on another link.');
    this.#releaseLink = release;
    this.#claimed = true;
    this.#session = this.#newSession();
  }

  async releaseInterface(interfaceNumber: number): Promise<void> {
    this.#requireOpen();
    this.#requireInterface(interfaceNumber);
    this.#endSession(abortError('The interface was released.'));
  }

  async selectAlternateInterface(interfaceNumber: number, alternateSetting: number): Promise<void> {
    this.#requireClaimed(interfaceNumber);
    if (alternateSetting !== 0) throw domError('NotFoundError', 'The alternate setting provided is not supported by the device.');
  }

  /** The fastboot interface has no class or vendor requests: the device stalls them. */
  async controlTransferIn(_setup: USBControlTransferParameters, _length: number): Promise<USBInTransferResult> {
    this.#requireOpen();
    return { status: 'stall' };
  }

  async controlTransferOut(_setup: USBControlTransferParameters, _data?: ArrayBuffer | ArrayBufferView): Promise<USBOutTransferResult> {
    this.#requireOpen();
    return { status: 'stall', bytesWritten: 0 };
  }

  async clearHalt(direction: USBDirection, endpointNumber: number): Promise<void> {
    this.#requireEndpoint(direction, endpointNumber);
  }

  /** One response packet (at most `length` bytes; a longer one is cut and reported as babble). */
  transferIn(endpointNumber: number, length: number, timeout = DEFAULT_TRANSFER_TIMEOUT_MS): Promise<USBInTransferResult> {
    try {
      this.#requireEndpoint('in', endpointNumber);
    } catch (error) {
      return Promise.reject(error);
    }
    const packet = this.#responses.shift();
    if (packet) {
      this.#drained();
      return Promise.resolve(inResult(packet, length));
    }
    return withTimeout(timeout, (resolve, reject) => {
      const reader: PendingIn = { length, resolve, reject };
      this.#readers.push(reader);
      return () => {
        const index = this.#readers.indexOf(reader);
        if (index >= 0) this.#readers.splice(index, 1);
      };
    });
  }

  /** A command packet, or download data while a download is in progress; a zero-length packet is ignored. */
  transferOut(endpointNumber: number, data: ArrayBuffer | ArrayBufferView, timeout = DEFAULT_TRANSFER_TIMEOUT_MS): Promise<USBOutTransferResult> {
    try {
      this.#requireEndpoint('out', endpointNumber);
    } catch (error) {
      return Promise.reject(error);
    }
    const bytes = Uint8Array.from(toBytes(data));
    const session = this.#session;
    return withTimeout(timeout, (resolve, reject) => {
      const delivery = this.#out.then(async () => {
        await this.#busy;
        if (this.#detached) throw networkError();
        if (!session || session !== this.#session) throw abortError('The transfer was cancelled.');
        if (bytes.length === 0) return;
        if (session.awaitingData > 0) await session.data(bytes);
        else this.#busy = session.command(bytes);
      });
      this.#out = delivery.catch(() => undefined);
      delivery.then(() => resolve({ status: 'ok', bytesWritten: bytes.length }), reject);
      return () => undefined;
    });
  }

  async isochronousTransferIn(_endpointNumber: number, _packetLengths: number[]): Promise<USBIsochronousInTransferResult> {
    throw domError('NotFoundError', 'The specified endpoint is not part of a claimed and selected alternate interface.');
  }

  async isochronousTransferOut(_endpointNumber: number, _data: ArrayBuffer | ArrayBufferView, _packetLengths: number[]): Promise<USBIsochronousOutTransferResult> {
    throw domError('NotFoundError', 'The specified endpoint is not part of a claimed and selected alternate interface.');
  }

  /** A port reset: the bootloader restarts its USB stack, forgetting a stalled or half-done exchange. */
  async reset(): Promise<void> {
    this.#requireOpen();
    if (!this.#claimed) return;
    this.#session?.close();
    this.#failTransfers(abortError('The transfer was cancelled by a device reset.'));
    this.#session = this.#newSession();
  }

  /** The handset left the bus: this object is dead for good. */
  detach(): void {
    if (this.#detached) return;
    this.#detached = true;
    this.#endSession(networkError());
    this.#opened = false;
  }

  #newSession(): FastbootSession {
    const link: FastbootLink = {
      send: (packet) => {
        const reader = this.#readers.shift();
        if (reader) reader.resolve(inResult(packet, reader.length));
        else this.#responses.push(packet);
      },
      flushed: () =>
        this.#responses.length === 0
          ? Promise.resolve()
          : new Promise((resolve) => {
              this.#drainWaiters.push(resolve);
              setTimeout(resolve, FLUSH_GRACE_MS).unref();
            }),
      // The handset detaches this device object itself.
      drop: () => undefined,
    };
    return new FastbootSession(this.#handset, link);
  }

  #endSession(reason: Error): void {
    this.#session?.close();
    this.#session = null;
    this.#claimed = false;
    this.#releaseLink?.();
    this.#releaseLink = null;
    this.#failTransfers(reason);
  }

  #failTransfers(reason: Error): void {
    this.#responses.length = 0;
    this.#drained();
    for (const reader of this.#readers.splice(0)) reader.reject(reason);
  }

  #drained(): void {
    if (this.#responses.length === 0) for (const wake of this.#drainWaiters.splice(0)) wake();
  }

  #requireAttached(): void {
    if (this.#detached) throw networkError();
  }

  #requireOpen(): void {
    this.#requireAttached();
    if (!this.#opened) throw domError('InvalidStateError', 'The device must be opened first.');
  }

  #requireInterface(interfaceNumber: number): void {
    if (interfaceNumber !== 0) throw domError('NotFoundError', 'The interface number provided is not supported by the device in its current configuration.');
  }

  #requireClaimed(interfaceNumber: number): void {
    this.#requireOpen();
    this.#requireInterface(interfaceNumber);
    if (!this.#claimed) throw domError('InvalidStateError', 'The specified interface has not been claimed.');
  }

  #requireEndpoint(direction: USBDirection, endpointNumber: number): void {
    this.#requireClaimed(0);
    if (endpointNumber !== FASTBOOT_ENDPOINT) throw domError('NotFoundError', `The specified endpoint is not part of a claimed and selected alternate interface (${direction} ${endpointNumber}).`);
  }
}

/** A string as a USB string descriptor can carry it. */
export function usbDescriptorString(text: string): string {
  return text.slice(0, STRING_DESCRIPTOR_LIMIT);
}

function fastbootConfiguration(claimed: () => boolean): USBConfiguration {
  const endpoint = (direction: USBDirection): USBEndpoint => ({ endpointNumber: FASTBOOT_ENDPOINT, direction, type: 'bulk', packetSize: PACKET_SIZE });
  const alternate: USBAlternateInterface = {
    alternateSetting: 0,
    interfaceClass: 0xff,
    interfaceSubclass: 0x42,
    interfaceProtocol: 0x03,
    interfaceName: 'fastboot',
    endpoints: [endpoint('out'), endpoint('in')],
  };
  const usbInterface: USBInterface = {
    interfaceNumber: 0,
    alternate,
    alternates: [alternate],
    get claimed() {
      return claimed();
    },
  };
  return { configurationValue: 1, configurationName: null, interfaces: [usbInterface] };
}

function inResult(packet: Uint8Array, length: number): USBInTransferResult {
  const data = packet.slice(0, length);
  return { status: packet.length > length ? 'babble' : 'ok', data: new DataView(data.buffer) };
}

function toBytes(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Runs a transfer; after `timeoutMs` (0 = never) it fails with a TimeoutError and `cancel` withdraws it. */
function withTimeout<T>(timeoutMs: number, start: (resolve: (value: T) => void, reject: (error: Error) => void) => () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const cancel = start(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
    if (timeoutMs > 0) {
      timer = setTimeout(() => {
        cancel();
        reject(domError('TimeoutError', `The transfer timed out after ${timeoutMs} ms.`));
      }, timeoutMs);
    }
  });
}

function domError(name: string, message: string): Error {
  return new DOMException(message, name);
}

function networkError(): Error {
  return domError('NetworkError', 'A transfer error has occurred: the device was disconnected.');
}

function abortError(message: string): Error {
  return domError('AbortError', message);
}
