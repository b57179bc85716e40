import { describe, expect, it } from 'vitest';
import { scanUsb } from '../../src/main/usb/discovery.ts';
import { findFastbootInterface } from '../../src/main/usb/fastboot-interface.ts';
import { openSystemUsbBus } from '../../src/main/usb/system-bus.ts';
import { existsSync } from 'node:fs';

function deviceWith(alternates: Array<[number, number, number]>): USBDevice {
  return {
    vendorId: 0x18d1,
    productId: 0x4ee0,
    serialNumber: 'LS-0001',
    configurations: [
      {
        configurationValue: 1,
        interfaces: alternates.map(([interfaceClass, interfaceSubclass, interfaceProtocol], interfaceNumber) => ({
          interfaceNumber,
          alternates: [{ alternateSetting: 0, interfaceClass, interfaceSubclass, interfaceProtocol, endpoints: [] }],
        })),
      },
    ],
  } as unknown as USBDevice;
}

describe('USB discovery', () => {
  it('finds the fastboot interface by class 0xFF, subclass 0x42, protocol 0x03 only', () => {
    expect(findFastbootInterface(deviceWith([[0x08, 0x06, 0x50], [0xff, 0x42, 0x03]]))).toEqual({
      configurationValue: 1,
      interfaceNumber: 1,
      alternateSetting: 0,
    });
    expect(findFastbootInterface(deviceWith([[0xff, 0x42, 0x01]]))).toBeNull();
    expect(findFastbootInterface(deviceWith([[0xff, 0x43, 0x03]]))).toBeNull();
  });

  it('lists only fastboot devices among those attached', async () => {
    const bus = { getDevices: async () => [deviceWith([[0x03, 0x01, 0x02]]), deviceWith([[0xff, 0x42, 0x03]])] };
    const scan = await scanUsb(bus);
    expect(scan.status).toEqual({ transport: 'usb', available: true, detail: '2 USB device(s) attached, 1 in fastboot mode' });
    expect(scan.handsets).toEqual([{ transport: 'usb', address: 'usb:18d1:4ee0#1', vendorId: 0x18d1, productId: 0x4ee0, serialNumber: 'LS-0001' }]);
  });

  it("reports this host's real bus truthfully: no bus is 'unavailable', not a crash", async () => {
    const scan = await scanUsb(openSystemUsbBus());
    if (existsSync('/sys/bus/usb')) {
      expect(scan.status.available).toBe(true);
    } else {
      expect(scan.status.available).toBe(false);
      expect(scan.status.detail).toMatch(/^No USB bus is reachable: /);
      expect(scan.handsets).toEqual([]);
    }
  });
});
