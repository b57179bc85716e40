import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SerialPort } from 'serialport';
import type { AtPresence } from '../../../src/main/discovery/presence.ts';
import { SerialBackend, usbPortOf } from '../../../src/main/discovery/serial-backend.ts';

const folders: string[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe('serial backend, configured folders', () => {
  it('meets a port appearing in (and leaving) a watched folder without waiting for the poll, and stops at once', async () => {
    // With the poll's timer never firing, only the folder watch can report the port.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const folder = mkdtempSync(join(tmpdir(), 'lockstep-ports-'));
    folders.push(folder);
    const attached: string[] = [];
    const detached: string[] = [];
    const backend = new SerialBackend({ paths: [folder], listSystemPorts: false });
    await backend.start({ attach: (presence) => attached.push(presence.id), detach: (id) => detached.push(id) });
    expect(attached).toEqual([]);
    const port = join(folder, 'LSIM0001');
    writeFileSync(port, '');
    await vi.waitFor(() => expect(attached).toEqual([`at:${port}`]));
    rmSync(port);
    await vi.waitFor(() => expect(detached).toEqual([`at:${port}`]));
    expect(backend.status().detail).toBe('Serial: 0 AT port(s)');
    await backend.stop();
  });

  it('lists the system ports again when the device folder changes, not on every poll', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const devices = mkdtempSync(join(tmpdir(), 'lockstep-dev-'));
    folders.push(devices);
    const listing = vi.spyOn(SerialPort, 'list');
    try {
      const backend = new SerialBackend({ paths: [], listSystemPorts: true, deviceFolder: devices });
      await backend.start({ attach: () => undefined, detach: () => undefined });
      expect(listing).toHaveBeenCalledTimes(1);
      // Polls of the configured paths alone do not list.
      await vi.advanceTimersByTimeAsync(2000);
      expect(listing).toHaveBeenCalledTimes(1);
      writeFileSync(join(devices, 'ttyACM0'), '');
      await vi.waitFor(() => expect(listing).toHaveBeenCalledTimes(2));
      await backend.stop();
    } finally {
      listing.mockRestore();
    }
  });
});

describe('serial backend, USB port paths from sysfs', () => {
  /** A /dev and a /sys as Linux lays them out for a CDC-ACM modem on 1-3.2 and a USB serial converter on 2-1.4.1. */
  function fakeHost(): { dev: string; sys: string } {
    const root = mkdtempSync(join(tmpdir(), 'lockstep-sysfs-'));
    folders.push(root);
    const dev = join(root, 'dev');
    const sys = join(root, 'sys');
    const usb = join(sys, 'devices', 'pci0000:00', '0000:00:14.0');
    const acm = join(usb, 'usb1', '1-3', '1-3.2', '1-3.2:1.0');
    const converter = join(usb, 'usb2', '2-1', '2-1.4', '2-1.4.1', '2-1.4.1:1.0', 'ttyUSB0');
    for (const folder of [dev, acm, converter, join(sys, 'devices', 'platform', 'serial8250', 'tty', 'ttyS0'), join(sys, 'class', 'tty')]) mkdirSync(folder, { recursive: true });
    for (const name of ['ttyACM0', 'ttyUSB0', 'ttyS0']) mkdirSync(join(sys, 'class', 'tty', name));
    symlinkSync(acm, join(sys, 'class', 'tty', 'ttyACM0', 'device'));
    symlinkSync(converter, join(sys, 'class', 'tty', 'ttyUSB0', 'device'));
    symlinkSync(join(sys, 'devices', 'platform', 'serial8250'), join(sys, 'class', 'tty', 'ttyS0', 'device'));
    for (const name of ['ttyACM0', 'ttyUSB0', 'ttyS0']) writeFileSync(join(dev, name), '');
    mkdirSync(join(dev, 'serial'));
    symlinkSync(join(dev, 'ttyACM0'), join(dev, 'serial', 'usb-Lockstep_LSIM0001-if00'));
    return { dev, sys };
  }

  it('reads the port path a tty’s device is plugged into, through links, and none for a UART or a path outside the device folder', async () => {
    const { dev, sys } = fakeHost();
    expect(await usbPortOf(join(dev, 'ttyACM0'), dev, sys)).toBe('1-3.2');
    expect(await usbPortOf(join(dev, 'serial', 'usb-Lockstep_LSIM0001-if00'), dev, sys)).toBe('1-3.2');
    expect(await usbPortOf(join(dev, 'ttyUSB0'), dev, sys)).toBe('2-1.4.1');
    expect(await usbPortOf(join(dev, 'ttyS0'), dev, sys)).toBeNull();
    expect(await usbPortOf(join(dev, 'missing'), dev, sys)).toBeNull();
    // A tty outside the device folder (as a PTY's slave lives in /dev/pts) is not looked up in sysfs.
    expect(await usbPortOf(join(dev, 'ttyACM0'), join(dev, 'serial'), sys)).toBeNull();
  });

  it('gives each configured port its USB port path when sysfs knows it', async () => {
    const { dev, sys } = fakeHost();
    const attached: AtPresence[] = [];
    const backend = new SerialBackend({ paths: [join(dev, 'ttyACM0'), join(dev, 'ttyS0')], listSystemPorts: false, deviceFolder: dev, sysfs: sys });
    await backend.start({ attach: (presence) => void (presence.kind === 'at' && attached.push(presence)), detach: () => undefined });
    await backend.stop();
    expect(attached.map((presence) => [presence.path, presence.usbPort])).toEqual([
      [join(dev, 'ttyACM0'), '1-3.2'],
      [join(dev, 'ttyS0'), null],
    ]);
  });
});
