// Handsets in fastboot on a USB bus (the host's, through `usb` 3.x, or the simulator's): the devices
// present at start, then connect and disconnect events. Each is placed in its slot, the physical
// port path, which stays the same when the handset re-enumerates.
import { formatSlot } from '../../shared/handset.ts';
import type { TransportStatus } from '../../shared/types.ts';
import { describeFailure } from '../../shared/describe-failure.ts';
import { openUsb } from '../fastboot/usb-transport.ts';
import { findFastbootInterface } from '../usb/fastboot-interface.ts';
import { slotOfUsbDevice } from '../usb/slot.ts';
import type { DiscoveryBackend, FastbootPresence, PresenceSink } from './presence.ts';
import { systemCondition } from './system-condition.ts';

/** The WebUSB bus with events, as `usb` 3.x and the simulator provide it. */
export type UsbEventBus = Pick<USB, 'getDevices'> & EventTarget;

export class UsbBackend implements DiscoveryBackend {
  readonly transport = 'usb' as const;
  readonly #bus: UsbEventBus;
  readonly #kind: 'system' | 'simulated';
  readonly #label: string;
  readonly #known = new Map<USBDevice, string>();
  #status: TransportStatus;
  #sink: PresenceSink | null = null;
  #unplaced = 0;

  /** `kind` says which bus this is in the status line ("USB", "Simulated USB"). */
  constructor(bus: UsbEventBus, kind: 'system' | 'simulated' = 'system') {
    this.#bus = bus;
    this.#kind = kind;
    this.#label = kind === 'simulated' ? 'Simulated USB' : 'USB';
    this.#status = { transport: 'usb', available: false, detail: `${this.#label}: not started`, words: { key: 'notStarted', params: { bus: kind } } };
  }

  readonly #onConnect = (event: Event): void => this.#add((event as USBConnectionEvent).device);
  readonly #onDisconnect = (event: Event): void => this.#remove((event as USBConnectionEvent).device);

  async start(sink: PresenceSink): Promise<void> {
    this.#sink = sink;
    let devices: USBDevice[];
    try {
      devices = await this.#bus.getDevices();
    } catch (error) {
      const problem = describeFailure(error);
      this.#status = {
        transport: 'usb',
        available: false,
        detail: `${this.#label}: no USB bus is reachable (${problem}); no USB handsets can be seen`,
        words: { key: 'noUsbBus', params: { bus: this.#kind, condition: systemCondition(error) } },
      };
      return;
    }
    this.#bus.addEventListener('connect', this.#onConnect);
    this.#bus.addEventListener('disconnect', this.#onDisconnect);
    for (const device of devices) this.#add(device);
    this.#refreshStatus();
  }

  status(): TransportStatus {
    return this.#status;
  }

  async stop(): Promise<void> {
    this.#bus.removeEventListener('connect', this.#onConnect);
    this.#bus.removeEventListener('disconnect', this.#onDisconnect);
    this.#sink = null;
  }

  #add(device: USBDevice): void {
    if (findFastbootInterface(device) === null) return;
    const slot = slotOfUsbDevice(device);
    if (slot === null) {
      this.#unplaced += 1;
      return this.#refreshStatus();
    }
    const presence: FastbootPresence = {
      kind: 'fastboot',
      id: formatSlot(slot),
      slot,
      serial: device.serialNumber ?? null, // WebUSB's name for the descriptor's serial
      vendorId: device.vendorId,
      productId: device.productId,
      connect: () => openUsb(device),
    };
    this.#known.set(device, presence.id);
    this.#sink?.attach(presence);
    this.#refreshStatus();
  }

  #remove(device: USBDevice): void {
    const id = this.#known.get(device);
    if (id === undefined) return;
    this.#known.delete(device);
    this.#sink?.detach(id);
    this.#refreshStatus();
  }

  #refreshStatus(): void {
    const unplaced = this.#unplaced > 0 ? `; ${this.#unplaced} without a port path were ignored` : '';
    const params = { bus: this.#kind, count: String(this.#known.size), unplaced: String(this.#unplaced) };
    const words = { key: this.#unplaced > 0 ? ('usbHandsetsUnplaced' as const) : ('usbHandsets' as const), params };
    this.#status = { transport: 'usb', available: true, detail: `${this.#label}: ${this.#known.size} handset(s) in fastboot${unplaced}`, words };
  }
}
