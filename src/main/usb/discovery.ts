/** The part of the WebUSB `USB` object that finding a device needs: `usb` 3.x's WebUSB and the simulator both provide it. */
export type UsbBus = Pick<USB, 'getDevices'>;
