// The USB transport against a scripted WebUSB device: a protocol fixture that lets each test choose
// what the endpoints return (ZLPs, stalls, babble, detach), which the virtual handset does not do.
import { describe, expect, it } from 'vitest';
import { FastbootClient } from '../../../src/main/fastboot/client.ts';
import { DeviceDisconnectedError, FastbootConnectError, FastbootProtocolError } from '../../../src/main/fastboot/errors.ts';
import { openUsb } from '../../../src/main/fastboot/usb-transport.ts';

type InResult = USBInTransferResult | Error;

function endpoint(direction: USBDirection, endpointNumber: number): USBEndpoint {
  return { endpointNumber, direction, type: 'bulk', packetSize: 512 };
}

/** A device with a mass-storage interface 0 and the fastboot interface 1 (endpoints 2 OUT / 3 IN). */
function scriptedDevice(inResults: InResult[], options: { fastboot?: boolean; claimFails?: boolean } = {}) {
  const log: string[] = [];
  const written: string[] = [];
  const storage: USBInterface = {
    interfaceNumber: 0,
    claimed: false,
    alternate: undefined as unknown as USBAlternateInterface,
    alternates: [{ alternateSetting: 0, interfaceClass: 8, interfaceSubclass: 6, interfaceProtocol: 0x50, interfaceName: null, endpoints: [endpoint('in', 1), endpoint('out', 1)] }],
  };
  const fastbootAlternate: USBAlternateInterface = { alternateSetting: 0, interfaceClass: 0xff, interfaceSubclass: 0x42, interfaceProtocol: 3, interfaceName: null, endpoints: [endpoint('out', 2), endpoint('in', 3)] };
  const fastboot: USBInterface = { interfaceNumber: 1, claimed: false, alternate: fastbootAlternate, alternates: [fastbootAlternate] };
  const configuration: USBConfiguration = { configurationValue: 1, configurationName: null, interfaces: options.fastboot === false ? [storage] : [storage, fastboot] };
  let opened = false;
  const device = {
    vendorId: 0x18d1,
    productId: 0x4ee0,
    serialNumber: 'LSIM\u001b0001',
    configurations: [configuration],
    get configuration() {
      return opened ? configuration : null;
    },
    get opened() {
      return opened;
    },
    async open() {
      log.push('open');
      opened = true;
    },
    async close() {
      log.push('close');
      opened = false;
    },
    async selectConfiguration(value: number) {
      log.push(`configuration ${value}`);
    },
    async claimInterface(number: number) {
      if (options.claimFails) throw new Error('LIBUSB_ERROR_BUSY');
      log.push(`claim ${number}`);
    },
    async releaseInterface(number: number) {
      log.push(`release ${number}`);
    },
    async clearHalt(direction: USBDirection, number: number) {
      log.push(`clearHalt ${direction} ${number}`);
    },
    async transferOut(number: number, data: Uint8Array): Promise<USBOutTransferResult> {
      expect(number).toBe(2);
      written.push(Buffer.from(data).toString('latin1'));
      return { status: 'ok', bytesWritten: data.length };
    },
    async transferIn(number: number, length: number): Promise<USBInTransferResult> {
      expect(number).toBe(3);
      expect(length).toBe(512);
      const next = inResults.shift();
      if (next === undefined) throw new Error('script exhausted');
      if (next instanceof Error) throw next;
      return next;
    },
  };
  return { device: device as unknown as USBDevice, log, written };
}

function packet(text: string): USBInTransferResult {
  const bytes = Buffer.from(text, 'latin1');
  return { status: 'ok', data: new DataView(bytes.buffer, bytes.byteOffset, bytes.length) };
}

describe('fastboot over WebUSB', () => {
  it('claims the 0xFF/0x42/0x03 interface, talks on its bulk endpoints and releases it on close', async () => {
    const { device, log, written } = scriptedDevice([packet('OKAYlockstep-ref')]);
    const transport = await openUsb(device);
    expect(transport.name).toBe('usb LSIM\\x1b0001');
    const client = new FastbootClient(transport);
    expect(await client.getvar('product')).toBe('lockstep-ref');
    await client.close();
    expect(written).toEqual(['getvar:product']);
    expect(log).toEqual(['open', 'claim 1', 'release 1', 'close']);
  });

  it('skips zero-length packets while waiting for a response', async () => {
    const empty: USBInTransferResult = { status: 'ok', data: new DataView(new ArrayBuffer(0)) };
    const { device } = scriptedDevice([empty, empty, packet('INFOhashing'), empty, packet('OKAY')]);
    const client = new FastbootClient(await openUsb(device));
    expect(await client.oem('sha256 misc 4096')).toEqual({ value: '', info: ['hashing'], text: [] });
  });

  it('clears a stalled IN endpoint and reports the stall as a protocol error', async () => {
    const { device, log } = scriptedDevice([{ status: 'stall' }]);
    const client = new FastbootClient(await openUsb(device));
    await expect(client.getvar('product')).rejects.toThrow(FastbootProtocolError);
    expect(log).toContain('clearHalt in 3');
    expect(log.slice(-2)).toEqual(['release 1', 'close']);
  });

  it('reports babble (a response longer than a packet) as a protocol error', async () => {
    const { device } = scriptedDevice([{ status: 'babble' }]);
    const client = new FastbootClient(await openUsb(device));
    await expect(client.getvar('product')).rejects.toThrow(/sent more than the 512 bytes of one response packet/);
  });

  it('turns a detach during a transfer into DeviceDisconnectedError', async () => {
    const detached = Object.assign(new Error('The device was disconnected.'), { name: 'NetworkError' });
    const { device, log } = scriptedDevice([detached]);
    const client = new FastbootClient(await openUsb(device));
    const failure = await client.getvar('product').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DeviceDisconnectedError);
    expect((failure as Error).message).toContain("'getvar:product': the device disconnected (USB transfer failed: The device was disconnected.)");
    expect(log.slice(-2)).toEqual(['release 1', 'close']);
  });

  it('refuses a device without a fastboot interface', async () => {
    const { device, log } = scriptedDevice([], { fastboot: false });
    await expect(openUsb(device)).rejects.toThrow(/has no fastboot interface/);
    expect(log).toEqual([]);
  });

  it('explains an interface it cannot claim and closes the device again', async () => {
    const { device, log } = scriptedDevice([], { claimFails: true });
    const failure = await openUsb(device).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FastbootConnectError);
    expect((failure as Error).message).toMatch(/could not claim the fastboot interface \(LIBUSB_ERROR_BUSY\); another program/);
    expect(log).toEqual(['open', 'close']);
  });
});
