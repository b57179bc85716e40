// Issue 17 (5) and issue 22: every command has an overall deadline that INFO lines do not extend, and
// flashing and hashing get theirs from their bytes at the profile's minimum rates. The deadlines here
// are a few hundred milliseconds so the tests are quick; they assert what failed and why, not speed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_DEADLINE_MS, workDeadline } from '../../../src/main/fastboot/deadline.ts';
import { DeviceDisconnectedError, FastbootTimeoutError } from '../../../src/main/fastboot/errors.ts';
import { flashImage } from '../../../src/main/fastboot/flash-image.ts';
import { HandsetError } from '../../../src/main/handset/errors.ts';
import { ProfiledFastboot } from '../../../src/main/handset/fastboot-ops.ts';
import { DEFAULT_MINIMUM_RATES, profileSchema, type DeviceProfile } from '../../../src/shared/profile.ts';
import { scriptedConnections, type Peer } from './scripted-peer.ts';

const connections = scriptedConnections();
afterEach(() => connections.release());

const PROFILE_FILE = join(import.meta.dirname, '../../../resources/profiles/lockstep-ref.json');
const profileJson = (): Record<string, unknown> => JSON.parse(readFileSync(PROFILE_FILE, 'utf8')) as Record<string, unknown>;

/** The reference profile with a 200 ms allowance for quick commands and hashes. */
function quickProfile(): DeviceProfile {
  const json = profileJson();
  return profileSchema.parse({ ...json, timeouts: { ...(json.timeouts as object), commandMs: 200, hashMs: 200 } });
}

/** After `command` arrives, sends an INFO line every 20 ms until the client hangs up; resolves with how many were sent. */
async function dripInfo(device: Peer, command: string): Promise<number> {
  expect((await device.readFrame())?.toString('latin1')).toBe(command);
  let sent = 0;
  const timer = setInterval(() => {
    device.reply(`INFOstill working ${++sent}`);
  }, 20);
  try {
    expect(await device.readFrame()).toBeNull();
  } finally {
    clearInterval(timer);
  }
  return sent;
}

async function failureOf(promise: Promise<unknown>): Promise<FastbootTimeoutError> {
  const failure = await promise.then(
    () => null,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(FastbootTimeoutError);
  return failure as FastbootTimeoutError;
}

describe('the overall deadline of a command', () => {
  it('cuts off a handset that sends INFO lines forever, however short its silences, and closes the connection', async () => {
    let dripped = 0;
    const { client, peer } = await connections.connect(async (device) => void (dripped = await dripInfo(device, 'flash:boot_a')));
    const seen: string[] = [];
    const failure = await failureOf(client.flash('boot_a', { timeoutMs: 200, deadlineMs: 400, deadlineBasis: 'as the test says', onInfo: (line) => seen.push(line) }));
    expect(failure.limit).toBe('deadline');
    expect(failure.message).toContain("'flash:boot_a': did not finish within 0.4 s (as the test says); the connection was closed");
    await peer.done;
    // INFO lines kept coming, each resetting the silence timeout, and still the deadline held.
    expect(seen.length).toBeGreaterThan(1);
    expect(dripped).toBeGreaterThanOrEqual(seen.length);
    await expect(client.getvar('product')).rejects.toThrow(DeviceDisconnectedError);
  });

  it('cuts off a silent handset at the deadline when that comes before its silence timeout', async () => {
    const { client, peer } = await connections.connect(async (device) => {
      await device.readFrame();
      expect(await device.readFrame()).toBeNull();
    });
    const failure = await failureOf(client.oem('sha256 system_a 0x1000', { deadlineMs: 300 }));
    expect(failure.limit).toBe('deadline');
    expect(failure.message).toContain("'oem sha256 system_a 0x1000': did not finish within 0.3 s (the caller's limit)");
    await peer.done;
  });

  it('still reports a silence that ends first as a silence', async () => {
    const { client } = await connections.connect(async (device) => {
      await device.readFrame();
      await device.readFrame();
    });
    const failure = await failureOf(client.getvar('product', { timeoutMs: 200, deadlineMs: 60_000 }));
    expect(failure.limit).toBe('silence');
    expect(failure.message).toContain("'getvar:product': no answer within 0.2 s");
  });

  it('applies the client-wide default for a quick command to one that states no deadline', async () => {
    const { client } = await connections.connect(async (device) => void (await dripInfo(device, 'getvar:all')), { client: { commandTimeoutMs: 200, commandDeadlineMs: 300 } });
    const failure = await failureOf(client.getvarAll());
    expect(failure.message).toContain("'getvar:all': did not finish within 0.3 s (the limit of 0.3 s for a quick command)");
  });

  it('gives a download its size at the minimum link rate on top of the quick-command deadline, data and final answer included', async () => {
    const size = 100_000;
    const { client } = await connections.connect(
      async (device) => {
        expect((await device.readFrame())?.toString('latin1')).toBe('download:000186a0');
        device.reply('DATA000186a0');
        let received = 0;
        while (received < size) received += (await device.readFrame())?.length ?? Number.NaN;
        // The data is in; the device never says OKAY but keeps talking.
        const timer = setInterval(() => device.reply('INFOverifying'), 20);
        await device.readFrame();
        clearInterval(timer);
      },
      { client: { commandTimeoutMs: 200, commandDeadlineMs: 200, minTransferBytesPerSecond: 1_000_000 } },
    );
    const failure = await failureOf(client.download(new Uint8Array(size), size));
    expect(failure.limit).toBe('deadline');
    expect(failure.message).toContain("'download:000186a0': did not finish within 0.3 s (97.7 KiB at the link's minimum 1 MB/s, plus 0.2 s)");
  });
});

describe('deadlines derived from the work', () => {
  it('says how a deadline follows from bytes, rate and allowance', () => {
    expect(workDeadline(16 * 1024 * 1024, { bytesPerSecond: 1_000_000, allowanceMs: 20_000, source: "the profile's" })).toEqual({
      ms: 36_778,
      basis: "16 MiB at the profile's minimum 1 MB/s, plus 20 s",
    });
    expect(workDeadline(2 ** 40, { bytesPerSecond: 10_000, allowanceMs: 1000, source: 'a slow' }).ms).toBe(MAX_DEADLINE_MS);
  });

  it('bounds each flash: of flashImage by the piece it commits', async () => {
    const image = new Uint8Array(4096).fill(7);
    const { client, peer } = await connections.connect(async (device) => {
      expect((await device.readFrame())?.toString('latin1')).toBe('download:00001000');
      device.reply('DATA00001000');
      expect((await device.readFrame())?.length).toBe(4096);
      device.reply('OKAY');
      await dripInfo(device, 'flash:boot_a');
    });
    const failure = await failureOf(
      flashImage(client, 'boot_a', { size: image.length, open: async function* () { yield image; } }, {
        maxDownloadSize: 1024 * 1024,
        flashRate: { bytesPerSecond: 1_000_000, allowanceMs: 300, source: "the test's" },
      }),
    );
    expect(failure.message).toContain("'flash:boot_a': did not finish within 0.3 s (4 KiB at the test's minimum 1 MB/s, plus 0.3 s)");
    await peer.done;
  });

  it("bounds a partition hash by its bytes at the profile's minimum hash rate plus timeouts.hashMs", async () => {
    const { client } = await connections.connect(async (device) => void (await dripInfo(device, 'oem sha256 system_a 0xf4240')));
    const failure = await failureOf(new ProfiledFastboot(client, quickProfile()).partitionHash('system_a', 1_000_000));
    expect(failure.message).toContain("did not finish within 0.3 s (976.6 KiB at the profile's minimum 10 MB/s, plus 0.2 s)");
  });

  it("bounds an erase by the partition's bytes at the profile's minimum flash rate plus timeouts.commandMs", async () => {
    const { client } = await connections.connect(async (device) => void (await dripInfo(device, 'erase:misc')));
    const failure = await failureOf(new ProfiledFastboot(client, quickProfile()).erase('misc', 100_000));
    expect(failure.message).toContain("'erase:misc': did not finish within 0.3 s (97.7 KiB at the profile's minimum 1 MB/s, plus 0.2 s)");
  });

  it("bounds the profile's quick commands by timeouts.commandMs, INFO lines or not", async () => {
    const { client } = await connections.connect(async (device) => void (await dripInfo(device, 'oem fuse prog 3 0 0x30')));
    const failure = await failureOf(new ProfiledFastboot(client, quickProfile()).programFuse(3, 0, 0x30));
    expect(failure.message).toContain("did not finish within 0.2 s (the profile's limit of 0.2 s for a quick command)");
  });
});

describe('partition hashes', () => {
  const digest = 'AB'.repeat(32);

  async function hashAnswer(...lines: string[]): Promise<string> {
    const { client } = await connections.connect(async (device) => {
      await device.readFrame();
      for (const line of lines) device.reply(`INFO${line}`);
      device.reply('OKAY');
    });
    return new ProfiledFastboot(client, quickProfile()).partitionHash('system_a', 4096);
  }

  it('accepts the digest in upper-case hex and returns it lower-case', async () => {
    expect(await hashAnswer(digest.slice(0, 32), digest.slice(32))).toBe(digest.toLowerCase());
  });

  it('refuses anything but 64 hex digits, whatever the pattern lets through', async () => {
    await expect(hashAnswer(digest.slice(0, 32), digest.slice(34))).rejects.toThrow(HandsetError);
    const json = profileJson();
    const loose = profileSchema.parse({ ...json, fastboot: { ...(json.fastboot as object), partitionHash: { command: 'oem sha256 {partition} {bytes:hex}', answer: { from: 'info', pattern: '^(.+)$' } } } });
    const { client } = await connections.connect(async (device) => {
      await device.readFrame();
      device.reply(`INFO${'g'.repeat(32)}`);
      device.reply(`INFO${'g'.repeat(32)}`);
      device.reply('OKAY');
    });
    await expect(new ProfiledFastboot(client, loose).partitionHash('system_a', 4096)).rejects.toThrow(/a SHA-256 must read as 64 hex digits, not 'g{64}'/);
  });
});

describe('profiles', () => {
  it('take the default minimum rates when they state none', () => {
    const json = profileJson();
    delete json.minimumRates;
    expect(profileSchema.parse(json).minimumRates).toEqual(DEFAULT_MINIMUM_RATES);
    expect(profileSchema.parse({ ...json, minimumRates: { hashBytesPerSecond: 50_000_000 } }).minimumRates).toEqual({ ...DEFAULT_MINIMUM_RATES, hashBytesPerSecond: 50_000_000 });
    expect(profileSchema.safeParse({ ...json, minimumRates: { flashBytesPerSecond: 10 } }).success).toBe(false);
  });
});
