import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { AtClient, streamLink } from '../../../src/main/at/client.ts';
import { readCommandLog, type SimHandset } from '../../../src/sim/index.ts';
import { AtTerminal, bootIntoSystem, framed, modeReached } from './at-host.ts';
import { fleetPerTest, UsbHost } from './usb-host.ts';

const fleetOf = fleetPerTest();

async function oneBooted(device: Record<string, unknown>, prepare?: (host: UsbHost) => Promise<void>) {
  const sim = await fleetOf([{ serial: 'LSIM0001', ...device }]);
  const handset = sim.fleet.handsets[0] as SimHandset;
  await bootIntoSystem(handset, prepare);
  const path = sim.fleet.serial.list()[0]?.path ?? '';
  return { sim, handset, path, open: () => sim.fleet.serial.open(path) };
}

describe('reboot-hang', () => {
  it('keeps a handset that reboots into its OS off the bus until it is plugged in again, as many times as the fault says', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001', faults: [{ kind: 'reboot-hang', times: 1 }] }]);
    const handset = sim.fleet.handsets[0] as SimHandset;
    const host = await UsbHost.connect(handset.usbDevice);
    expect(await host.command('reboot')).toMatchObject({ code: 'OKAY' });
    await modeReached(handset, 'rebooting');
    // Ten reboot times (50 ms each) later it is still down: the reboot never completes on its own.
    await sleep(500);
    expect(handset.mode).toBe('rebooting');
    expect(sim.fleet.serial.list()).toEqual([]);
    expect(await sim.fleet.usb.getDevices()).toEqual([]);
    handset.plugIn();
    expect(handset.mode).toBe('fastboot');
    await bootIntoSystem(handset);
    expect(sim.fleet.serial.list()).toHaveLength(1);
  });

  it('does not hang a reboot into the bootloader', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001', faults: [{ kind: 'reboot-hang', times: 'always' }] }]);
    const handset = sim.fleet.handsets[0] as SimHandset;
    const left = modeReached(handset, 'rebooting');
    expect(await (await UsbHost.connect(handset.usbDevice)).command('reboot-bootloader')).toMatchObject({ code: 'OKAY' });
    await left;
    await modeReached(handset, 'fastboot');
  });
});

describe('at-noise', () => {
  it('greets with a burst of unsolicited lines and noise, and puts noise between answers without breaking an answer’s lines', async () => {
    const { open } = await oneBooted({ faults: [{ kind: 'at-noise' }] });
    const at = new AtTerminal(open());
    await at.until(() => at.text().includes('^SYSSTART'), 5000, 'the boot burst');
    for (const part of ['\r\nRING\r\n', '\r\n+CREG: 1\r\n', '\r\n^SYSSTART\r\n', '\x00\x07\x1b', '\xff\xfe']) expect(at.text()).toContain(part);
    await at.command('ATE0');
    const answers = [];
    for (let round = 0; round < 5; round++) answers.push(await at.command('AT+XSERIAL?'));
    for (const answer of answers) expect(answer.endsWith(framed('+XSERIAL: LSIM0001', 'OK'))).toBe(true);
    // ATE0's answer had the first item of the cycle.
    expect(answers.map((answer) => answer.slice(0, -framed('+XSERIAL: LSIM0001', 'OK').length))).toEqual([
      '\x00\x07\x1b\x7f\x1a',
      '\r\n+CREG: 1\r\n',
      '\xff\xfe\xc3\x28\x80',
      '\r\n^SYSSTART\r\n',
      '\r\nRING\r\n',
    ]);
  });

  it('is survived by the station’s AT client', async () => {
    const { open, path } = await oneBooted({ faults: [{ kind: 'at-noise' }] });
    const client = new AtClient(streamLink(open()), path);
    try {
      const answer = await client.command('AT+XSERIAL?', { timeoutMs: 5000 });
      expect(answer.final).toBe('ok');
      expect(answer.lines).toContain('+XSERIAL: LSIM0001');
    } finally {
      await client.close();
    }
  });
});

describe('capability-lie', () => {
  it('has the OS report a fused-off camera present, while the fuse still blocks GPS power-on', async () => {
    const { open } = await oneBooted({ faults: [{ kind: 'capability-lie', capability: 'camera' }] }, async (host) => {
      expect(await host.command('oem fuse prog 3 0 0x30')).toMatchObject({ code: 'OKAY' });
    });
    const at = new AtTerminal(open());
    await at.command('ATE0');
    expect(await at.command('AT+XCAPS?')).toBe(framed('+XCAPS: CAMERA=PRESENT,GPS=ABSENT', 'OK'));
    expect(await at.command('AT+CGPS=1')).toBe(framed('+CME ERROR: 4'));
  });

  it('works the same in the Kestrel dialect', async () => {
    const { open } = await oneBooted({ model: 'kestrel-k2', faults: [{ kind: 'capability-lie', capability: 'gps' }] }, async (host) => {
      expect(await host.command('oem efuse blow b1w2 0x1200')).toMatchObject({ code: 'OKAY' });
    });
    const at = new AtTerminal(open());
    await at.command('ATE0');
    expect(await at.command('AT$CAPS?')).toBe(framed('$CAPS: CAM:OFF GNSS:ON', 'OK'));
    expect(await at.command('AT$GNSS=ON')).toBe(framed('ERROR'));
  });
});

describe('fail and stall on AT commands', () => {
  it('answers a matching AT command with the fault’s result line, and leaves fastboot commands alone', async () => {
    const fault = { kind: 'fail', on: 'at', command: 'AT+CGSN', message: '+CME ERROR: 10', times: 1 };
    const sim = await fleetOf([{ serial: 'LSIM0001', faults: [fault, { ...fault, command: 'getvar:product' }] }]);
    const handset = sim.fleet.handsets[0] as SimHandset;
    await bootIntoSystem(handset, async (host) => {
      expect(await host.command('getvar:product')).toMatchObject({ code: 'OKAY', text: 'lockstep-ref' });
    });
    const at = new AtTerminal(sim.fleet.serial.open(sim.fleet.serial.list()[0]?.path ?? ''));
    await at.command('ATE0');
    expect(await at.command('AT+CGSN')).toBe(framed('+CME ERROR: 10'));
    expect(await at.command('AT+CGSN')).toBe(framed(handset.device.imei, 'OK'));
  });

  it('stops the OS answering from a matching command on, until the handset boots again', async () => {
    const { sim, handset, open } = await oneBooted({ faults: [{ kind: 'stall', on: 'at', command: 'AT+CGMR' }] });
    const at = new AtTerminal(open());
    await at.command('ATE0');
    at.clear();
    at.write('AT+CGMR\rAT\r');
    const logged = async (): Promise<number> => (await readCommandLog(sim.stateDir, 'LSIM0001')).filter((entry) => entry.channel === 'at').length;
    for (let tries = 0; (await logged()) < 3 && tries < 100; tries++) await sleep(20);
    expect(await logged()).toBe(3);
    expect(at.text()).toBe('');
    handset.plugIn();
    await bootIntoSystem(handset);
    const again = new AtTerminal(sim.fleet.serial.open(sim.fleet.serial.list()[0]?.path ?? ''));
    expect(await again.command('AT+CGMR')).toBe(`AT+CGMR\r${framed('unknown', 'OK')}`);
  });
});
