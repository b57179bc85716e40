// The Kestrel K2 dialect driven by the station's own fastboot client, over the simulated USB bus
// and over TCP: the same bootloader core as the reference handset, another vendor's spelling.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastbootClient } from '../../../src/main/fastboot/client.ts';
import { FastbootFailError } from '../../../src/main/fastboot/errors.ts';
import { connectTcp } from '../../../src/main/fastboot/tcp-transport.ts';
import { openUsb } from '../../../src/main/fastboot/usb-transport.ts';
import { createSimFleet, parseScenario, type SimFleet } from '../../../src/sim/index.ts';

const work = mkdtempSync(join(tmpdir(), 'lockstep-kestrel-'));
let fleet: SimFleet;
let ports: number[] = [];

const transports = ['usb', 'tcp'] as const;
type Transport = (typeof transports)[number];
const serialOf = (transport: Transport): string => `K2SIM-${transport.toUpperCase()}`;

beforeAll(async () => {
  const scenario = parseScenario({ devices: transports.map((transport) => ({ serial: serialOf(transport), model: 'kestrel-k2' })) });
  fleet = await createSimFleet({ scenario, stateDir: join(work, 'state'), timing: { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 50 } });
  ports = await fleet.serveTcp(0);
});

afterAll(async () => {
  await fleet?.close();
  rmSync(work, { recursive: true, force: true });
});

async function connect(transport: Transport): Promise<FastbootClient> {
  if (transport === 'tcp') return new FastbootClient(await connectTcp('127.0.0.1', ports[transports.indexOf(transport)] as number));
  const device = await fleet.usb.requestDevice({ filters: [{ serialNumber: serialOf(transport) }] });
  return new FastbootClient(await openUsb(device));
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(FastbootFailError);
  return (error as FastbootFailError).reason;
}

describe.each(transports)('Kestrel K2 over %s', (transport) => {
  let client: FastbootClient;
  beforeAll(async () => {
    client = await connect(transport);
  });
  afterAll(async () => {
    await client?.close();
  });

  it('enumerates with the Kestrel USB ids', async () => {
    const device = (await fleet.usb.getDevices()).find((candidate) => candidate.serialNumber === serialOf(transport));
    expect(device ? [device.vendorId, device.productId] : null).toEqual([0x3e2a, 0x0b02]);
  });

  it('answers its own identity variables and the AOSP ones, and not the reference names', async () => {
    const answers: Record<string, string> = {
      serialno: serialOf(transport),
      product: 'kestrel-k2',
      hwrev: 'R3',
      blversion: 'KBL-2.0.1',
      'device-state': 'unlocked',
      'battery-mv': '4000',
      secure: 'yes',
      version: '0.4',
      'max-download-size': '0x10000000',
      'current-slot': 'a',
      'slot-count': '2',
      'has-slot:system': 'yes',
      'partition-size:system_a': '0x80000000',
      'partition-type:userdata': 'ext4',
      'is-logical:boot_a': 'no',
      'is-userspace': 'no',
    };
    for (const [name, value] of Object.entries(answers)) expect(await client.getvar(name), name).toBe(value);
    for (const name of ['hw-revision', 'version-bootloader', 'unlocked', 'battery-voltage']) expect(await refusal(client.getvar(name)), name).toBe('unknown variable');
  });

  it('hashes a flashed partition with oem hash sha256 and a decimal byte count, answering digest=<64 hex> across two INFO lines', async () => {
    const image = randomBytes(300_000);
    await client.download(image, image.length);
    await client.flash('boot_a');
    const result = await client.oem(`hash sha256 boot_a ${image.length}`);
    expect(result.info).toHaveLength(2);
    expect(result.info.join('')).toBe(`digest=${createHash('sha256').update(image).digest('hex')}`);
    expect(await refusal(client.oem(`hash sha256 boot_a 0x${image.length.toString(16)}`))).toBe('bytes must be decimal');
    expect(await refusal(client.oem(`sha256 boot_a ${image.length}`))).toBe('unknown oem command');
  });

  it('reads and blows eFuse words as b<bank>w<word>, bits only going 0 to 1, masks in 0x hex only', async () => {
    expect((await client.oem('efuse read b0w0')).info).toEqual(['b0w0=0x00000001']);
    await client.oem('efuse blow b1w2 0x00000200');
    await client.oem('efuse blow b1w2 0x1000');
    expect((await client.oem('efuse read b1w2')).info).toEqual(['b1w2=0x00001200']);
    expect(await refusal(client.oem('efuse blow b1w2 4096'))).toBe('mask must be 0x hex');
    expect(await refusal(client.oem('efuse read 1 2'))).toBe('usage: oem efuse read b<bank>w<word>');
    expect(await refusal(client.oem('efuse read bank1word2'))).toBe('fuse address must be b<bank>w<word>');
    expect(await refusal(client.oem('efuse read b8w0'))).toBe('no fuse word 0 in bank 8');
    expect(await refusal(client.oem('fuse read 1 2'))).toBe('unknown oem command');
  });

  it('locks with oem lock only: flashing lock is an unknown command, and a locked handset refuses flash and fuses', async () => {
    expect(await refusal(client.flashingLock())).toBe('unknown command');
    expect(await client.getvar('device-state')).toBe('unlocked');
    await client.oem('lock');
    expect(await client.getvar('device-state')).toBe('locked');
    expect(await refusal(client.oem('lock'))).toBe('device is already locked');
    expect(await refusal(client.oem('efuse blow b1w2 0x1'))).toBe('fuse programming is not allowed in Lock State');
    expect(await refusal(client.erase('boot_a'))).toBe('Flashing is not allowed in Lock State');
  });

  it('reboots into its OS, which offers the AT port with the same serial number', async () => {
    const handset = fleet.handsets.find((candidate) => candidate.serial === serialOf(transport));
    const booted = new Promise<void>((resolve) => handset?.onModeChange((mode) => mode === 'booted' && resolve()));
    await client.reboot();
    await booted;
    expect(fleet.serial.list().map((port) => port.serial)).toContain(serialOf(transport));
  });
});
