import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HandsetRegistry } from '../../../src/main/discovery/registry.ts';
import { UsbBackend } from '../../../src/main/discovery/usb-backend.ts';
import { fleetPerTest, transferIn, UsbHost } from './usb-host.ts';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const fleetOf = fleetPerTest();

function nextEvent(bus: EventTarget, type: 'connect' | 'disconnect'): Promise<USBDevice> {
  return new Promise((resolve) => bus.addEventListener(type, (event) => resolve((event as unknown as { device: USBDevice }).device), { once: true }));
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('simulated USB backend', () => {
  it('is found by the station’s own USB discovery, with the fastboot interface and bulk endpoints', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001' }, { serial: 'LSIM0002', usb: { vendorId: 0x1234, productId: 0x5678 } }]);
    const registry = new HandsetRegistry([new UsbBackend(sim.fleet.usb)]);
    await registry.start();
    expect(registry.list().map((presence) => [presence.id, presence.serial, presence.vendorId, presence.productId])).toEqual([
      ['1-1.1', 'LSIM0001', 0x18d1, 0x4ee0],
      ['1-1.2', 'LSIM0002', 0x1234, 0x5678],
    ]);
    await registry.stop();
    const alternate = sim.fleet.handsets[0]?.usbDevice?.configurations[0]?.interfaces[0]?.alternates[0];
    expect(alternate).toMatchObject({ interfaceClass: 0xff, interfaceSubclass: 0x42, interfaceProtocol: 0x03 });
    expect(alternate?.endpoints).toEqual([
      { endpointNumber: 1, direction: 'out', type: 'bulk', packetSize: 512 },
      { endpointNumber: 1, direction: 'in', type: 'bulk', packetSize: 512 },
    ]);
    expect(await sim.fleet.usb.requestDevice({ filters: [{ serialNumber: 'LSIM0002' }] })).toBe(sim.fleet.handsets[1]?.usbDevice);
  });

  it('enforces WebUSB states: open before claim, claim before transfers, only endpoint 1, one link at a time', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001' }]);
    const device = sim.fleet.handsets[0]?.usbDevice as USBDevice;
    expect((await rejection(device.claimInterface(0))).name).toBe('InvalidStateError');
    await device.open();
    expect((await rejection(device.transferOut(1, new Uint8Array(4)))).name).toBe('InvalidStateError');
    expect((await rejection(device.claimInterface(1))).name).toBe('NotFoundError');
    await device.claimInterface(0);
    expect(device.configurations[0]?.interfaces[0]?.claimed).toBe(true);
    expect((await rejection(device.transferIn(2, 64))).name).toBe('NotFoundError');
    expect(await device.controlTransferIn({ requestType: 'vendor', recipient: 'device', request: 1, value: 0, index: 0 }, 8)).toEqual({ status: 'stall' });
    const host = new UsbHost(device);
    expect(await host.command('getvar:product')).toMatchObject({ code: 'OKAY' });
    await device.releaseInterface(0);
    await device.close();
    expect(device.opened).toBe(false);
  });

  it('times out a transfer as usb 3.x does, and cuts an over-long IN packet as babble', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001' }]);
    const host = await UsbHost.connect(sim.fleet.handsets[0]?.usbDevice ?? null);
    const started = performance.now();
    expect((await rejection(host.device.transferIn(1, 64))).name).toBe('TimeoutError');
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    await host.send(Buffer.from('getvar:serialno'));
    expect(await host.device.transferIn(1, 6)).toMatchObject({ status: 'babble' });
  });

  it('answers reboot with OKAY, then leaves the bus: NetworkError on the old object, disconnect and a new object after reboot-bootloader', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001' }]);
    const handset = sim.fleet.handsets[0];
    const host = await UsbHost.connect(handset?.usbDevice ?? null);
    const disconnected = nextEvent(sim.fleet.usb, 'disconnect');
    const connected = nextEvent(sim.fleet.usb, 'connect');
    expect(await host.command('reboot-bootloader')).toMatchObject({ code: 'OKAY' });
    expect(await disconnected).toBe(host.device);
    expect((await rejection(host.device.transferOut(1, Buffer.from('getvar:product')))).name).toBe('NetworkError');
    const fresh = await connected;
    expect(fresh).not.toBe(host.device);
    expect(await (await UsbHost.connect(fresh)).command('getvar:product')).toMatchObject({ code: 'OKAY' });

    const gone = nextEvent(sim.fleet.usb, 'disconnect');
    expect(await (await UsbHost.connect(fresh)).command('reboot')).toMatchObject({ code: 'OKAY' });
    await gone;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(handset?.mode).toBe('booted');
    expect(await sim.fleet.usb.getDevices()).toEqual([]);
    handset?.plugIn();
    expect(handset?.usbDevice).not.toBeNull();
  });
});

describe('fault injection', () => {
  it('detaches after N bytes of a download: pending transfers fail with NetworkError, the partition keeps its previous content, and the handset comes back', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001', faults: [{ kind: 'detach', afterDownloadBytes: 300_000, reattachAfterMs: 50 }] }]);
    const handset = sim.fleet.handsets[0];
    const host = await UsbHost.connect(handset?.usbDevice ?? null);
    const before = randomBytes(200_000);
    expect(await host.flash('boot_a', before)).toMatchObject({ code: 'OKAY' });
    const connected = nextEvent(sim.fleet.usb, 'connect');
    expect(await host.command('download:00100000')).toMatchObject({ code: 'DATA' });
    const pendingIn = transferIn(host.device, 64, 0);
    const error = await rejection((async () => {
      for (let at = 0; at < 0x100000; at += 65536) await host.send(new Uint8Array(65536).fill(0xee));
    })());
    expect(error.name).toBe('NetworkError');
    expect((await rejection(pendingIn)).name).toBe('NetworkError');
    const back = await UsbHost.connect(await connected);
    expect(await back.command('flash:boot_a')).toMatchObject({ code: 'FAIL' });
    expect(await back.sha256('boot_a', before.length)).toBe(sha256(before));
    // The fault fired once; the same download now completes.
    const image = new Uint8Array(0x100000).fill(0xee);
    expect(await back.flash('boot_a', image)).toMatchObject({ code: 'OKAY' });
    expect(await back.sha256('boot_a', image.length)).toBe(sha256(image));
  });

  it('FAILs a named command with the scenario’s text the given number of times', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001', faults: [{ kind: 'fail', command: 'flash:boot', message: 'eMMC write error 0x15', times: 2 }] }]);
    const host = await UsbHost.connect(sim.fleet.handsets[0]?.usbDevice ?? null);
    const image = randomBytes(4096);
    expect(await host.flash('boot_a', image)).toMatchObject({ code: 'FAIL', text: 'eMMC write error 0x15' });
    expect(await host.command('flash:boot_b')).toMatchObject({ code: 'FAIL', text: 'eMMC write error 0x15' });
    expect(await host.command('flash:boot_a')).toMatchObject({ code: 'OKAY' });
  });

  it('stalls on a command until the host resets the device', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001', faults: [{ kind: 'stall', command: 'oem fuse prog', times: 'always' }] }]);
    const handset = sim.fleet.handsets[0];
    const host = await UsbHost.connect(handset?.usbDevice ?? null);
    await host.send(Buffer.from('oem fuse prog 3 0 0x10'));
    expect((await rejection(host.reply(200))).name).toBe('TimeoutError');
    await host.send(Buffer.from('getvar:product'));
    expect((await rejection(host.reply(200))).name).toBe('TimeoutError');
    await host.device.reset();
    expect(await host.command('getvar:product')).toMatchObject({ code: 'OKAY' });
    expect(handset?.fuseWord(3, 0)).toBe(1);
  });

  it('reports fuse readback that disagrees with what was burned', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001', faults: [{ kind: 'fuse-readback', bank: 3, word: 0, clearBits: 0x20 }] }]);
    const handset = sim.fleet.handsets[0];
    const host = await UsbHost.connect(handset?.usbDevice ?? null);
    expect(await host.command('oem fuse prog 3 0 0x30')).toMatchObject({ code: 'OKAY' });
    expect(await host.command('oem fuse read 3 0')).toMatchObject({ info: ['0x00000011'] });
    expect(handset?.fuseWord(3, 0)).toBe(0x31);
  });

  it('holds a download to a slow link’s rate', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001', faults: [{ kind: 'slow-link', bytesPerSecond: 1_000_000 }] }]);
    const host = await UsbHost.connect(sim.fleet.handsets[0]?.usbDevice ?? null);
    const started = performance.now();
    expect(await host.download(new Uint8Array(300_000))).toMatchObject({ code: 'OKAY' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
  });
});
