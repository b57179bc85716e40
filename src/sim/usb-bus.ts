// The simulated USB backend: a WebUSB `USB` object over the fleet, so the station's real USB code
// (discovery, the fastboot USB transport) drives virtual handsets unchanged. A handset that leaves
// the bus fires 'disconnect' with the device object it had; coming back fires 'connect' with a new one.
import type { SimHandset } from './handset.ts';

type Listener = Parameters<EventTarget['addEventListener']>[1];
type AddOptions = Parameters<EventTarget['addEventListener']>[2];
type RemoveOptions = Parameters<EventTarget['removeEventListener']>[2];

export class SimUsbConnectionEvent extends Event {
  readonly device: USBDevice;
  constructor(type: 'connect' | 'disconnect', device: USBDevice) {
    super(type);
    this.device = device;
  }
}

export class SimUsbBus extends EventTarget implements USB {
  onconnect: ((this: USB, event: USBConnectionEvent) => unknown) | null = null;
  ondisconnect: ((this: USB, event: USBConnectionEvent) => unknown) | null = null;
  readonly #handsets: readonly SimHandset[];
  readonly #stops: (() => void)[] = [];

  constructor(handsets: readonly SimHandset[]) {
    super();
    this.#handsets = handsets;
    for (const handset of handsets) {
      let known = handset.usbDevice;
      this.#stops.push(
        handset.onModeChange(() => {
          const current = handset.usbDevice;
          if (known && known !== current) this.#fire('disconnect', known);
          if (current && current !== known) this.#fire('connect', current);
          known = current;
        }),
      );
    }
  }

  override addEventListener(type: 'connect' | 'disconnect', listener: (this: USB, event: USBConnectionEvent) => unknown, options?: AddOptions): void;
  override addEventListener(type: string, listener: Listener, options?: AddOptions): void;
  override addEventListener(type: string, listener: unknown, options?: AddOptions): void {
    super.addEventListener(type, listener as Listener, options);
  }

  override removeEventListener(type: 'connect' | 'disconnect', listener: (this: USB, event: USBConnectionEvent) => unknown, options?: RemoveOptions): void;
  override removeEventListener(type: string, listener: Listener, options?: RemoveOptions): void;
  override removeEventListener(type: string, listener: unknown, options?: RemoveOptions): void {
    super.removeEventListener(type, listener as Listener, options);
  }

  async getDevices(): Promise<USBDevice[]> {
    return this.#handsets.flatMap((handset) => (handset.usbDevice ? [handset.usbDevice] : []));
  }

  /** No chooser to show: the first attached device that matches a filter, as if the operator picked it. */
  async requestDevice(options?: USBDeviceRequestOptions): Promise<USBDevice> {
    const filters = options?.filters ?? [];
    const device = (await this.getDevices()).find((candidate) => filters.length === 0 || filters.some((filter) => matches(candidate, filter)));
    if (!device) throw new DOMException('No device selected.', 'NotFoundError');
    return device;
  }

  /** Stops following the handsets (the fleet is closing). */
  detachAll(): void {
    for (const stop of this.#stops.splice(0)) stop();
  }

  #fire(type: 'connect' | 'disconnect', device: USBDevice): void {
    const event = new SimUsbConnectionEvent(type, device);
    this.dispatchEvent(event);
    const handler = type === 'connect' ? this.onconnect : this.ondisconnect;
    handler?.call(this, event as unknown as USBConnectionEvent);
  }
}

function matches(device: USBDevice, filter: USBDeviceFilter): boolean {
  const alternates = device.configurations.flatMap((configuration) => configuration.interfaces.flatMap((usbInterface) => usbInterface.alternates));
  return (
    (filter.vendorId === undefined || filter.vendorId === device.vendorId) &&
    (filter.productId === undefined || filter.productId === device.productId) &&
    // WebUSB's USBDeviceFilter names the serial `serialNumber`.
    (filter.serialNumber === undefined || filter.serialNumber === device.serialNumber) &&
    (filter.classCode === undefined || alternates.some((alternate) => alternate.interfaceClass === filter.classCode)) &&
    (filter.subclassCode === undefined || alternates.some((alternate) => alternate.interfaceSubclass === filter.subclassCode)) &&
    (filter.protocolCode === undefined || alternates.some((alternate) => alternate.interfaceProtocol === filter.protocolCode))
  );
}
