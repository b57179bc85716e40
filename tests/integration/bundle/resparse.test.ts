// `bundle create` stores a raw image re-sparsed when that makes it smaller (constant blocks as FILL
// chunks), signs what it stores, and records as `expanded` what the partition must hold; an image
// that would not shrink is stored as given. Flashing the result into the virtual handset leaves
// exactly the signed expanded content, and a byte changed after verification still stops the flash.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSparseImage } from '../../../src/lib/sparse/reader.ts';
import { findImageChange } from '../../../src/main/bundle/errors.ts';
import { verifiedImage } from '../../../src/main/bundle/image-source.ts';
import { verifyBundle } from '../../../src/main/bundle/verify.ts';
import { FastbootClient } from '../../../src/main/fastboot/client.ts';
import { connectDevice } from '../../../src/main/fastboot/connect.ts';
import { flashImage } from '../../../src/main/fastboot/flash-image.ts';
import { createSimFleet, defaultScenario, type SimFleet } from '../../../src/sim/index.ts';
import { buildBundle, patternBytes, signingSetup, tempDir, type SigningSetup } from './fixture.ts';

const work = tempDir('bundle-resparse');
const KiB = 1024;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** 1 KiB short of 200 KiB: data, zeros, a block of 0xdeadbeef, data, zeros to the end. */
const boot = Buffer.concat([patternBytes(20 * KiB, 3), Buffer.alloc(100 * KiB), Buffer.alloc(4 * KiB, Buffer.from('deadbeef', 'hex')), patternBytes(8 * KiB, 5), Buffer.alloc(67 * KiB)]);
const bootPadded = Buffer.concat([boot, Buffer.alloc(KiB)]);
/** Random data: re-sparsing would only add headers. */
const system = patternBytes(64 * KiB + 10, 9);

let signing: SigningSetup;
let fleet: SimFleet;
let port: number;
let counter = 0;

beforeAll(async () => {
  signing = await signingSetup(join(work.path, 'keys'));
  writeFileSync(join(work.path, 'boot.img'), boot);
  writeFileSync(join(work.path, 'system.img'), system);
  fleet = await createSimFleet({ scenario: defaultScenario(1), stateDir: join(work.path, 'sim'), timing: { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 10 } });
  [port] = (await fleet.serveTcp(0)) as [number];
});

afterAll(async () => {
  await fleet.close();
  work.remove();
});

async function bundleOf(suffix = ''): Promise<string> {
  const location = join(work.path, `bundle-${counter++}${suffix}`);
  await buildBundle(location, { boot: join(work.path, 'boot.img'), system: join(work.path, 'system.img') }, signing.privateKey);
  return location;
}

describe('bundle create from raw images', () => {
  it.each([['directory', ''], ['zip', '.zip']])('stores a raw image with constant regions re-sparsed, smaller, and the %s verifies', async (_kind, suffix) => {
    const bundle = await verifyBundle(await bundleOf(suffix), { trust: signing.trust });
    const [bootEntry, systemEntry] = bundle.manifest.partitions;
    expect(bootEntry).toMatchObject({ sparse: true, expanded: { size: bootPadded.length, sha256: sha256(bootPadded) } });
    expect(bootEntry?.size).toBeLessThan(boot.length / 3);
    // The image that would not shrink is exactly the file given.
    expect(systemEntry).toMatchObject({ sparse: false, size: system.length, sha256: sha256(system), expanded: { size: system.length, sha256: sha256(system) } });
    if (suffix === '') {
      const stored = readFileSync(join(bundle.location, 'images', 'boot.img'));
      expect(isSparseImage(stored)).toBe(true);
      expect(sha256(stored)).toBe(bootEntry?.sha256);
      expect(sha256(readFileSync(join(bundle.location, 'images', 'system.img')))).toBe(sha256(system));
    } else {
      expect(statSync(bundle.location).size).toBeLessThan(boot.length + system.length);
    }
  });

  it('flashes the re-sparsed image into the handset, whose own hash of the partition is the signed expanded one', async () => {
    const bundle = await verifyBundle(await bundleOf(), { trust: signing.trust });
    const image = verifiedImage(bundle, 'boot');
    const client = new FastbootClient(await connectDevice({ by: 'slot', slot: { kind: 'tcp', host: '127.0.0.1', port } }));
    try {
      await client.erase('boot_a');
      // Pieces small enough that the splitter cuts the sparse image, FILL chunks and all.
      const result = await flashImage(client, 'boot_a', image, { maxDownloadSize: 16 * KiB });
      expect(result.pieces).toBeGreaterThan(1);
      const hash = await client.oem(`sha256 boot_a 0x${image.partition.expanded.size.toString(16)}`);
      expect(hash.info.join('')).toBe(image.partition.expanded.sha256);
    } finally {
      await client.close();
    }
    expect(await fleet.handsets[0]?.partitions.sha256('boot_a', boot.length)).toBe(sha256(boot));
  });

  it('sends no flash: when a RAW byte of the re-sparsed image changed after verification, and the partition stays erased', async () => {
    const location = await bundleOf();
    const bundle = await verifyBundle(location, { trust: signing.trust });
    const path = join(location, 'images', 'boot.img');
    // The first RAW chunk's data starts after the 28-byte file header and its 12-byte chunk header.
    const at = 28 + 12 + 500;
    const fd = openSync(path, 'r+');
    writeSync(fd, Uint8Array.of((readFileSync(path)[at] ?? 0) ^ 0x01), 0, 1, at);
    closeSync(fd);
    const client = new FastbootClient(await connectDevice({ by: 'slot', slot: { kind: 'tcp', host: '127.0.0.1', port } }));
    const commands: string[] = [];
    try {
      await client.erase('boot_a');
      const original = client.flash.bind(client);
      client.flash = (partition, ...rest) => {
        commands.push(partition);
        return original(partition, ...rest);
      };
      const error = await flashImage(client, 'boot_a', verifiedImage(bundle, 'boot')).then(() => null, (failure: unknown) => failure);
      expect(findImageChange(error)?.message).toMatch(/^image changed during flashing: boot at byte 0 /);
    } finally {
      await client.close();
    }
    expect(commands).toEqual([]);
    expect(await fleet.handsets[0]?.partitions.sha256('boot_a', bootPadded.length)).toBe(sha256(new Uint8Array(bootPadded.length)));
  });
});
