// The flash-time guarantee at the level of the image source: after verification, a re-read hands
// out a block only once it is proven to be the verified block, so a changed byte never leaves the
// source (and so never reaches `download:`/`flash:`).
import { appendFileSync, closeSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findImageChange, ImageChangedError } from '../../../src/main/bundle/errors.ts';
import { verifiedImage } from '../../../src/main/bundle/image-source.ts';
import { CHECKPOINT_BLOCK_BYTES } from '../../../src/main/bundle/prefix-digest.ts';
import { verifyBundle, type VerifiedBundle } from '../../../src/main/bundle/verify.ts';
import { buildBundle, patternBytes, signingSetup, tempDir, writeImages, type SigningSetup } from './fixture.ts';

const work = tempDir('bundle-source');
afterAll(() => work.remove());

const BLOCK = CHECKPOINT_BLOCK_BYTES;
const bootBytes = patternBytes(2 * BLOCK + 1000, 99);
let signing: SigningSetup;
let counter = 0;

beforeAll(async () => {
  signing = await signingSetup(work.path);
});

async function freshBundle(kind: 'dir' | 'zip'): Promise<VerifiedBundle> {
  const dir = join(work.path, `src-${counter++}`);
  const images = writeImages(dir);
  writeFileSync(images.boot, bootBytes);
  const out = join(dir, kind === 'zip' ? 'bundle.zip' : 'bundle');
  await buildBundle(out, images, signing.privateKey);
  return verifyBundle(out, { trust: signing.trust });
}

/** Reads the source like a flasher: collects what it was given until the source throws. */
async function drain(source: AsyncIterable<Uint8Array>): Promise<{ received: Buffer; error: unknown }> {
  const parts: Uint8Array[] = [];
  try {
    for await (const part of source) parts.push(part);
    return { received: Buffer.concat(parts), error: null };
  } catch (error) {
    return { received: Buffer.concat(parts), error };
  }
}

function patch(path: string, offset: number, bytes: Uint8Array): void {
  const fd = openSync(path, 'r+');
  writeSync(fd, bytes, 0, bytes.length, offset);
  closeSync(fd);
}

describe('verified image source', () => {
  it('yields exactly the verified bytes, as often as it is opened', async () => {
    const bundle = await freshBundle('dir');
    const image = verifiedImage(bundle, 'boot');
    expect(image.size).toBe(bootBytes.length);
    for (let read = 0; read < 2; read++) {
      const { received, error } = await drain(image.open());
      expect(error).toBeNull();
      expect(received.equals(bootBytes)).toBe(true);
    }
  });

  it.each(['dir', 'zip'] as const)('withholds the block holding a byte flipped after verification (%s bundle)', async (kind) => {
    const bundle = await freshBundle(kind);
    const flipAt = BLOCK + 4321;
    const original = bootBytes[flipAt] ?? 0;
    if (kind === 'dir') patch(join(bundle.location, 'images', 'boot.img'), flipAt, Uint8Array.of(original ^ 1));
    else {
      const zip = bundle.location;
      const data = readFileSync(zip);
      const at = data.indexOf(bootBytes.subarray(0, 64));
      patch(zip, at + flipAt, Uint8Array.of(original ^ 1));
    }
    const { received, error } = await drain(verifiedImage(bundle, 'boot').open());
    expect(error).toBeInstanceOf(ImageChangedError);
    expect((error as ImageChangedError).message).toBe(
      `image changed during flashing: boot at byte ${BLOCK} (block 1 differs from the verified image). Nothing from this piece was flashed; re-verify the bundle before trying again.`,
    );
    expect((error as ImageChangedError).code).toBe('IMAGE_CHANGED');
    expect(received.length).toBe(BLOCK);
    expect(received.equals(bootBytes.subarray(0, BLOCK))).toBe(true);
  });

  it('checks the final partial block against the whole-file hash before handing it out', async () => {
    const bundle = await freshBundle('dir');
    patch(join(bundle.location, 'images', 'boot.img'), bootBytes.length - 1, Uint8Array.of((bootBytes.at(-1) ?? 0) ^ 0x80));
    const { received, error } = await drain(verifiedImage(bundle, 'boot').open());
    expect((error as ImageChangedError).message).toContain(`boot at byte ${2 * BLOCK} (the last block differs`);
    expect(received.length).toBe(2 * BLOCK);
  });

  it('reports a bundle that vanished or was overwritten after verification as an image change', async () => {
    const removed = await freshBundle('dir');
    rmSync(removed.location, { recursive: true });
    const overwritten = await freshBundle('zip');
    writeFileSync(overwritten.location, '=cmd|/c calc');
    for (const bundle of [removed, overwritten]) {
      const { received, error } = await drain(verifiedImage(bundle, 'boot').open());
      expect(findImageChange(error)?.message).toMatch(/^image changed during flashing: boot at byte 0 \(/);
      expect(received.length).toBe(0);
    }
  });

  it.each(['dir', 'zip'] as const)('reports cancellation while reading as CANCELLED, not as an image change (%s bundle)', async (kind) => {
    const bundle = await freshBundle(kind);
    const controller = new AbortController();
    let error: unknown = null;
    try {
      for await (const block of verifiedImage(bundle, 'boot', controller.signal).open()) {
        void block;
        controller.abort();
      }
    } catch (caught) {
      error = caught;
    }
    expect(findImageChange(error)).toBeNull();
    expect(error).toMatchObject({ code: 'CANCELLED' });
  });

  it('notices a file that grew, shrank or vanished', async () => {
    const grown = await freshBundle('dir');
    appendFileSync(join(grown.location, 'images', 'boot.img'), 'x');
    expect(String((await drain(verifiedImage(grown, 'boot').open())).error)).toContain('the file is now longer than the');

    const shrunk = await freshBundle('dir');
    truncateSync(join(shrunk.location, 'images', 'boot.img'), BLOCK + 10);
    const short = await drain(verifiedImage(shrunk, 'boot').open());
    expect(String(short.error)).toContain(`the file ended after ${BLOCK + 10} of the ${bootBytes.length} bytes verified`);
    expect(short.received.length).toBe(BLOCK);

    const gone = await freshBundle('dir');
    rmSync(join(gone.location, 'images', 'boot.img'));
    const missing = await drain(verifiedImage(gone, 'boot').open());
    expect(missing.error).toBeInstanceOf(ImageChangedError);
    expect(String(missing.error)).toContain('image changed during flashing: boot at byte 0');
  });
});
