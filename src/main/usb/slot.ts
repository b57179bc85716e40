// Where a USB device is plugged in: the slot of src/shared/handset.ts, from the bus number and port
// chain that `usb` 3.x adds to WebUSB's device (and the simulator's devices carry too).
import { usbSlot, type Slot } from '../../shared/handset.ts';

/** `usb` 3.x adds the bus and the port chain to WebUSB's device; the simulator does the same. */
interface PortPath {
  readonly bus?: unknown;
  readonly ports?: unknown;
}

/** The slot of a USB device, or null when the host does not say where it is plugged in. */
export function slotOfUsbDevice(device: USBDevice): Slot | null {
  const { bus, ports } = device as USBDevice & PortPath;
  if (!Array.isArray(ports) || !ports.every((port): port is number => typeof port === 'number')) return null;
  const busNumber = typeof bus === 'number' ? bus : typeof bus === 'string' ? Number(/^\d+/.exec(bus)?.[0] ?? Number.NaN) : Number.NaN;
  return usbSlot(busNumber, ports);
}
