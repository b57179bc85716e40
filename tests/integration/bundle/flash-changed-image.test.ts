// End to end: a bundle is verified, then one byte of an image changes on disk, then the station
// flashes it into the virtual handset over real fastboot (TCP). The changed block never leaves the
// verified image source, so `flash:` is never sent for the piece that would hold it, and the
// handset's partition does not receive it.
import { closeSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findImageChange } from '../../../src/main/bundle/errors.ts';
import { verifiedImage } from '../../../src/main/bundle/image-source.ts';
import { CHECKPOINT_BLOCK_BYTES } from '../../../src/main/bundle/prefix-digest.ts';
import { verifyBundle } from '../../../src/main/bundle/verify.ts';
import { FastbootClient } from '../../../src/main/fastboot/client.ts';
import { connectDevice } from '../../../src/main/fastboot/connect.ts';
import { flashImage } from '../../../src/main/fastboot/flash-image.ts';
import type { FastbootTransport } from '../../../src/main/fastboot/transport.ts';
import { createSimFleet, defaultScenario, type SimFleet } from '../../../src/sim/index.ts';
import { buildBundle, patternBytes, signingSetup, tempDir, writeImages } from './fixture.ts';

const work = tempDir('bundle-flash');
const BLOCK = CHECKPOINT_BLOCK_BYTES;
/** Five checkpoint blocks, sent in pieces of about two blocks each. */
const boot = patternBytes(5 * BLOCK, 2026);
const MAX_DOWNLOAD = 2 * BLOCK + 64 * 1024;
const FAST = { linkBytesPerSecond: 4_000_000_000, flashBytesPerSecond: 4_000_000_000, rebootMs: 10 };

let fleet: SimFleet;
let port: number;
let counter = 0;

beforeAll(async () => {
  fleet = await createSimFleet({ scenario: defaultScenario(1), stateDir: join(work.path, 'sim'), timing: FAST });
  [port] = (await fleet.serveTcp(0)) as [number];
});

afterAll(async () => {
  await fleet.close();
  work.remove();
});

/** Remembers every command packet the station sends, so the test can prove what was never sent. */
function recording(transport: FastbootTransport, commands: string[]): FastbootTransport {
  return {
    name: transport.name,
    send(parts, timeoutMs) {
      const first = parts[0];
      if (parts.length === 1 && first && first.length <= 64) {
        const text = Buffer.from(first).toString('latin1');
        if (/^(download|flash|erase|getvar|oem|reboot)[:\s]/.test(text)) commands.push(text);
      }
      return transport.send(parts, timeoutMs);
    },
    receive: (timeoutMs) => transport.receive(timeoutMs),
    close: () => transport.close(),
  };
}

async function flashAfterFlip(flipAt: number | null) {
  const signing = await signingSetup(join(work.path, `keys-${counter}`));
  const images = writeImages(join(work.path, `images-${counter}`));
  writeFileSync(images.boot, boot);
  const location = join(work.path, `bundle-${counter++}`);
  await buildBundle(location, images, signing.privateKey);
  const bundle = await verifyBundle(location, { trust: signing.trust });
  if (flipAt !== null) {
    const fd = openSync(join(location, 'images', 'boot.img'), 'r+');
    writeSync(fd, Uint8Array.of((boot[flipAt] ?? 0) ^ 0x01), 0, 1, flipAt);
    closeSync(fd);
  }
  const commands: string[] = [];
  const client = new FastbootClient(recording(await connectDevice({ by: 'slot', slot: { kind: 'tcp', host: '127.0.0.1', port } }), commands));
  try {
    await client.erase('boot_a');
    const result = await flashImage(client, 'boot_a', verifiedImage(bundle, 'boot'), { maxDownloadSize: MAX_DOWNLOAD }).then(
      (value) => ({ value, error: null }),
      (error: unknown) => ({ value: null, error }),
    );
    return { ...result, commands };
  } finally {
    await client.close();
  }
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const handset = () => fleet.handsets[0] as NonNullable<SimFleet['handsets'][0]>;
const handsetHash = (bytes: number): Promise<string> => handset().partitions.sha256('boot_a', bytes);

/** The first `bytes` of the handset's boot_a as stored by the simulator. */
function readPartition(bytes: number): Buffer {
  const fd = openSync(join(handset().state.directory, 'partitions', 'boot_a.img'), 'r');
  try {
    const out = Buffer.alloc(bytes);
    readSync(fd, out, 0, bytes, 0);
    return out;
  } finally {
    closeSync(fd);
  }
}

describe('an image changed after verification, flashed into the virtual handset', () => {
  it('flashes the untouched image completely (the control case)', async () => {
    const { value, error, commands } = await flashAfterFlip(null);
    expect(error).toBeNull();
    expect(value?.pieces).toBeGreaterThan(2);
    expect(commands.filter((command) => command === 'flash:boot_a')).toHaveLength(value?.pieces ?? -1);
    expect(await handsetHash(boot.length)).toBe(sha256(boot));
  });

  it('flashes the sparse image in pieces so the partition holds exactly the signed expanded content', async () => {
    const signing = await signingSetup(join(work.path, 'sparse-keys'));
    const images = writeImages(join(work.path, 'sparse-images'));
    const location = join(work.path, 'sparse-bundle');
    await buildBundle(location, images, signing.privateKey);
    const bundle = await verifyBundle(location, { trust: signing.trust });
    const system = verifiedImage(bundle, 'system');
    const client = new FastbootClient(await connectDevice({ by: 'slot', slot: { kind: 'tcp', host: '127.0.0.1', port } }));
    try {
      await client.erase('system_a');
      const result = await flashImage(client, 'system_a', system, { maxDownloadSize: 64 * 1024 });
      expect(result.pieces).toBeGreaterThan(1);
    } finally {
      await client.close();
    }
    expect(await handset().partitions.sha256('system_a', system.partition.expanded.size)).toBe(system.partition.expanded.sha256);
  });

  it.each(['dir', 'zip'] as const)('plans a sparse image of a %s bundle from its chunk headers alone, and still stops at a RAW byte changed after verification', async (kind) => {
    const signing = await signingSetup(join(work.path, `layout-keys-${kind}`));
    const images = writeImages(join(work.path, `layout-images-${kind}`));
    const location = join(work.path, kind === 'zip' ? 'layout-bundle.zip' : 'layout-bundle');
    await buildBundle(location, images, signing.privateKey);
    const bundle = await verifyBundle(location, { trust: signing.trust });
    const system = verifiedImage(bundle, 'system');
    const file = readFileSync(images.system);
    // Where the image's bytes are stored: its own file, or its stored entry inside the zip.
    const stored = kind === 'zip' ? location : join(location, 'images', 'system.img');
    const base = kind === 'zip' ? readFileSync(location).indexOf(file) : 0;
    expect(base).toBeGreaterThan(kind === 'zip' ? 0 : -1);
    // The first RAW chunk's payload starts after the 28-byte sparse header and a 12-byte chunk header.
    const payload = 28 + 12;
    expect(file[payload + 100]).not.toBe(0);
    const parts: Uint8Array[] = [];
    for await (const part of system.openLayout?.() ?? []) parts.push(part);
    const layout = Buffer.concat(parts);
    expect(layout.length).toBe(file.length);
    expect(layout.subarray(0, payload).equals(file.subarray(0, payload))).toBe(true);
    expect(layout[payload + 100]).toBe(0);

    const fd = openSync(stored, 'r+');
    writeSync(fd, Uint8Array.of((file[payload + 100] ?? 0) ^ 0x01), 0, 1, base + payload + 100);
    closeSync(fd);
    // Planning reads the layout alone: the checked read of the data is opened once per handset, by its sender.
    let checkedReads = 0;
    const counted = { ...system, open: () => (checkedReads++, system.open()) };
    const client = new FastbootClient(await connectDevice({ by: 'slot', slot: { kind: 'tcp', host: '127.0.0.1', port } }));
    try {
      await client.erase('system_a');
      const error = await flashImage(client, 'system_a', counted, { maxDownloadSize: 64 * 1024 }).then(() => null, (failure: unknown) => failure);
      expect(findImageChange(error)?.message).toMatch(/^image changed during flashing: system at byte 0 .*Nothing from this piece was flashed/);
      expect(checkedReads).toBe(1);
    } finally {
      await client.close();
    }
    expect(await handset().partitions.sha256('system_a', system.partition.expanded.size)).not.toBe(system.partition.expanded.sha256);
  });

  it('sends no flash: at all when the first block changed', async () => {
    const { error, commands } = await flashAfterFlip(100);
    const changed = findImageChange(error);
    expect(changed?.message).toMatch(/^image changed during flashing: boot at byte 0 \(block 0 differs/);
    expect(commands.some((command) => command.startsWith('flash:'))).toBe(false);
    expect(await handsetHash(boot.length)).toBe(sha256(new Uint8Array(boot.length)));
  });

  it('stops before the flash: of the piece that holds a changed later block; that block never reaches the handset', async () => {
    const flipAt = 3 * BLOCK + 12_345;
    const { error, commands } = await flashAfterFlip(flipAt);
    expect(findImageChange(error)?.offset).toBe(3 * BLOCK);
    const flashed = commands.filter((command) => command === 'flash:boot_a').length;
    const downloads = commands.filter((command) => command.startsWith('download:')).length;
    // Every flash: follows a complete download; the last download (the piece with the changed block) has none.
    expect(downloads).toBe(flashed + 1);
    expect(flashed).toBeGreaterThan(0);
    // The partition holds a verified prefix of the image followed by the erased zeros: nothing from the changed block onwards.
    const partition = readPartition(boot.length);
    const committed = partition.findIndex((byte, index) => byte !== boot[index]);
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThanOrEqual(3 * BLOCK);
    expect(partition.subarray(committed).every((byte) => byte === 0)).toBe(true);
  });
});
