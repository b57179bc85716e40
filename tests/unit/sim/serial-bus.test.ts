import { describe, expect, it } from 'vitest';
import { handsetDirectoryName } from '../../../src/sim/handset-state.ts';
import { SerialPortError, type SimHandset, type SimSerialPortChange } from '../../../src/sim/index.ts';
import { AtTerminal, bootIntoSystem, framed, modeReached } from './at-host.ts';
import { fleetPerTest, UsbHost } from './usb-host.ts';

const fleetOf = fleetPerTest();

type PortPath = USBDevice & { readonly bus: string; readonly ports: number[] };

function portPath(handset: SimHandset | undefined): string {
  const device = handset?.usbDevice as PortPath | null | undefined;
  if (!device) throw new Error('the handset is not in fastboot');
  return `${device.bus}-${device.ports.join('.')}`;
}

describe('in-process serial bus', () => {
  it('offers a booted handset’s AT port with the same serial number, and nothing while it is in fastboot', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001' }, { serial: 'KSIM0002', model: 'kestrel-k2', usbPort: '2-4' }]);
    const [reference, kestrel] = sim.fleet.handsets as SimHandset[];
    expect(sim.fleet.serial.list()).toEqual([]);
    const changes: SimSerialPortChange[] = [];
    sim.fleet.serial.onChange((change) => changes.push(change));
    await bootIntoSystem(kestrel as SimHandset);
    await bootIntoSystem(reference as SimHandset);
    const expected = [
      { path: `sim:${handsetDirectoryName('LSIM0001')}`, serial: 'LSIM0001', vendorId: 0x18d1, productId: 0x4ee0, usbPort: '1-1.1' },
      { path: `sim:${handsetDirectoryName('KSIM0002')}`, serial: 'KSIM0002', vendorId: 0x3e2a, productId: 0x0b02, usbPort: '2-4' },
    ];
    expect(sim.fleet.serial.list()).toEqual(expected);
    expect(changes).toEqual([
      { kind: 'added', port: expected[1] },
      { kind: 'added', port: expected[0] },
    ]);
    const at = new AtTerminal(sim.fleet.serial.open(expected[0]?.path ?? ''));
    expect(await at.command('AT+XSERIAL?')).toBe(`AT+XSERIAL?\r${framed('+XSERIAL: LSIM0001', 'OK')}`);
  });

  it('lets one program open a port at a time and names a port that is not there', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001' }]);
    const handset = sim.fleet.handsets[0] as SimHandset;
    expect(() => sim.fleet.serial.open(`sim:${handsetDirectoryName('LSIM0001')}`)).toThrow(/no booted handset offers it/);
    await bootIntoSystem(handset);
    const path = sim.fleet.serial.list()[0]?.path ?? '';
    const first = sim.fleet.serial.open(path);
    expect(() => sim.fleet.serial.open(path)).toThrow(SerialPortError);
    expect(() => sim.fleet.serial.open(path)).toThrow(/is busy/);
    expect(() => sim.fleet.serial.open('sim:\x1b[2Jnothing')).toThrow('no serial port sim:\\x1B[2Jnothing');
    first.destroy();
    const again = new AtTerminal(sim.fleet.serial.open(path));
    expect(await again.command('AT')).toBe(`AT\r${framed('OK')}`);
  });

  it('ends the stream and drops the port when the handset is unplugged, and fails later writes', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001' }]);
    const handset = sim.fleet.handsets[0] as SimHandset;
    await bootIntoSystem(handset);
    const at = new AtTerminal(sim.fleet.serial.open(sim.fleet.serial.list()[0]?.path ?? ''));
    const removed = new Promise<SimSerialPortChange>((resolve) => sim.fleet.serial.onChange(resolve));
    handset.unplug();
    expect(await removed).toMatchObject({ kind: 'removed', port: { serial: 'LSIM0001' } });
    await at.until(() => at.ended, 5000, 'end of stream');
    expect(sim.fleet.serial.list()).toEqual([]);
    const failed = new Promise<Error>((resolve) => at.stream.write('AT\r', (error) => resolve(error as Error)));
    expect((await failed).message).toMatch(/is gone: the handset left the bus/);
  });

  it('keeps output produced while nobody has the port open for the next opener', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001' }]);
    await bootIntoSystem(sim.fleet.handsets[0] as SimHandset);
    const path = sim.fleet.serial.list()[0]?.path ?? '';
    const first = new AtTerminal(sim.fleet.serial.open(path));
    first.write('AT+XBLSTATE?\r');
    first.stream.destroy();
    const second = new AtTerminal(sim.fleet.serial.open(path));
    await second.until(() => second.text().endsWith(framed('+XBLSTATE: UNLOCKED', 'OK')), 5000, 'the answer to the first opener');
  });
});

describe('USB port paths', () => {
  it('places handset i at 1-1.<i+1> unless the scenario names a port, and keeps the port across reboots and replugging', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001' }, { serial: 'LSIM0002', usbPort: '3-2.4.1' }, { serial: 'LSIM0003' }]);
    const [first, second, third] = sim.fleet.handsets as SimHandset[];
    expect([first, second, third].map(portPath)).toEqual(['1-1.1', '3-2.4.1', '1-1.3']);
    const device = second?.usbDevice as PortPath;
    expect([device.bus, device.ports]).toEqual(['3', [2, 4, 1]]);

    const left = modeReached(second as SimHandset, 'rebooting');
    expect(await (await UsbHost.connect(second?.usbDevice ?? null)).command('reboot-bootloader')).toMatchObject({ code: 'OKAY' });
    await left;
    await modeReached(second as SimHandset, 'fastboot');
    expect(second?.usbDevice).not.toBe(device);
    expect(portPath(second)).toBe('3-2.4.1');

    await bootIntoSystem(second as SimHandset);
    expect(sim.fleet.serial.list()[0]?.usbPort).toBe('3-2.4.1');
    second?.unplug();
    second?.plugIn();
    expect(portPath(second)).toBe('3-2.4.1');
  });
});
