// Bundle files the operating system refuses to read. Permission errors are real: the station's
// own `lockstep bundle verify` runs as an unprivileged user (nobody, when the tests run as root),
// so root's exemption from file modes does not hide them.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, signingSetup, tempDir, writeImages, type SigningSetup } from './fixture.ts';

const BIN = resolve(import.meta.dirname, '../../../bin/lockstep.js');
const NOBODY = 65534;
const work = tempDir('bundle-unreadable');
afterAll(() => {
  chmodSync(work.path, 0o700);
  work.remove();
});

let signing: SigningSetup;
let good: string;
let goodZip: string;
let counter = 0;

beforeAll(async () => {
  // mkdtemp makes the folder private to its owner; the unprivileged verifier must be able to enter it.
  chmodSync(work.path, 0o755);
  signing = await signingSetup(work.path);
  const images = writeImages(work.path);
  good = join(work.path, 'good');
  goodZip = join(work.path, 'good.zip');
  await buildBundle(good, images, signing.privateKey);
  await buildBundle(goodZip, images, signing.privateKey);
});

function copyOf(bundle: string): string {
  const copy = join(work.path, `case-${counter++}${bundle.endsWith('.zip') ? '.zip' : ''}`);
  cpSync(bundle, copy, { recursive: true });
  return copy;
}

/** `lockstep bundle verify` run by a user to whom file modes apply. */
function verifyUnprivileged(location: string): { status: number | null; stderr: string } {
  const asRoot = process.getuid?.() === 0;
  const result = spawnSync(process.execPath, [BIN, 'bundle', 'verify', location, '--trust', signing.trustDir], {
    encoding: 'utf8',
    ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  return { status: result.status, stderr: result.stderr };
}

describe.skipIf(process.platform === 'win32')('bundle files the station may not read', () => {
  it('accepts the untouched bundles when run unprivileged (the cases below each break one thing)', () => {
    for (const bundle of [good, goodZip]) expect(verifyUnprivileged(bundle)).toMatchObject({ status: 0 });
  });

  it.each([
    ['an image file', join('images', 'boot.img'), /\[FILE_UNREADABLE\]: cannot read images\/boot\.img in the bundle: permission denied\. Give the station's user read access/],
    ['the folder holding the images', 'images', /\[FILE_UNREADABLE\]: cannot read images\/boot\.img in the bundle: permission denied/],
    ['the manifest', 'manifest.json', /\[FILE_UNREADABLE\]: cannot read manifest\.json in the bundle: permission denied/],
  ])('names %s that cannot be read, with no stack trace', (_what, path, message) => {
    const bundle = copyOf(good);
    chmodSync(join(bundle, path), 0o000);
    const { status, stderr } = verifyUnprivileged(bundle);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/unexpected failure|\n\s+at /);
    expect(status).toBe(1);
  });

  it('names a bundle zip that cannot be read', () => {
    const zip = copyOf(goodZip);
    chmodSync(zip, 0o000);
    const { status, stderr } = verifyUnprivileged(zip);
    expect(stderr).toContain(`[FILE_UNREADABLE]: cannot read the bundle zip ${zip}: permission denied`);
    expect(status).toBe(1);
  });
});
