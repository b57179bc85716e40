// Bundle files the operating system refuses to read. Permission errors are real: the station's
// own `lockstep bundle verify` runs as an unprivileged user (nobody, when the tests run as root),
// so root's exemption from file modes does not hide them.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { copyCli, runCli, shareWithEveryone, type CliRun, type CliRunOptions } from '../../lockstep-cli.ts';
import { buildBundle, signingSetup, tempDir, writeImages, type SigningSetup } from './fixture.ts';

const NOBODY = { uid: 65534, gid: 65534 };
const work = tempDir('bundle-unreadable');
/** What the cases made unreadable; a user who is not root cannot delete a closed folder's files. */
const closed: string[] = [];
afterAll(() => {
  for (const path of closed) chmodSync(path, 0o700);
  work.remove();
});

let signing: SigningSetup;
let good: string;
let goodZip: string;
let counter = 0;
/** A user to whom file modes apply, and a CLI that user can start. */
let unprivileged: CliRunOptions = {};
/** Why this host cannot run the cases, if it cannot. */
let cannotRun: string | undefined;

beforeAll(async () => {
  signing = await signingSetup(work.path);
  const images = writeImages(work.path);
  good = join(work.path, 'good');
  goodZip = join(work.path, 'good.zip');
  await buildBundle(good, images, signing.privateKey);
  await buildBundle(goodZip, images, signing.privateKey);
  // mkdtemp makes the folder private to its owner, and the umask may do the same to what is in it.
  shareWithEveryone(work.path);
  if (process.getuid?.() !== 0) return;
  const probe = spawnSync('sh', ['-c', 'cd -- "$1"', 'sh', work.path], { ...NOBODY, encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    cannotRun = probe.error
      ? `cannot run a process as uid ${NOBODY.uid} here: ${probe.error.message}`
      : `uid ${NOBODY.uid} cannot enter the temp folder ${work.path} (${probe.stderr.trim()}); point TMPDIR at one every user can enter`;
    console.warn(`Skipping the unreadable-bundle cases: ${cannotRun}`);
    return;
  }
  // The checkout may sit where nobody cannot enter (a clone under /root), so nobody runs a copy of the CLI.
  unprivileged = { user: NOBODY, cli: copyCli(join(work.path, 'cli')) };
});

function makeUnreadable(path: string): void {
  chmodSync(path, 0o000);
  closed.push(path);
}

function copyOf(bundle: string): string {
  const copy = join(work.path, `case-${counter++}${bundle.endsWith('.zip') ? '.zip' : ''}`);
  cpSync(bundle, copy, { recursive: true });
  shareWithEveryone(copy);
  return copy;
}

/** `lockstep bundle verify` run by a user to whom file modes apply. */
function verifyUnprivileged(location: string): CliRun {
  return runCli(['bundle', 'verify', location, '--trust', signing.trustDir], unprivileged);
}

describe.skipIf(process.platform === 'win32')('bundle files the station may not read', () => {
  beforeEach(({ skip }) => skip(cannotRun !== undefined, cannotRun));

  it('accepts the untouched bundles when run unprivileged (the cases below each break one thing)', () => {
    for (const bundle of [good, goodZip]) {
      const { status, stderr } = verifyUnprivileged(bundle);
      expect(status, stderr).toBe(0);
    }
  });

  it.each([
    ['an image file', join('images', 'boot.img'), /\[FILE_UNREADABLE\]: cannot read images\/boot\.img in the bundle: permission denied\. Give the station's user read access/],
    ['the folder holding the images', 'images', /\[FILE_UNREADABLE\]: cannot read images\/boot\.img in the bundle: permission denied/],
    ['the manifest', 'manifest.json', /\[FILE_UNREADABLE\]: cannot read manifest\.json in the bundle: permission denied/],
  ])('names %s that cannot be read, with no stack trace', (_what, path, message) => {
    const bundle = copyOf(good);
    makeUnreadable(join(bundle, path));
    const { status, stderr } = verifyUnprivileged(bundle);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/unexpected failure|\n\s+at /);
    expect(status).toBe(1);
  });

  it('names a bundle zip that cannot be read', () => {
    const zip = copyOf(goodZip);
    makeUnreadable(zip);
    const { status, stderr } = verifyUnprivileged(zip);
    expect(stderr).toContain(`[FILE_UNREADABLE]: cannot read the bundle zip ${zip}: permission denied`);
    expect(status).toBe(1);
  });
});
