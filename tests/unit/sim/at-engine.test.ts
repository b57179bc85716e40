import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isValidImei } from '../../../src/shared/imei.ts';
import { defaultImei, type SimHandset } from '../../../src/sim/index.ts';
import { AtTerminal, bootIntoSystem, framed } from './at-host.ts';
import { fleetPerTest, type UsbHost } from './usb-host.ts';

const fleetOf = fleetPerTest();

/** One handset of the scenario, booted into its OS after `prepare` ran over fastboot, and a terminal on its AT port. */
async function bootedHandset(device: Record<string, unknown>, prepare?: (host: UsbHost) => Promise<void>): Promise<{ handset: SimHandset; at: AtTerminal }> {
  const sim = await fleetOf([{ serial: 'LSIM0001', ...device }]);
  const handset = sim.fleet.handsets[0] as SimHandset;
  await bootIntoSystem(handset, prepare);
  const [port] = sim.fleet.serial.list();
  return { handset, at: new AtTerminal(sim.fleet.serial.open(port?.path ?? '')) };
}

/** A system image whose build.prop header names `version`, followed by data. */
function systemImage(version: string): Buffer {
  return Buffer.concat([Buffer.from(`ro.build.display.id=${version}\n`), randomBytes(8192)]);
}

async function flash(host: UsbHost, partition: string, data: Uint8Array): Promise<void> {
  expect(await host.flash(partition, data)).toMatchObject({ code: 'OKAY' });
}

async function okay(host: UsbHost, command: string): Promise<void> {
  expect(await host.command(command), command).toMatchObject({ code: 'OKAY' });
}

describe('AT engine framing', () => {
  it('echoes by default, frames answers with CR LF, and stops echoing after ATE0 until ATE1', async () => {
    const { at } = await bootedHandset({});
    expect(await at.command('AT')).toBe(`AT\r${framed('OK')}`);
    expect(await at.command('ATE0')).toBe(`ATE0\r${framed('OK')}`);
    expect(await at.command('AT+XSERIAL?')).toBe(framed('+XSERIAL: LSIM0001', 'OK'));
    expect(await at.command('ATE1')).toBe(framed('OK'));
    expect(await at.command('at+xserial?')).toBe(`at+xserial?\r${framed('+XSERIAL: LSIM0001', 'OK')}`);
  });

  it('answers ERROR to unknown commands and to lines that are not AT commands, and ignores empty lines and the LF of CR LF', async () => {
    const { at } = await bootedHandset({});
    await at.command('ATE0');
    for (const bad of ['AT+NOPE', 'hello', 'AT+CGSN=1', 'AT$SN?', 'AT__proto__', 'ATtoString']) expect(await at.command(bad), bad).toBe(framed('ERROR'));
    at.clear();
    at.write('\r\r\nAT\r\nAT+XBLSTATE?\r\n');
    await at.until(() => at.text().includes('XBLSTATE'), 5000, 'two answers');
    await at.until(() => at.text().endsWith(framed('+XBLSTATE: UNLOCKED', 'OK')), 5000, 'the second answer');
    expect(at.text()).toBe(`${framed('OK')}${framed('+XBLSTATE: UNLOCKED', 'OK')}`);
  });

  it('discards a line longer than 64 KiB with ERROR and keeps answering', async () => {
    const { at } = await bootedHandset({});
    await at.command('ATE0');
    at.clear();
    for (let sent = 0; sent < 70_000; sent += 10_000) at.write('A'.repeat(10_000));
    expect(await at.command('')).toBe(framed('ERROR'));
    expect(await at.command('AT')).toBe(framed('OK'));
  });
});

describe('reference handset OS (lockstep-ref)', () => {
  it('reports IMEI, serial, lock state, and capabilities from the factory state', async () => {
    const { at } = await bootedHandset({});
    await at.command('ATE0');
    const imei = defaultImei('LSIM0001');
    expect(isValidImei(imei)).toBe(true);
    expect(await at.command('AT+CGSN')).toBe(framed(imei, 'OK'));
    expect(await at.command('AT+XCAPS?')).toBe(framed('+XCAPS: CAMERA=PRESENT,GPS=PRESENT', 'OK'));
    expect(await at.command('AT+CGPS=1')).toBe(framed('OK'));
    expect(await at.command('AT+XBLSTATE?')).toBe(framed('+XBLSTATE: UNLOCKED', 'OK'));
    expect(await at.command('AT+CGMR')).toBe(framed('unknown', 'OK'));
  });

  it('reports what provisioning did: burned fuses, the lock, and the version flashed on the active slot', async () => {
    const { at } = await bootedHandset({}, async (host) => {
      await flash(host, 'system_a', systemImage('2.4.1-ref'));
      await okay(host, 'oem fuse prog 3 0 0x30');
      await okay(host, 'flashing lock');
    });
    await at.command('ATE0');
    expect(await at.command('AT+CGMR')).toBe(framed('2.4.1-ref', 'OK'));
    expect(await at.command('AT+XCAPS?')).toBe(framed('+XCAPS: CAMERA=ABSENT,GPS=ABSENT', 'OK'));
    expect(await at.command('AT+CGPS=1')).toBe(framed('+CME ERROR: 4'));
    expect(await at.command('AT+XBLSTATE?')).toBe(framed('+XBLSTATE: LOCKED', 'OK'));
  });

  it('reads the version from slot b when it is active, and only a property line within the first 4096 bytes', async () => {
    const late = Buffer.concat([Buffer.alloc(4090, 0x41), Buffer.from('\nro.build.display.id=too-late\n')]);
    const { at } = await bootedHandset({}, async (host) => {
      await flash(host, 'system_a', systemImage('slot-a'));
      await flash(host, 'system_b', late);
      await okay(host, 'set_active:b');
    });
    await at.command('ATE0');
    expect(await at.command('AT+CGMR')).toBe(framed('unknown', 'OK'));
  });

  it('sends a hostile IMEI exactly as configured', async () => {
    const imei = '35\r\nOK\r\n\x1b[2J';
    const { at } = await bootedHandset({ imei });
    await at.command('ATE0');
    at.clear();
    at.write('AT+CGSN\r');
    await at.until(() => at.text().endsWith(framed('OK')) && at.text().includes('\x1b[2J'), 5000, 'the answer');
    expect(at.text()).toBe(framed(imei, 'OK'));
  });
});

describe('Kestrel K2 OS (kestrel-k2)', () => {
  it('speaks its own dialect and refuses the reference commands', async () => {
    const { at } = await bootedHandset({ model: 'kestrel-k2' }, (host) => flash(host, 'system_a', systemImage('K2-7.0')));
    await at.command('ATE0');
    expect(await at.command('AT+GSN')).toBe(framed(defaultImei('LSIM0001'), 'OK'));
    expect(await at.command('AT+GMR')).toBe(framed('+GMR: K2-7.0', 'OK'));
    expect(await at.command('AT$CAPS?')).toBe(framed('$CAPS: CAM:ON GNSS:ON', 'OK'));
    expect(await at.command('AT$GNSS=ON')).toBe(framed('OK'));
    expect(await at.command('AT$BOOTSTATE?')).toBe(framed('$BOOTSTATE: UNLOCKED', 'OK'));
    expect(await at.command('AT$SN?')).toBe(framed('$SN: LSIM0001', 'OK'));
    for (const reference of ['AT+CGSN', 'AT+CGMR', 'AT+XCAPS?', 'AT+CGPS=1', 'AT+XBLSTATE?', 'AT+XSERIAL?']) expect(await at.command(reference), reference).toBe(framed('ERROR'));
  });

  it('follows its own fuse map and lock', async () => {
    const { at } = await bootedHandset({ model: 'kestrel-k2' }, async (host) => {
      // The reference fuse word means nothing to a Kestrel.
      await okay(host, 'oem efuse blow b3w0 0x00000030');
      await okay(host, 'oem efuse blow b1w2 0x00000200');
      await okay(host, 'oem lock');
    });
    await at.command('ATE0');
    expect(await at.command('AT$CAPS?')).toBe(framed('$CAPS: CAM:OFF GNSS:ON', 'OK'));
    expect(await at.command('AT$GNSS=ON')).toBe(framed('OK'));
    expect(await at.command('AT$BOOTSTATE?')).toBe(framed('$BOOTSTATE: LOCKED', 'OK'));
  });

  it('refuses to power on a fused-off GNSS with a bare ERROR', async () => {
    const { at } = await bootedHandset({ model: 'kestrel-k2' }, (host) => okay(host, 'oem efuse blow b1w2 0x00001200'));
    await at.command('ATE0');
    expect(await at.command('AT$CAPS?')).toBe(framed('$CAPS: CAM:OFF GNSS:OFF', 'OK'));
    expect(await at.command('AT$GNSS=ON')).toBe(framed('ERROR'));
  });
});
