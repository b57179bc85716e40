import type { AttachedHandset, TransportStatus } from '../../shared/types.ts';
import { findFastbootInterface } from './fastboot-interface.ts';

/** The part of the WebUSB `USB` object discovery needs: `usb` 3.x's WebUSB and the simulator both provide it. */
export type UsbBus = Pick<USB, 'getDevices'>;

export interface UsbScan {
  readonly status: TransportStatus;
  readonly handsets: readonly AttachedHandset[];
}

/**
 * Lists the attached devices that offer a fastboot interface. A station without a USB bus
 * (a container, a VM, CI) is a normal state to report, not a failure.
 */
export async function scanUsb(bus: UsbBus): Promise<UsbScan> {
  let devices: USBDevice[];
  try {
    devices = await bus.getDevices();
  } catch (error) {
    return {
      status: { transport: 'usb', available: false, detail: `No USB bus is reachable: ${describe(error)}` },
      handsets: [],
    };
  }
  // The address is the device's position in the bus listing: WebUSB exposes no port path, and the
  // serial number is the device's own claim, not something to key on before it is validated.
  const handsets = devices.flatMap((device, position): AttachedHandset[] =>
    findFastbootInterface(device) === null
      ? []
      : [
          {
            transport: 'usb',
            address: `usb:${hex4(device.vendorId)}:${hex4(device.productId)}#${position}`,
            vendorId: device.vendorId,
            productId: device.productId,
            serialNumber: device.serialNumber ?? null,
          },
        ],
  );
  return {
    status: {
      transport: 'usb',
      available: true,
      detail: `${devices.length} USB device(s) attached, ${handsets.length} in fastboot mode`,
    },
    handsets,
  };
}

function hex4(value: number): string {
  return value.toString(16).padStart(4, '0');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
