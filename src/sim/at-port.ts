// The serial (AT) port a booted handset offers, for one boot: it appears when the OS is up and is
// gone for good when the handset leaves the bus; the next boot is a new port. One program has it
// open at a time, as a tty opened exclusively. What the OS sends while nobody has the port open
// waits in a small device buffer, like a USB serial function's FIFO, and overflows quietly.
import { Duplex } from 'node:stream';
import { displaySafe } from '../shared/untrusted.ts';
import { AtEngine } from './at-engine.ts';
import { handsetDirectoryName } from './handset-state.ts';
import type { SimHandset } from './handset.ts';
import { usbDescriptorString } from './usb-device.ts';

const DEVICE_BUFFER_BYTES = 4096;

/** A port in the listing, with what a USB serial port's descriptor tells a host. */
export interface SimSerialPortInfo {
  /** `sim:<handset folder name>`: what `SimSerialBus.open` takes. */
  readonly path: string;
  /** The handset's serial number as its USB descriptor carries it (at most 126 characters). */
  readonly serial: string;
  readonly vendorId: number;
  readonly productId: number;
  /** The USB port path the handset is plugged into (`1-1.2`), the same as in fastboot mode. */
  readonly usbPort: string;
}

export class SerialPortError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SerialPortError';
  }
}

export class SimAtPort {
  readonly info: SimSerialPortInfo;
  readonly #engine: AtEngine;
  #stream: Duplex | null = null;
  #gone = false;
  readonly #buffered: Uint8Array[] = [];
  #bufferedBytes = 0;

  constructor(handset: SimHandset) {
    this.info = {
      path: `sim:${handsetDirectoryName(handset.serial)}`,
      serial: usbDescriptorString(handset.serial),
      vendorId: handset.device.usb.vendorId,
      productId: handset.device.usb.productId,
      usbPort: handset.device.usbPort,
    };
    this.#engine = new AtEngine(handset, (bytes) => this.#output(bytes));
  }

  get path(): string {
    return this.info.path;
  }

  /** A byte stream to the OS. Destroy (or end) it to close the port; it ends when the handset leaves. */
  open(): Duplex {
    if (this.#gone) throw new SerialPortError(`serial port ${displaySafe(this.path, 80)} is gone: the handset left the bus`);
    if (this.#stream) throw new SerialPortError(`serial port ${displaySafe(this.path, 80)} is busy: another program has it open`);
    const stream: Duplex = new Duplex({
      read: () => undefined,
      write: (chunk: Buffer, _encoding, callback) => {
        if (this.#gone) return callback(new SerialPortError(`serial port ${displaySafe(this.path, 80)} is gone: the handset left the bus`));
        this.#engine.receive(chunk);
        callback();
      },
      final: (callback) => {
        callback();
        stream.destroy();
      },
      destroy: (error, callback) => {
        if (this.#stream === stream) this.#stream = null;
        callback(error);
      },
    });
    this.#stream = stream;
    for (const bytes of this.#buffered.splice(0)) stream.push(bytes);
    this.#bufferedBytes = 0;
    return stream;
  }

  /** The handset left the bus: the open stream ends and the port never answers again. */
  close(): void {
    this.#gone = true;
    this.#engine.stop();
    this.#stream?.push(null);
  }

  #output(bytes: Uint8Array): void {
    if (this.#gone) return;
    if (this.#stream) {
      this.#stream.push(bytes);
      return;
    }
    const room = DEVICE_BUFFER_BYTES - this.#bufferedBytes;
    if (room <= 0) return;
    this.#buffered.push(bytes.subarray(0, room));
    this.#bufferedBytes += Math.min(room, bytes.length);
  }
}
