import { describe, expect, it } from 'vitest';
import { connectDevice } from '../../../src/main/fastboot/connect.ts';
import { FastbootConnectError } from '../../../src/main/fastboot/errors.ts';
import { formatSlot, parseHandsetSelector, parseSlot } from '../../../src/shared/handset.ts';

describe('handset selectors: what scan prints is what -s takes', () => {
  it.each([
    ['tcp:127.0.0.1:5555', { by: 'slot', slot: { kind: 'tcp', host: '127.0.0.1', port: 5555 } }],
    ['tcp:handset-7.depot', { by: 'slot', slot: { kind: 'tcp', host: 'handset-7.depot', port: 5554 } }],
    ['tcp:[::1]:6000', { by: 'slot', slot: { kind: 'tcp', host: '::1', port: 6000 } }],
    ['1-3.2', { by: 'slot', slot: { kind: 'usb', bus: 1, ports: [3, 2] } }],
    ['usb:2-1', { by: 'slot', slot: { kind: 'usb', bus: 2, ports: [1] } }],
    ['usb', { by: 'only-usb' }],
    ['LSIM0001', { by: 'serial', serial: 'LSIM0001' }],
  ])('parses %s', (text, selector) => {
    expect(parseHandsetSelector(text)).toEqual(selector);
  });

  it.each([
    ['tcp:127.0.0.1:0', /port 0 is out of range/],
    ['tcp:127.0.0.1:99999', /port 99999 is out of range/],
    ['usb:with space', /is not a slot/],
    ['with space', /is not a handset/],
    ['tcp:a;rm -rf', /is not a slot/],
    ['1-300', /over 255/],
  ])('refuses %s', (text, problem) => {
    const parsed = parseHandsetSelector(text);
    expect('problem' in parsed && parsed.problem).toMatch(problem);
  });

  it('spells every slot one way, and reads back what it spells', () => {
    for (const text of ['1-3.2', 'tcp:127.0.0.1:5554', 'tcp:[::1]:6000', '3-1.4.2']) {
      const slot = parseSlot(text);
      if ('problem' in slot) throw new Error(slot.problem);
      expect(formatSlot(slot)).toBe(text);
    }
  });
});

describe('connectDevice over USB', () => {
  it('says when there is no USB bus, when nothing matches, and when the choice is ambiguous', async () => {
    const noBus = { getDevices: () => Promise.reject(new Error('/sys/bus/usb/devices/ not found')) };
    await expect(connectDevice({ by: 'only-usb' }, { usb: noBus })).rejects.toThrow(/usb: no USB bus is reachable \(\/sys\/bus\/usb\/devices\/ not found\)/);
    await expect(connectDevice({ by: 'serial', serial: 'X' }, { usb: { getDevices: async () => [] } })).rejects.toThrow(/X: no handset in fastboot mode matches/);
    const fastbootDevice = {
      serialNumber: 'A',
      configurations: [{ configurationValue: 1, interfaces: [{ interfaceNumber: 0, alternates: [{ alternateSetting: 0, interfaceClass: 0xff, interfaceSubclass: 0x42, interfaceProtocol: 3 }] }] }],
    } as unknown as USBDevice;
    const twice = { getDevices: async () => [fastbootDevice, fastbootDevice] };
    await expect(connectDevice({ by: 'only-usb' }, { usb: twice })).rejects.toThrow(/2 handsets in fastboot mode match; name one by its slot or serial number/);
    await expect(connectDevice({ by: 'only-usb' }, {})).rejects.toThrow(FastbootConnectError);
  });
});
