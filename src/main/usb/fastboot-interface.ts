// The fastboot USB interface as AOSP defines it: vendor class 0xFF, subclass 0x42, protocol 0x03.
export const FASTBOOT_INTERFACE = { classCode: 0xff, subclassCode: 0x42, protocolCode: 0x03 } as const;

export interface FastbootInterfaceMatch {
  readonly configurationValue: number;
  readonly interfaceNumber: number;
  readonly alternateSetting: number;
}

/** Finds the fastboot interface among all configurations of a device, or null if it has none. */
export function findFastbootInterface(device: USBDevice): FastbootInterfaceMatch | null {
  for (const configuration of device.configurations) {
    for (const usbInterface of configuration.interfaces) {
      for (const alternate of usbInterface.alternates) {
        if (
          alternate.interfaceClass === FASTBOOT_INTERFACE.classCode &&
          alternate.interfaceSubclass === FASTBOOT_INTERFACE.subclassCode &&
          alternate.interfaceProtocol === FASTBOOT_INTERFACE.protocolCode
        ) {
          return {
            configurationValue: configuration.configurationValue,
            interfaceNumber: usbInterface.interfaceNumber,
            alternateSetting: alternate.alternateSetting,
          };
        }
      }
    }
  }
  return null;
}
