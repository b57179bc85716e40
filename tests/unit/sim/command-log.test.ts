import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { handsetDirectoryName } from '../../../src/sim/handset-state.ts';
import { readCommandLog, type SimHandset } from '../../../src/sim/index.ts';
import { AtTerminal, bootIntoSystem } from './at-host.ts';
import { fleetPerTest, transferIn, UsbHost } from './usb-host.ts';

const fleetOf = fleetPerTest();

async function commands(stateDir: string, serial = 'LSIM0001'): Promise<string[]> {
  return (await readCommandLog(stateDir, serial)).map((entry) => `${entry.channel} ${entry.command}`);
}

describe('command log', () => {
  it('records every fastboot and AT command in order, with its time, and never download data', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001' }]);
    const handset = sim.fleet.handsets[0] as SimHandset;
    const before = Date.now();
    const image = Buffer.concat([Buffer.from('SECRET-PAYLOAD'), randomBytes(4096)]);
    await bootIntoSystem(handset, async (host) => {
      await host.command('getvar:product');
      expect(await host.flash('boot_a', image)).toMatchObject({ code: 'OKAY' });
      await host.command('oem fuse prog 3 0 0x30');
    });
    const at = new AtTerminal(sim.fleet.serial.open(sim.fleet.serial.list()[0]?.path ?? ''));
    await at.command('AT+CGSN');
    at.write('\r\nATE0\r');
    await at.until(() => at.text().includes('ATE0'), 5000, 'the echo');
    await at.command('AT+XCAPS?');

    expect(await commands(sim.stateDir)).toEqual([
      'fastboot getvar:product',
      `fastboot download:${image.length.toString(16).padStart(8, '0')}`,
      'fastboot flash:boot_a',
      'fastboot oem fuse prog 3 0 0x30',
      'fastboot reboot',
      'at AT+CGSN',
      'at ATE0',
      'at AT+XCAPS?',
    ]);
    const log = await readCommandLog(sim.stateDir, 'LSIM0001');
    for (const entry of log) expect(Date.parse(entry.time)).toBeGreaterThanOrEqual(before - 1000);
    expect(readFileSync(join(sim.stateDir, handsetDirectoryName('LSIM0001'), 'commands.log'), 'utf8')).not.toContain('SECRET');
  });

  it('escapes control bytes and caps over-long lines, so every command is one readable line', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001' }]);
    const handset = sim.fleet.handsets[0] as SimHandset;
    await bootIntoSystem(handset, async (host) => {
      await host.command(Buffer.from('getvar:\x1b[2J\n\x00\\x41\xff', 'latin1'));
    });
    const at = new AtTerminal(sim.fleet.serial.open(sim.fleet.serial.list()[0]?.path ?? ''));
    // ATE0's own answer first: arriving late, it would end the wait for the long line's answer below.
    await at.command('ATE0');
    at.write('B'.repeat(70_000));
    await at.command('');
    expect(await commands(sim.stateDir)).toEqual([
      'fastboot getvar:\\x1B[2J\\x0A\\x00\\\\x41ÿ',
      'fastboot reboot',
      'at ATE0',
      `at ${'B'.repeat(1024)}…[truncated ${70_000 - 1024} chars]`,
    ]);
  });

  it('has a command in the log before it runs: a command the handset never answers is there', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001', faults: [{ kind: 'stall', command: 'oem fuse prog', times: 1 }] }]);
    const handset = sim.fleet.handsets[0] as SimHandset;
    const host = await UsbHost.connect(handset.usbDevice);
    await host.send(Buffer.from('oem fuse prog 3 0 0x10'));
    await expect(transferIn(host.device, 64, 200)).rejects.toThrow(/timed out/);
    expect(handset.fuseWord(3, 0)).toBe(1);
    expect(await commands(sim.stateDir)).toEqual(['fastboot oem fuse prog 3 0 0x10']);
  });

  it('lets a test prove what never reached the device, e.g. no fuse burn after a failed verify', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001', faults: [{ kind: 'fail', command: 'oem sha256', message: 'hash engine fault' }] }]);
    const host = await UsbHost.connect(sim.fleet.handsets[0]?.usbDevice ?? null);
    expect(await host.flash('boot_a', randomBytes(4096))).toMatchObject({ code: 'OKAY' });
    const verify = await host.command('oem sha256 boot_a 4096');
    if (verify.code === 'OKAY') await host.command('oem fuse prog 3 0 0x30');
    const log = await readCommandLog(sim.stateDir, 'LSIM0001');
    const verified = log.findIndex((entry) => entry.command.startsWith('oem sha256'));
    expect(verified).toBeGreaterThan(0);
    expect(log.slice(verified).some((entry) => entry.command.startsWith('oem fuse prog'))).toBe(false);
  });

  it('is empty for a handset that was never talked to, and survives a restart', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001' }]);
    expect(await readCommandLog(sim.stateDir, 'LSIM0001')).toEqual([]);
    await (await UsbHost.connect(sim.fleet.handsets[0]?.usbDevice ?? null)).command('getvar:serialno');
    const reopened = await sim.reopen();
    await (await UsbHost.connect(reopened.handsets[0]?.usbDevice ?? null)).command('getvar:product');
    expect(await commands(sim.stateDir)).toEqual(['fastboot getvar:serialno', 'fastboot getvar:product']);
  });
});
