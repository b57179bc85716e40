import { describe, expect, it } from 'vitest';
import { connectDevice, parseDeviceAddress } from '../../../src/main/fastboot/connect.ts';
import { FastbootConnectError } from '../../../src/main/fastboot/errors.ts';

describe('device addresses', () => {
  it.each([
    ['tcp:127.0.0.1:5555', { transport: 'tcp', host: '127.0.0.1', port: 5555 }],
    ['tcp:handset-7.depot', { transport: 'tcp', host: 'handset-7.depot', port: 5554 }],
    ['tcp:[::1]:6000', { transport: 'tcp', host: '::1', port: 6000 }],
    ['usb', { transport: 'usb', serial: null }],
    ['usb:LSIM0001', { transport: 'usb', serial: 'LSIM0001' }],
  ])('parses %s', (text, address) => {
    expect(parseDeviceAddress(text)).toEqual(address);
  });

  it.each([
    ['tcp:127.0.0.1:0', /port 0 is out of range/],
    ['tcp:127.0.0.1:99999', /port 99999 is out of range/],
    ['udp:127.0.0.1', /not a device address; use tcp:HOST\[:PORT\] or usb\[:SERIAL\]/],
    ['usb:with space', /not a device address/],
    ['tcp:a;rm -rf', /not a device address/],
  ])('refuses %s', (text, problem) => {
    const parsed = parseDeviceAddress(text);
    expect('problem' in parsed && parsed.problem).toMatch(problem);
  });
});

describe('connectDevice over USB', () => {
  it('says when there is no USB bus, when nothing matches, and when the choice is ambiguous', async () => {
    const noBus = { getDevices: () => Promise.reject(new Error('/sys/bus/usb/devices/ not found')) };
    await expect(connectDevice({ transport: 'usb', serial: null }, { usb: noBus })).rejects.toThrow(/usb: no USB bus is reachable \(\/sys\/bus\/usb\/devices\/ not found\)/);
    await expect(connectDevice({ transport: 'usb', serial: 'X' }, { usb: { getDevices: async () => [] } })).rejects.toThrow(/usb:X: no handset in fastboot mode matches/);
    const fastbootDevice = {
      serialNumber: 'A',
      configurations: [{ configurationValue: 1, interfaces: [{ interfaceNumber: 0, alternates: [{ alternateSetting: 0, interfaceClass: 0xff, interfaceSubclass: 0x42, interfaceProtocol: 3 }] }] }],
    } as unknown as USBDevice;
    const twice = { getDevices: async () => [fastbootDevice, fastbootDevice] };
    await expect(connectDevice({ transport: 'usb', serial: null }, { usb: twice })).rejects.toThrow(/2 handsets in fastboot mode match; name one with usb:SERIAL/);
    await expect(connectDevice({ transport: 'usb', serial: null }, {})).rejects.toThrow(FastbootConnectError);
  });
});
