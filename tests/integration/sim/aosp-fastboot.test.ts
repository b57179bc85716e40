// THE acceptance test of the virtual handset: Debian's AOSP `fastboot` client, which knows
// nothing of Lockstep, flashes it over TCP. If this client cannot tell the simulator from a
// device, the simulator speaks real fastboot.
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimProcess, type SimProcess } from './sim-process.ts';

const MIB = 1024 * 1024;
const IMAGE_SIZE = 64 * MIB;
const work = mkdtempSync(join(tmpdir(), 'lockstep-aosp-'));
const rawImage = join(work, 'boot.img');
const sparseImage = join(work, 'boot.sparse.img');
let imageSha256 = '';

interface Run {
  readonly code: number | null;
  readonly output: string;
}

/** One fastboot invocation (a new TCP connection, as AOSP does); its exit code and combined output. */
function fastboot(address: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile('fastboot', ['-s', address, ...args], { timeout: 60_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, output: stdout + stderr });
    });
  });
}

async function ok(address: string, ...args: string[]): Promise<string> {
  const run = await fastboot(address, ...args);
  expect(run.code, `fastboot ${args.join(' ')}:\n${run.output}`).toBe(0);
  return run.output;
}

/** The device sends the 64-digit digest as two INFO lines (a packet holds 60 bytes of text). */
async function deviceSha256(address: string, partition: string, size: string): Promise<string> {
  const output = await ok(address, 'oem', 'sha256', partition, size);
  return [...output.matchAll(/\(bootloader\) ([0-9a-f]{32})$/gm)].map((match) => match[1]).join('');
}

function scenario(name: string, device: Record<string, unknown>): string {
  const path = join(work, `${name}.json`);
  writeFileSync(path, JSON.stringify({ timing: { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 100 }, devices: [device] }));
  return path;
}

beforeAll(() => {
  // Random data, a zero run, a repeated pattern and more data: img2simg turns these into RAW and
  // FILL chunks, and fastboot's resparsing adds DONT_CARE, so every chunk type reaches the device.
  const image = Buffer.concat([randomBytes(20 * MIB), Buffer.alloc(20 * MIB), Buffer.alloc(8 * MIB, 0xab), randomBytes(16 * MIB)]);
  writeFileSync(rawImage, image);
  imageSha256 = createHash('sha256').update(image).digest('hex');
  execFileSync('img2simg', [rawImage, sparseImage]);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('AOSP fastboot against lockstep sim over TCP', () => {
  let sim: SimProcess;
  let address = '';

  beforeAll(async () => {
    sim = await startSimProcess(['--state', join(work, 'state-a'), '--scenario', scenario('unthrottled', { serial: 'LSIM0001' })]);
    address = sim.addresses[0] ?? '';
    expect(sim.addresses).toHaveLength(1);
  });

  afterAll(async () => {
    const stopped = await sim.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.output).toContain('Stopped; handset state is saved.');
  });

  it('reads identity with getvar product and getvar all', async () => {
    expect(await ok(address, 'getvar', 'product')).toMatch(/^product: lockstep-ref$/m);
    const all = await ok(address, 'getvar', 'all');
    expect(all).toMatch(/^\(bootloader\) serialno:LSIM0001$/m);
    expect(all).toMatch(/^\(bootloader\) max-download-size:0x10000000$/m);
    expect(all).toMatch(/^\(bootloader\) partition-size:boot_a:0x4000000$/m);
    expect(all).toMatch(/^\(bootloader\) has-slot:boot:yes$/m);
  });

  it('erases, flashes a 64 MiB raw image, and the device hash matches', async () => {
    expect(await ok(address, 'erase', 'boot_a')).toMatch(/Erasing 'boot_a'\s+OKAY/);
    expect(await ok(address, 'flash', 'boot_a', rawImage)).toMatch(/Sending 'boot_a' \(65536 KB\)\s+OKAY[\s\S]*Writing 'boot_a'\s+OKAY/);
    expect(await deviceSha256(address, 'boot_a', `0x${IMAGE_SIZE.toString(16)}`)).toBe(imageSha256);
  });

  it('erases to zeros, then flashes the img2simg sparse image split by fastboot -S 16M', async () => {
    await ok(address, 'erase', 'boot_a');
    expect(await deviceSha256(address, 'boot_a', String(IMAGE_SIZE))).toBe(createHash('sha256').update(Buffer.alloc(IMAGE_SIZE)).digest('hex'));
    expect(await ok(address, '-S', '16M', 'flash', 'boot_a', sparseImage)).toMatch(/Sending sparse 'boot_a' 1\/\d+[\s\S]*Writing 'boot_a'\s+OKAY/);
    expect(await deviceSha256(address, 'boot_a', String(IMAGE_SIZE))).toBe(imageSha256);
  });

  it('burns fuse bits, reads them back, locks, and reports unlocked: no', async () => {
    await ok(address, 'oem', 'fuse', 'prog', '3', '0', '0x30');
    expect(await ok(address, 'oem', 'fuse', 'read', '3', '0')).toMatch(/\(bootloader\) 0x00000031$/m);
    await ok(address, 'flashing', 'lock');
    expect(await ok(address, 'getvar', 'unlocked')).toMatch(/^unlocked: no$/m);
  });

  it('refuses to flash a locked handset, and fastboot exits non-zero with the device’s text', async () => {
    const run = await fastboot(address, 'erase', 'boot_a');
    expect(run.code).not.toBe(0);
    expect(run.output).toContain("FAILED (remote: 'Flashing is not allowed in Lock State')");
  });
});

describe('AOSP fastboot against a handset with a small max-download-size', () => {
  let sim: SimProcess;
  let address = '';

  beforeAll(async () => {
    sim = await startSimProcess(['--state', join(work, 'state-b'), '--scenario', scenario('small-buffer', { serial: 'LSIM0002', maxDownloadSize: 8 * MIB })]);
    address = sim.addresses[0] ?? '';
  });

  afterAll(async () => {
    expect((await sim.stop()).code).toBe(0);
  });

  it('has fastboot split a raw image into sparse pieces that fit, on the active slot of a slotted partition', async () => {
    expect(await ok(address, 'getvar', 'max-download-size')).toMatch(/^max-download-size: 0x800000$/m);
    expect(await ok(address, 'erase', 'boot')).toMatch(/Erasing 'boot_a'\s+OKAY/);
    expect(await ok(address, 'flash', 'boot', rawImage)).toMatch(/Sending sparse 'boot_a' 1\/\d+ \(\d+ KB\)/);
    expect(await deviceSha256(address, 'boot_a', `0x${IMAGE_SIZE.toString(16)}`)).toBe(imageSha256);
  });

  it('has fastboot split the img2simg sparse image, applied cumulatively after an erase', async () => {
    await ok(address, 'erase', 'boot_a');
    expect(await ok(address, 'flash', 'boot_a', sparseImage)).toMatch(/Sending sparse 'boot_a' 1\/\d+/);
    expect(await deviceSha256(address, 'boot_a', String(IMAGE_SIZE))).toBe(imageSha256);
  });
});
