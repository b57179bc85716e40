// Issue 22 (6): a long command's deadline reaches the handset's snapshot as data (what it waits on and
// when the station gives up), set as the command's clock starts and cleared once it ends, however it ends.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FastbootTimeoutError } from '../../../src/main/fastboot/errors.ts';
import { ProfiledFastboot } from '../../../src/main/handset/fastboot-ops.ts';
import { RunState } from '../../../src/main/pipeline/run-state.ts';
import type { HandsetWait } from '../../../src/shared/pipeline.ts';
import { profileSchema, type DeviceProfile } from '../../../src/shared/profile.ts';
import { scriptedConnections } from '../fastboot/scripted-peer.ts';

const connections = scriptedConnections();
afterEach(() => connections.release());

const PROFILE_FILE = join(import.meta.dirname, '../../../resources/profiles/lockstep-ref.json');

/** The reference profile with 300 ms allowances and 1 MB/s for flashing and hashing, so deadlines are easy to read. */
function profile(): DeviceProfile {
  const json = JSON.parse(readFileSync(PROFILE_FILE, 'utf8')) as Record<string, unknown>;
  return profileSchema.parse({
    ...json,
    timeouts: { ...(json.timeouts as object), commandMs: 300, hashMs: 300 },
    minimumRates: { flashBytesPerSecond: 1_000_000, hashBytesPerSecond: 1_000_000 },
  });
}

/** The waits a listener saw, each with the clock around the call that set it. */
function recorder(): { seen: (HandsetWait | null)[]; listener: (wait: HandsetWait | null) => void } {
  const seen: (HandsetWait | null)[] = [];
  return { seen, listener: (wait) => seen.push(wait) };
}

/** `until` as milliseconds after `from`. */
const after = (wait: HandsetWait | null | undefined, from: number): number => Date.parse(wait?.until ?? '') - from;

describe("a long command's wait", () => {
  it('tells a partition hash, due at its bytes at the minimum hash rate plus the allowance, then clears it', async () => {
    const { client } = await connections.connect(async (device) => {
      expect((await device.readFrame())?.toString('latin1')).toBe('oem sha256 system_a 0x30d40');
      device.reply(`INFO${'ab'.repeat(16)}`);
      device.reply(`INFO${'ab'.repeat(16)}`);
      device.reply('OKAY');
    });
    const { seen, listener } = recorder();
    const before = Date.now();
    await new ProfiledFastboot(client, profile(), listener).partitionHash('system_a', 200_000);
    const end = Date.now();
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({ kind: 'hash', partition: 'system_a' });
    // 200 kB at 1 MB/s plus 300 ms: 500 ms after the command's clock started, somewhere in the call.
    expect(after(seen[0], before)).toBeGreaterThanOrEqual(500);
    expect(after(seen[0], end)).toBeLessThanOrEqual(500);
    expect(seen[1]).toBeNull();
  });

  it('clears the wait of a hash that times out', async () => {
    const { client } = await connections.connect(async (device) => {
      await device.readFrame();
      expect(await device.readFrame()).toBeNull();
    });
    const { seen, listener } = recorder();
    await expect(new ProfiledFastboot(client, profile(), listener).partitionHash('system_a', 4096)).rejects.toThrow(FastbootTimeoutError);
    expect(seen.map((wait) => wait?.kind ?? null)).toEqual(['hash', null]);
  });

  it('tells an erase and each flash write, never a download (its progress shows)', async () => {
    const image = new Uint8Array(4096).fill(7);
    const { client } = await connections.connect(async (device) => {
      expect((await device.readFrame())?.toString('latin1')).toBe('erase:boot_a');
      device.reply('OKAY');
      expect((await device.readFrame())?.toString('latin1')).toBe('download:00001000');
      device.reply('DATA00001000');
      expect((await device.readFrame())?.length).toBe(4096);
      device.reply('OKAY');
      expect((await device.readFrame())?.toString('latin1')).toBe('flash:boot_a');
      device.reply('OKAY');
    });
    const { seen, listener } = recorder();
    const fastboot = new ProfiledFastboot(client, profile(), listener);
    await fastboot.erase('boot_a', 4096);
    await fastboot.flashImage('boot_a', { size: image.length, open: async function* () { yield image; } }, { maxDownloadSize: 1024 * 1024 });
    expect(seen.map((wait) => wait && `${wait.kind} ${wait.partition}`)).toEqual(['erase boot_a', null, 'flash boot_a', null]);
  });
});

describe("the handset's snapshot", () => {
  it('carries the wait as data until it is cleared', () => {
    let changes = 0;
    const state = new RunState('1-1.1', () => changes++);
    expect(state.snapshot(null).wait).toBeNull();
    const wait: HandsetWait = { kind: 'reboot', partition: null, until: '2026-12-05T09:00:00.000Z' };
    state.set({ wait });
    expect(state.snapshot(null).wait).toEqual(wait);
    state.set({ phase: 'running' });
    expect(state.snapshot(null).wait).toEqual(wait);
    state.set({ wait: null });
    expect(state.snapshot(null).wait).toBeNull();
    expect(changes).toBe(3);
  });
});
