// The station's fastboot client against the real virtual handset (src/sim), over TCP and over the
// simulated WebUSB backend: the same client code, two transports, one device engine.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/main/cli/main.ts';
import { FastbootClient } from '../../../src/main/fastboot/client.ts';
import { connectDevice } from '../../../src/main/fastboot/connect.ts';
import { parseHandsetSelector } from '../../../src/shared/handset.ts';
import { DeviceDisconnectedError, FastbootFailError, FlashImageError } from '../../../src/main/fastboot/errors.ts';
import { flashImage } from '../../../src/main/fastboot/flash-image.ts';
import { connectTcp } from '../../../src/main/fastboot/tcp-transport.ts';
import { openUsb } from '../../../src/main/fastboot/usb-transport.ts';
import { createSimFleet, defaultScenario, type SimFleet } from '../../../src/sim/index.ts';
import { runCliAsync } from '../../lockstep-cli.ts';

const MiB = 1024 * 1024;
const run = promisify(execFile);

const work = mkdtempSync(join(tmpdir(), 'lockstep-fastboot-sim-'));
let fleet: SimFleet;
let ports: number[] = [];

// Two handsets per transport (a link is exclusive): a reference one, one that advertises a 1 MiB
// download buffer (the device forces the splits), and one that drops off the bus mid-download.
const roles = ['main', 'small', 'detach'] as const;
const transports = ['tcp', 'usb'] as const;
const serialOf = (transport: (typeof transports)[number], role: (typeof roles)[number]): string => `LSIM${String(transports.indexOf(transport) * roles.length + roles.indexOf(role) + 1).padStart(4, '0')}`;

const raw = randomBytes(12 * MiB);
const rawFile = join(work, 'raw.img');
const sparseSource = Buffer.concat([randomBytes(3 * MiB), Buffer.alloc(5 * MiB), Buffer.alloc(2 * MiB, 0x5a), randomBytes(4 * MiB)]);
const sparseFile = join(work, 'image.simg');

beforeAll(async () => {
  writeFileSync(rawFile, raw);
  writeFileSync(join(work, 'sparse-source.img'), sparseSource);
  await run('img2simg', [join(work, 'sparse-source.img'), sparseFile]);
  const scenario = defaultScenario(transports.length * roles.length);
  const devices = scenario.devices.map((device, index) => {
    const role = roles[index % roles.length];
    if (role === 'small') return { ...device, maxDownloadSize: MiB };
    if (role === 'detach') return { ...device, faults: [{ kind: 'detach' as const, afterDownloadBytes: 3 * MiB, reattachAfterMs: null, times: 1 as const }] };
    return device;
  });
  fleet = await createSimFleet({ scenario: { ...scenario, devices }, stateDir: join(work, 'state'), timing: { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 50 } });
  ports = await fleet.serveTcp(0);
});

afterAll(async () => {
  await fleet?.close();
  rmSync(work, { recursive: true, force: true });
});

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function connect(transport: (typeof transports)[number], role: (typeof roles)[number]): Promise<FastbootClient> {
  const serial = serialOf(transport, role);
  if (transport === 'tcp') return new FastbootClient(await connectTcp('127.0.0.1', ports[fleet.handsets.findIndex((handset) => handset.serial === serial)] as number));
  const device = (await fleet.usb.getDevices()).find((candidate) => candidate.serialNumber === serial);
  if (!device) throw new Error(`${serial} is not on the simulated bus`);
  return new FastbootClient(await openUsb(device));
}

/** Runs `use` with a client connected to the handset, and always releases the link afterwards. */
async function withClient<T>(transport: (typeof transports)[number], role: (typeof roles)[number], use: (client: FastbootClient) => Promise<T>): Promise<T> {
  const client = await connect(transport, role);
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

function handset(transport: (typeof transports)[number], role: (typeof roles)[number]) {
  const found = fleet.handsets.find((candidate) => candidate.serial === serialOf(transport, role));
  if (!found) throw new Error('no such handset');
  return found;
}

/** `oem sha256` answers in two INFO lines (a 64-digit hash does not fit one 64-byte packet). */
async function deviceSha256(client: FastbootClient, partition: string, bytes: number): Promise<string> {
  return (await client.oem(`sha256 ${partition} ${bytes}`)).info.join('');
}

describe.each(transports)('fastboot client against the virtual handset over %s', (transport) => {
  it('reads getvar product and getvar all', async () => {
    await withClient(transport, 'main', async (client) => {
      expect(await client.getvar('product')).toBe('lockstep-ref');
      const { variables } = await client.getvarAll();
      const all = new Map(variables.map((variable) => [variable.name, variable.value]));
      expect(all.get('serialno')).toBe(serialOf(transport, 'main'));
      expect(all.get('max-download-size')).toBe('0x10000000');
      expect(all.get('partition-size:boot_a')).toBe('0x4000000');
    });
  });

  it('erases, flashes a 12 MiB raw image, and the device hash equals the image hash', async () => {
    await withClient(transport, 'main', async (client) => {
      await client.erase('boot_a');
      expect(await deviceSha256(client, 'boot_a', raw.length)).toBe(sha256(Buffer.alloc(raw.length)));
      const result = await flashImage(client, 'boot_a', rawFile);
      expect(result.pieces).toBe(1);
      expect(await deviceSha256(client, 'boot_a', raw.length)).toBe(sha256(raw));
    });
  });

  it('flashes an img2simg sparse image as is, and split into pieces by the device\'s 1 MiB limit', async () => {
    for (const role of ['main', 'small'] as const) {
      await withClient(transport, role, async (client) => {
        await client.erase('vendor_a');
        const sizes: number[] = [];
        const result = await flashImage(client, 'vendor_a', sparseFile, { checkPiece: (piece) => void sizes.push(piece.size) });
        if (role === 'main') expect(result.pieces).toBe(1);
        else expect(result.pieces).toBeGreaterThan(1);
        for (const size of sizes) expect(size).toBeLessThanOrEqual(role === 'main' ? 256 * MiB : MiB);
        expect(await deviceSha256(client, 'vendor_a', sparseSource.length)).toBe(sha256(sparseSource));
      });
    }
  });

  it('splits a raw image to the device\'s 1 MiB limit', async () => {
    await withClient(transport, 'small', async (client) => {
      await client.erase('boot_b');
      const sizes: number[] = [];
      const result = await flashImage(client, 'boot_b', rawFile, { checkPiece: (piece) => void sizes.push(piece.size) });
      expect(result.pieces).toBe(13);
      for (const size of sizes) expect(size).toBeLessThanOrEqual(MiB);
      expect(await handset(transport, 'small').partitionSha256('boot_b', raw.length)).toBe(sha256(raw));
      expect(await deviceSha256(client, 'boot_b', raw.length)).toBe(sha256(raw));
    });
  });

  it('passes the device FAIL text to the caller', async () => {
    await withClient(transport, 'main', async (client) => {
      const failure = await client.erase('nosuch').catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(FastbootFailError);
      expect((failure as FastbootFailError).reason).toBe('partition nosuch does not exist');
      expect(await client.getvar('product')).toBe('lockstep-ref');
    });
  });

  it('burns fuse bits, reads them back, then locks the bootloader', async () => {
    await withClient(transport, 'main', async (client) => {
      await client.oem('fuse prog 3 0 0x30');
      expect((await client.oem('fuse read 3 0')).info).toEqual(['0x00000031']);
      expect(handset(transport, 'main').fuseWord(3, 0)).toBe(0x31);
      await client.flashingLock();
      expect(await client.getvar('unlocked')).toBe('no');
      expect(handset(transport, 'main').unlocked).toBe(false);
    });
  });

  it('reports a detach in the middle of a download, and the partition keeps its previous content', async () => {
    // 2 MiB: under the 3 MiB after which this handset drops off the bus.
    const before = randomBytes(2 * MiB);
    await withClient(transport, 'detach', async (client) => {
      await flashImage(client, 'boot_a', { size: before.length, open: async function* () { yield before; } });
    });
    const device = handset(transport, 'detach');
    const previous = await device.partitionSha256('boot_a', raw.length);
    expect(await device.partitionSha256('boot_a', before.length)).toBe(sha256(before));
    const again = await connect(transport, 'detach');
    const failure = await flashImage(again, 'boot_a', rawFile).catch((error: unknown) => error);
    await again.close();
    expect(failure).toBeInstanceOf(DeviceDisconnectedError);
    expect((failure as Error).message).toMatch(/'download:00c00000': the device disconnected/);
    expect(await device.partitionSha256('boot_a', raw.length)).toBe(previous);
  });
});

describe('choosing a handset on the simulated USB bus', () => {
  it('connects to a handset by serial number or by slot among several, named by its slot', async () => {
    const serial = serialOf('usb', 'small');
    const index = fleet.handsets.findIndex((candidate) => candidate.serial === serial);
    const slot = `1-1.${index + 1}`;
    for (const selector of [parseHandsetSelector(serial), parseHandsetSelector(slot), parseHandsetSelector(`usb:${slot}`)]) {
      if ('problem' in selector) throw new Error(selector.problem);
      const client = new FastbootClient(await connectDevice(selector, { usb: fleet.usb }));
      try {
        expect(await client.getvar('serialno')).toBe(serial);
        expect(client.device).toBe(`usb:${slot} ${serial}`);
      } finally {
        await client.close();
      }
    }
    await expect(connectDevice({ by: 'only-usb' }, { usb: fleet.usb })).rejects.toThrow(/\d+ handsets in fastboot mode match; name one by its slot or serial number/);
    await expect(connectDevice({ by: 'slot', slot: { kind: 'usb', bus: 9, ports: [9] } }, { usb: fleet.usb })).rejects.toThrow(/9-9: no handset in fastboot mode matches/);
  });
});

describe('lockstep fastboot (CLI) against the virtual handset over TCP', () => {
  const address = (): string => `tcp:127.0.0.1:${ports[fleet.handsets.findIndex((candidate) => candidate.serial === serialOf('tcp', 'small'))]}`;

  it('runs getvar, flash and oem sha256 and exits 0', async () => {
    const product = await runCliAsync(['fastboot', '-s', address(), 'getvar', 'product']);
    expect(product.status, product.stderr).toBe(0);
    expect(product.stdout).toBe('product: lockstep-ref\n');
    const flashed = await runCliAsync(['fastboot', '-s', address(), 'flash', 'system_b', rawFile]);
    expect(flashed.status, flashed.stderr).toBe(0);
    expect(flashed.stderr).toMatch(/Sending 'system_b' piece 13 \(\d+ KiB\)\nWriting 'system_b' piece 13\nFlashed .* 12582912 bytes in 13 piece\(s\)/);
    const hash = await runCliAsync(['fastboot', '-s', address(), 'oem', 'sha256', 'system_b', String(raw.length)]);
    expect(hash.status, hash.stderr).toBe(0);
    expect(hash.stdout.replace(/\(bootloader\) |\n/g, '')).toBe(sha256(raw));
  });

  it('draws a progress bar in place on a terminal', async () => {
    let stderr = '';
    const io = { out: () => undefined, err: (text: string) => void (stderr += text), isTty: true };
    expect(await main(['fastboot', '-s', address(), 'flash', 'system_b', rawFile], io)).toBe(0);
    const frames = stderr.split('\r').filter((frame) => frame.startsWith('system_b ['));
    expect(frames.length).toBeGreaterThan(1);
    expect(frames.at(-1)).toMatch(/^system_b \[#{30}\] 100% piece 13 writing [\d.]+ MB\/s/);
  });

  it('exits 1 with the device text when the device refuses', async () => {
    const failure = await runCliAsync(['fastboot', '-s', address(), 'erase', 'nosuch']);
    expect(failure.status).toBe(1);
    expect(failure.stderr).toContain("'erase:nosuch': the device refused: partition nosuch does not exist");
  });

  it('refuses a file that is not there', async () => {
    const failure = await runCliAsync(['fastboot', '-s', address(), 'flash', 'misc', join(work, 'missing.img')]);
    expect(failure.status).toBe(1);
    expect(failure.stderr).toMatch(/cannot read the image .*missing\.img/);
  });
});

describe('hostile images', () => {
  it('refuses a sparse image whose chunks do not cover what its header claims, before sending any of it', async () => {
    const bad = Buffer.from(readFileSync(sparseFile));
    bad.writeUInt32LE(bad.readUInt32LE(16) + 1, 16);
    const badFile = join(work, 'bad.simg');
    writeFileSync(badFile, bad);
    const device = handset('tcp', 'small');
    const before = await device.partitionSha256('vendor_b', sparseSource.length);
    await withClient('tcp', 'small', async (client) => {
      const failure = await flashImage(client, 'vendor_b', badFile).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(FlashImageError);
      expect((failure as Error).message).toMatch(/chunks cover \d+ blocks but the header declares \d+; nothing was flashed/);
    });
    expect(await device.partitionSha256('vendor_b', sparseSource.length)).toBe(before);
  });
});
