// A directory bundle changed by someone else at the worst moment: right around the station's open
// of a file. The station's own fs calls are wrapped only to make the change at that instant; the
// files, the links and the open are real.
import { appendFileSync, cpSync, mkdirSync, renameSync, rmSync, symlinkSync, truncateSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import type * as FsPromises from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { findImageChange } from '../../../src/main/bundle/errors.ts';
import { verifiedImage } from '../../../src/main/bundle/image-source.ts';
import { verifyBundle } from '../../../src/main/bundle/verify.ts';
import { buildBundle, codeOf, signingSetup, tempDir, writeImages, type SigningSetup } from './fixture.ts';

/** Changes to make once, keyed by absolute path: just before the station opens it, or just after it inspected it with lstat. */
const hooks = vi.hoisted(() => ({
  beforeOpen: new Map<string, () => void>(),
  afterOpen: new Map<string, () => void>(),
  afterLstat: new Map<string, () => void>(),
  /** Files whose reads are cut short like a network file system may, with an action run on the first read. */
  shortReads: new Map<string, { maxBytes: number; onFirstRead?: () => void }>(),
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof FsPromises>();
  const once = (table: Map<string, () => void>, path: unknown): void => {
    const hook = table.get(String(path));
    table.delete(String(path));
    hook?.();
  };
  return {
    ...real,
    async lstat(...args: Parameters<typeof real.lstat>) {
      const info = await real.lstat(...args);
      once(hooks.afterLstat, args[0]);
      return info;
    },
    async open(...args: Parameters<typeof real.open>) {
      once(hooks.beforeOpen, args[0]);
      let handle;
      try {
        handle = await real.open(...args);
      } finally {
        once(hooks.afterOpen, args[0]);
      }
      const short = hooks.shortReads.get(String(args[0]));
      return short ? withShortReads(handle, short) : handle;
    },
  };
});

/** A handle whose positional reads return at most `maxBytes`: what POSIX allows any read to do. */
function withShortReads(handle: FsPromises.FileHandle, short: { maxBytes: number; onFirstRead?: () => void }): FsPromises.FileHandle {
  let first = true;
  const read = (buffer: Uint8Array, offset: number, length: number, position: number) => {
    if (first) short.onFirstRead?.();
    first = false;
    return handle.read(buffer, offset, Math.min(length, short.maxBytes), position);
  };
  return new Proxy(handle, { get: (target, key) => (key === 'read' ? read : Reflect.get(target, key, target)) });
}

const work = tempDir('bundle-swapped');
afterAll(() => work.remove());

let signing: SigningSetup;
let good: string;
let counter = 0;

beforeAll(async () => {
  signing = await signingSetup(work.path);
  good = join(work.path, 'good');
  await buildBundle(good, writeImages(work.path), signing.privateKey);
});

beforeEach(() => {
  for (const table of Object.values(hooks)) table.clear();
});

/** A copy of the good bundle and the path of its system image. */
function copyOfGood(): { bundle: string; image: string } {
  const bundle = join(work.path, `case-${counter++}`);
  cpSync(good, bundle, { recursive: true });
  return { bundle, image: join(bundle, 'images', 'system.img') };
}

/** An identical copy of `image` outside the bundle: a link to it would pass every hash check. */
function twinOutside(image: string): string {
  const twin = join(work.path, `twin-${counter++}.img`);
  cpSync(image, twin);
  return twin;
}

function swapForSymlink(image: string): void {
  const twin = twinOutside(image);
  rmSync(image);
  symlinkSync(twin, image);
}

function swapForFifo(image: string): void {
  rmSync(image);
  execFileSync('mkfifo', [image]);
}


describe.skipIf(process.platform === 'win32')('a directory bundle changed around the open of one of its files', () => {
  it('refuses a file swapped for a symlink just before the open: the open itself refuses it', async () => {
    const { bundle, image } = copyOfGood();
    hooks.beforeOpen.set(image, () => swapForSymlink(image));
    expect(await codeOf(verifyBundle(bundle, { trust: signing.trust }))).toMatch(/^SYMLINK: images\/system\.img in the bundle is a symbolic link/);
  });

  it('refuses a file swapped for a FIFO after its path was inspected, without waiting for a writer', async () => {
    const { bundle, image } = copyOfGood();
    hooks.afterLstat.set(image, () => swapForFifo(image));
    expect(await codeOf(verifyBundle(bundle, { trust: signing.trust }))).toMatch(/^CONTAINER_INVALID: images\/system\.img in the bundle is not a regular file/);
  });

  it('refuses a file swapped for a folder just before the open, instead of reading the folder', async () => {
    const { bundle, image } = copyOfGood();
    hooks.beforeOpen.set(image, () => {
      rmSync(image);
      mkdirSync(image);
    });
    expect(await codeOf(verifyBundle(bundle, { trust: signing.trust }))).toMatch(/^CONTAINER_INVALID: images\/system\.img in the bundle is not a regular file/);
  });

  it('refuses a file reached through a folder swapped for a symlink during the open and swapped back', async () => {
    const { bundle, image } = copyOfGood();
    const images = join(bundle, 'images');
    const outside = join(work.path, `outside-${counter++}`);
    cpSync(images, outside, { recursive: true });
    hooks.beforeOpen.set(image, () => {
      renameSync(images, `${images}.real`);
      symlinkSync(outside, images);
    });
    hooks.afterOpen.set(image, () => {
      rmSync(images);
      renameSync(`${images}.real`, images);
    });
    expect(await codeOf(verifyBundle(bundle, { trust: signing.trust }))).toMatch(/^FILE_UNREADABLE: cannot read images\/system\.img in the bundle: it was replaced while the station opened it/);
  });

  it('while flashing, refuses a verified file swapped for a FIFO as an image change, without waiting for a writer', async () => {
    const { bundle, image } = copyOfGood();
    const verified = await verifyBundle(bundle, { trust: signing.trust });
    hooks.beforeOpen.set(image, () => swapForFifo(image));
    let error: unknown = null;
    try {
      for await (const block of verifiedImage(verified, 'system').open()) void block;
    } catch (caught) {
      error = caught;
    }
    expect(findImageChange(error)?.message).toMatch(/^image changed during flashing: system at byte 0 \(images\/system\.img in the bundle is not a regular file/);
  });
});

describe('reading the manifest', () => {
  it('reads it whole when the system hands it out in short pieces', async () => {
    const { bundle } = copyOfGood();
    hooks.shortReads.set(join(bundle, 'manifest.json'), { maxBytes: 100 });
    const verified = await verifyBundle(bundle, { trust: signing.trust });
    expect(verified.manifest.partitions.map((partition) => partition.name)).toEqual(['boot', 'system']);
  });

  it('says so when it changes size while being read', async () => {
    const { bundle } = copyOfGood();
    const manifest = join(bundle, 'manifest.json');
    hooks.shortReads.set(manifest, { maxBytes: 100, onFirstRead: () => appendFileSync(manifest, ' '.repeat(10)) });
    expect(await codeOf(verifyBundle(bundle, { trust: signing.trust }))).toMatch(
      /^FILE_UNREADABLE: cannot read manifest\.json in the bundle: it changed while the station read it \(\d+ bytes when opened, more when read\)\. Something is writing into the bundle/,
    );
    hooks.shortReads.set(manifest, { maxBytes: 100, onFirstRead: () => truncateSync(manifest, 150) });
    expect(await codeOf(verifyBundle(bundle, { trust: signing.trust }))).toMatch(/^FILE_UNREADABLE: cannot read manifest\.json in the bundle: it changed while the station read it \(\d+ bytes when opened, 150 when read\)/);
  });
});
