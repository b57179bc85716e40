import { WebUSB } from 'usb';

/**
 * The host's real USB bus. `allowAllDevices` because the station, not a browser permission
 * prompt, decides which devices it talks to (it filters on the fastboot interface).
 */
export function openSystemUsbBus(): WebUSB {
  return new WebUSB({ allowAllDevices: true });
}
