import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SerialPort } from 'serialport';
import { SerialBackend } from '../../../src/main/discovery/serial-backend.ts';

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
