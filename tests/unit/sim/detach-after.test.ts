// The detach-after fault: a command runs to the end on the handset (a fuse is burned, the bootloader
// locked), then the handset drops off the bus before any of its answer reaches the host. The host
// sees a dead link; the handset's state and its command log say the command took effect.
import { describe, expect, it } from 'vitest';
import { readCommandLog, type SimHandset } from '../../../src/sim/index.ts';
import { modeReached } from './at-host.ts';
import { fleetPerTest, UsbHost } from './usb-host.ts';

const fleetOf = fleetPerTest();

async function fastbootLog(stateDir: string, serial: string): Promise<string[]> {
  return (await readCommandLog(stateDir, serial)).filter((entry) => entry.channel === 'fastboot').map((entry) => entry.command);
}

describe('detach-after', () => {
  it('burns the fuse, then leaves the bus before the OKAY; plugged in again, the readback shows the bits', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001', faults: [{ kind: 'detach-after', command: 'oem fuse prog', reattachAfterMs: null }] }]);
    const handset = sim.fleet.handsets[0] as SimHandset;
    const host = await UsbHost.connect(handset.usbDevice);
    const unplugged = modeReached(handset, 'unplugged');
    await expect(host.command('oem fuse prog 3 0 0x30')).rejects.toMatchObject({ name: 'NetworkError' });
    await unplugged;
    expect(handset.fuseWord(3, 0) & 0x30).toBe(0x30);
    expect(await sim.fleet.usb.getDevices()).toEqual([]);

    handset.plugIn();
    const again = await UsbHost.connect(handset.usbDevice);
    expect(await again.command('oem fuse read 3 0')).toMatchObject({ code: 'OKAY', info: ['0x00000031'] });
    // One time only: the next matching command answers normally.
    expect(await again.command('oem fuse prog 3 0 0x100')).toMatchObject({ code: 'OKAY' });
    expect(await fastbootLog(sim.stateDir, 'LSIM0001')).toEqual(['oem fuse prog 3 0 0x30', 'oem fuse read 3 0', 'oem fuse prog 3 0 0x100']);
  });

  it('locks the bootloader, loses the answer, and comes back by itself after reattachAfterMs', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001', faults: [{ kind: 'detach-after', command: 'flashing lock', reattachAfterMs: 50 }] }]);
    const handset = sim.fleet.handsets[0] as SimHandset;
    const host = await UsbHost.connect(handset.usbDevice);
    const unplugged = modeReached(handset, 'unplugged');
    await expect(host.command('flashing lock')).rejects.toMatchObject({ name: 'NetworkError' });
    await unplugged;
    expect(handset.unlocked).toBe(false);
    await modeReached(handset, 'fastboot');
    const again = await UsbHost.connect(handset.usbDevice);
    expect(await again.command('getvar:unlocked')).toMatchObject({ code: 'OKAY', text: 'no' });
  });

  it('sends no INFO of the lost answer either, and also strikes a command the handset refuses', async () => {
    const sim = await fleetOf([
      { serial: 'KES0001', model: 'kestrel-k2', faults: [{ kind: 'detach-after', command: 'oem efuse read', reattachAfterMs: null, times: 2 }] },
    ]);
    const handset = sim.fleet.handsets[0] as SimHandset;
    const host = await UsbHost.connect(handset.usbDevice);
    await expect(host.command('oem efuse read b1w2')).rejects.toMatchObject({ name: 'NetworkError' });
    handset.plugIn();
    const again = await UsbHost.connect(handset.usbDevice);
    await expect(again.command('oem efuse read nonsense')).rejects.toMatchObject({ name: 'NetworkError' });
    expect(handset.mode).toBe('unplugged');
    expect(await fastbootLog(sim.stateDir, 'KES0001')).toEqual(['oem efuse read b1w2', 'oem efuse read nonsense']);
  });

  it('is refused in a scenario without a command', async () => {
    await expect(fleetOf([{ serial: 'LSIM0001', faults: [{ kind: 'detach-after' }] }])).rejects.toThrow(/faults.*command/s);
  });
});
