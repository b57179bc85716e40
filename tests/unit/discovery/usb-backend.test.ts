import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Presence } from '../../../src/main/discovery/presence.ts';
import { HandsetRegistry, type RegistryEvent } from '../../../src/main/discovery/registry.ts';
import { UsbBackend } from '../../../src/main/discovery/usb-backend.ts';
import { slotOfUsbDevice } from '../../../src/main/usb/slot.ts';
import { findFastbootInterface } from '../../../src/main/usb/fastboot-interface.ts';
import { openSystemUsbBus } from '../../../src/main/usb/system-bus.ts';

function deviceWith(alternates: Array<[number, number, number]>, place: { bus?: unknown; ports?: unknown } = { bus: '1', ports: [3, 2] }): USBDevice {
  return {
    vendorId: 0x18d1,
    productId: 0x4ee0,
    serialNumber: 'LS-0001',
    ...place,
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

/** A WebUSB bus whose devices and events the test controls. */
class FakeBus extends EventTarget {
  devices: USBDevice[] = [];
  async getDevices(): Promise<USBDevice[]> {
    return this.devices;
  }
  plug(device: USBDevice, type: 'connect' | 'disconnect'): void {
    this.devices = type === 'connect' ? [...this.devices, device] : this.devices.filter((candidate) => candidate !== device);
    this.dispatchEvent(Object.assign(new Event(type), { device }));
  }
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

  it('places a device in its slot from the bus number and port chain, or nowhere when the host does not say', () => {
    expect(slotOfUsbDevice(deviceWith([], { bus: '1', ports: [3, 2] }))).toEqual({ kind: 'usb', bus: 1, ports: [3, 2] });
    expect(slotOfUsbDevice(deviceWith([], { bus: 2, ports: [1] }))).toEqual({ kind: 'usb', bus: 2, ports: [1] });
    expect(slotOfUsbDevice(deviceWith([], { bus: '1', ports: [] }))).toBeNull();
    expect(slotOfUsbDevice(deviceWith([], { bus: undefined, ports: undefined }))).toBeNull();
    expect(slotOfUsbDevice(deviceWith([], { bus: '1', ports: [999] }))).toBeNull();
  });

  it('lists only fastboot devices, each in its slot, and follows connect and disconnect events', async () => {
    const bus = new FakeBus();
    const mouse = deviceWith([[0x03, 0x01, 0x02]], { bus: '1', ports: [1] });
    const handset = deviceWith([[0xff, 0x42, 0x03]]);
    bus.devices = [mouse, handset];
    const registry = new HandsetRegistry([new UsbBackend(bus)]);
    const events: [RegistryEvent['type'], string][] = [];
    registry.subscribe((event) => events.push([event.type, event.presence.id]));
    await registry.start();
    expect(registry.list().map((presence: Presence) => [presence.id, presence.serial])).toEqual([['1-3.2', 'LS-0001']]);
    expect(registry.statuses()).toEqual([
      {
        transport: 'usb',
        available: true,
        detail: 'USB: 1 handset(s) in fastboot',
        words: { key: 'usbHandsets', params: { bus: 'system', count: '1', unplaced: '0' } },
      },
    ]);
    bus.plug(handset, 'disconnect');
    const again = deviceWith([[0xff, 0x42, 0x03]]);
    bus.plug(again, 'connect');
    expect(events).toEqual([
      ['attach', '1-3.2'],
      ['detach', '1-3.2'],
      ['attach', '1-3.2'],
    ]);
    await registry.stop();
  });

  it("reports this host's real bus truthfully: no bus is a status line and an empty list, not a crash", async () => {
    const registry = new HandsetRegistry([new UsbBackend(openSystemUsbBus())]);
    await registry.start();
    const [status] = registry.statuses();
    if (existsSync('/sys/bus/usb')) {
      expect(status?.available).toBe(true);
    } else {
      expect(status?.available).toBe(false);
      expect(status?.detail).toMatch(/^USB: no USB bus is reachable \(/);
      // The UI words the condition; the system's text stays in the station's sentence above.
      expect(status?.words).toEqual({ key: 'noUsbBus', params: { bus: 'system', condition: 'usbBusMissing' } });
      expect(registry.list()).toEqual([]);
    }
    await registry.stop();
  });
});
