// The bundle CLI end to end: a round trip through the real `lockstep` binary, then every bad
// input the issue lists, each refused with exit 1 and its own error code and message.
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/main/cli/main.ts';
import { runCli } from '../../lockstep-cli.ts';
import { buildBundle, capture, resign, signingSetup, tempDir, writeImages, type SigningSetup } from './fixture.ts';
import { declareMethod, declareSize, entriesOf, renameEntry, zipBytes, type CraftEntry } from './zip-craft.ts';

const work = tempDir('bundle-cli');
afterAll(() => work.remove());

describe('lockstep keys + bundle: round trip through the real binary', () => {
  it('generates keys, creates a bundle with a raw and an img2simg sparse partition, and verifies it (exit 0)', () => {
    const dir = join(work.path, 'roundtrip');
    const images = writeImages(join(work.path));
    const keys = join(dir, 'keys');
    const generated = runCli(['keys', 'generate', '--out', keys, '--name', 'depot']);
    expect(generated.status, generated.stderr).toBe(0);
    const keyId = /Key id: ([0-9a-f]{64})/.exec(generated.stdout)?.[1];
    expect(keyId).toBeDefined();
    expect(statSync(join(keys, 'depot.key.pem')).mode & 0o777).toBe(0o600);

    const trust = join(dir, 'trust');
    cpSync(join(keys, 'depot.pub.pem'), join(trust, 'depot.pub.pem'));
    for (const out of [join(dir, 'bundle'), join(dir, 'bundle.zip')]) {
      const create = runCli([
        'bundle', 'create', '--product', 'lockstep-ref', '--hw-rev', 'B2', '--version', '3.0.1',
        '--partition', `boot=${images.boot}`, '--partition', `system=${images.system}`,
        '--fuse', 'CAMERA_DISABLE', '--fuse', 'GPS_DISABLE', '--lock', '--min-bootloader', 'LSBL-1.0', '--rollback-index', '2',
        '--key', join(keys, 'depot.key.pem'), '--out', out,
      ]);
      expect(create.stderr).toBe('');
      expect(create.status).toBe(0);
      const verify = runCli(['bundle', 'verify', out, '--trust', trust, '--json']);
      expect(verify.status).toBe(0);
      const report = JSON.parse(verify.stdout);
      expect(report).toMatchObject({ valid: true, demo: false, signer: { keyId, demo: false } });
      expect(report.manifest.partitions.map((partition: { name: string; sparse: boolean }) => [partition.name, partition.sparse])).toEqual([['boot', false], ['system', true]]);
      expect(report.manifest.policy).toEqual({ fuses: ['CAMERA_DISABLE', 'GPS_DISABLE'], lockBootloader: true });
      const expandedRaw = execFileSync('sha256sum', [images.systemRaw], { encoding: 'utf8' }).slice(0, 64);
      expect(report.manifest.partitions[1].expanded).toEqual({ size: statSync(images.systemRaw).size, sha256: expandedRaw });
    }
  });
});

describe('bad bundles: each refused by `lockstep bundle verify` with its own code', () => {
  let signing: SigningSetup;
  let good: string;
  let images: { boot: string; system: string };
  let counter = 0;

  beforeAll(async () => {
    signing = await signingSetup(join(work.path, 'bad'));
    images = writeImages(join(work.path, 'bad'));
    good = join(work.path, 'bad', 'good');
    await buildBundle(good, images, signing.privateKey);
  });

  function copyOfGood(): string {
    const copy = join(work.path, 'bad', `case-${counter++}`);
    cpSync(good, copy, { recursive: true });
    return copy;
  }

  async function writeZip(entries: readonly CraftEntry[], patch: (zip: Buffer) => Buffer = (zip) => zip): Promise<string> {
    const path = join(work.path, 'bad', `case-${counter++}.zip`);
    writeFileSync(path, patch(await zipBytes(entries)));
    return path;
  }

  async function refused(location: string, extra: string[] = []): Promise<string> {
    const io = capture();
    const code = await main(['bundle', 'verify', location, '--trust', signing.trustDir, ...extra], io);
    expect(code, io.stderr()).toBe(1);
    return io.stderr();
  }

  it('accepts the untouched bundle (the cases below each break one thing)', async () => {
    const io = capture();
    expect(await main(['bundle', 'verify', good, '--trust', signing.trustDir], io), io.stderr()).toBe(0);
    expect(io.stdout()).toContain('VALID directory bundle');
  });

  it('unsigned: no signature file', async () => {
    const bundle = copyOfGood();
    rmSync(join(bundle, 'manifest.sig'));
    expect(await refused(bundle)).toMatch(/\[UNSIGNED\].*has no manifest\.sig: it is unsigned/);
  });

  it('bad signature: one byte of the manifest changed after signing', async () => {
    const bundle = copyOfGood();
    const manifest = readFileSync(join(bundle, 'manifest.json'), 'utf8');
    writeFileSync(join(bundle, 'manifest.json'), manifest.replace('"rollbackIndex": 4', '"rollbackIndex": 5'));
    expect(await refused(bundle)).toMatch(/\[BAD_SIGNATURE\].*does not match manifest\.json/);
  });

  it('unknown key: signed by a key the station does not trust', async () => {
    const io = capture();
    expect(await main(['bundle', 'verify', good], io)).toBe(1);
    expect(io.stderr()).toMatch(new RegExp(`\\[UNKNOWN_KEY\\].*${signing.keyId}, which is not in this station's trust store`));
  });

  it('manifest not matching the schema, naming the field', async () => {
    const bundle = copyOfGood();
    resign(bundle, signing.privateKey, (manifest) => ({ ...manifest, rollbackIndex: -1 }));
    expect(await refused(bundle)).toMatch(/\[MANIFEST_INVALID\].*rollbackIndex: /);
    const other = copyOfGood();
    resign(other, signing.privateKey, (manifest) => {
      (manifest.partitions as Record<string, unknown>[])[1]!.sha256 = 'not-a-hash';
    });
    expect(await refused(other)).toMatch(/\[MANIFEST_INVALID\].*partitions\[1\]\.sha256: SHA-256/);
  });

  it('partition file missing', async () => {
    const bundle = copyOfGood();
    rmSync(join(bundle, 'images', 'boot.img'));
    expect(await refused(bundle)).toMatch(/\[FILE_MISSING\].*no file images\/boot\.img/);
  });

  it('partition file of the wrong size', async () => {
    const bundle = copyOfGood();
    appendFileSync(join(bundle, 'images', 'boot.img'), 'x');
    expect(await refused(bundle)).toMatch(/\[FILE_SIZE_MISMATCH\].*is 300001 bytes, but the signed manifest says 300000/);
  });

  it('partition file with the wrong hash', async () => {
    const bundle = copyOfGood();
    const path = join(bundle, 'images', 'boot.img');
    const bytes = readFileSync(path);
    bytes[1234] = (bytes[1234] ?? 0) ^ 1;
    writeFileSync(path, bytes);
    expect(await refused(bundle)).toMatch(/\[FILE_HASH_MISMATCH\].*partition boot\) has SHA-256/);
  });

  it('duplicate partition names', async () => {
    const bundle = copyOfGood();
    resign(bundle, signing.privateKey, (manifest) => {
      const partitions = manifest.partitions as unknown[];
      partitions.push(partitions[0]);
    });
    expect(await refused(bundle)).toMatch(/\[DUPLICATE_PARTITION\].*partition 'boot' twice/);
  });

  it('absolute and ".." paths in the manifest', async () => {
    for (const file of ['/etc/passwd', 'images/../../outside.img']) {
      const bundle = copyOfGood();
      resign(bundle, signing.privateKey, (manifest) => {
        (manifest.partitions as Record<string, unknown>[])[0]!.file = file;
      });
      expect(await refused(bundle)).toMatch(/\[UNSAFE_PATH\].*partitions\[0\]\.file names .*absolute, contains "\.\."/);
    }
  });

  it('a symlink in a directory bundle, even to an identical file', async () => {
    const bundle = copyOfGood();
    const image = join(bundle, 'images', 'boot.img');
    renameSync(image, join(work.path, 'bad', `outside-${counter}.img`));
    symlinkSync(join(work.path, 'bad', `outside-${counter}.img`), image);
    expect(await refused(bundle)).toMatch(/\[SYMLINK\].*images\/boot\.img in the bundle is a symbolic link/);
    const dirLink = copyOfGood();
    renameSync(join(dirLink, 'images'), join(dirLink, 'real-images'));
    symlinkSync('real-images', join(dirLink, 'images'));
    expect(await refused(dirLink)).toMatch(/\[SYMLINK\].*images in the bundle is a symbolic link/);
  });

  it('zip entries: absolute path, "..", symlink, duplicate name', async () => {
    const entries = entriesOf(good);
    const extra = (name: string, mode?: number): CraftEntry[] => [...entries, { name, data: Buffer.from('images/boot.img'), mode }];
    expect(await refused(await writeZip(extra('xevil.img'), (zip) => renameEntry(zip, 'xevil.img', '/evil.img')))).toMatch(/\[UNSAFE_PATH\].*entry \/evil\.img/);
    expect(await refused(await writeZip(extra('zz/evil.img'), (zip) => renameEntry(zip, 'zz/evil.img', '../evil.img')))).toMatch(/\[UNSAFE_PATH\].*entry \.\.\/evil\.img/);
    expect(await refused(await writeZip(extra('images/link.img', 0o120777)))).toMatch(/\[SYMLINK\].*entry images\/link\.img is a symbolic link/);
    expect(await refused(await writeZip(extra('images/boot.imh'), (zip) => renameEntry(zip, 'images/boot.imh', 'images/boot.img')))).toMatch(
      /\[DUPLICATE_ENTRY\].*two entries named images\/boot\.img/,
    );
  });

  it('zip entries whose real size differs from the declared size (deflate bomb, stored lie)', async () => {
    const entries = entriesOf(good);
    const boot = entries.find((entry) => entry.name === 'images/boot.img')!;
    const bomb = entries.map((entry) => (entry === boot ? { ...entry, data: Buffer.concat([boot.data, Buffer.alloc(1_000_000)]), compress: true } : entry));
    expect(await refused(await writeZip(bomb, (zip) => declareSize(zip, 'images/boot.img', boot.data.length)))).toMatch(
      /\[ZIP_SIZE_MISMATCH\].*images\/boot\.img in the bundle zip does not hold the size its header declares/,
    );
    expect(await refused(await writeZip(entries, (zip) => declareSize(zip, 'images/boot.img', boot.data.length + 10, 'compressed')))).toMatch(/\[ZIP_SIZE_MISMATCH\]/);
  });

  it('zip entries that are encrypted or use another compression method', async () => {
    const entries = entriesOf(good).map((entry) => ({ ...entry, compress: true }));
    expect(await refused(await writeZip(entries, (zip) => declareMethod(zip, 'images/boot.img', 12)))).toMatch(/\[ZIP_UNSUPPORTED\].*images\/boot\.img uses compression method 12/);
    const encrypted = (zip: Buffer): Buffer => {
      const out = Buffer.from(zip);
      const central = out.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
      out.writeUInt16LE(out.readUInt16LE(central + 8) | 1, central + 8);
      return out;
    };
    expect(await refused(await writeZip(entries, encrypted))).toMatch(/\[ZIP_UNSUPPORTED\].*is encrypted/);
  });

  it('a manifest over 1 MiB, in a directory and as a tiny deflated zip entry', async () => {
    const bundle = copyOfGood();
    writeFileSync(join(bundle, 'manifest.json'), ' '.repeat(1024 * 1024 + 1));
    expect(await refused(bundle)).toMatch(/\[MANIFEST_TOO_LARGE\].*1048577 bytes, over the 1048576-byte limit/);
    const huge = entriesOf(good).map((entry) => (entry.name === 'manifest.json' ? { ...entry, data: Buffer.alloc(64 * 1024 * 1024, 0x20), compress: true } : entry));
    expect(await refused(await writeZip(huge))).toMatch(/\[MANIFEST_TOO_LARGE\]/);
  });

  it('a bundle for another product, hardware revision, newer bootloader, or a rollback', async () => {
    const handset = { product: 'lockstep-ref', 'hw-rev': 'B2', bootloader: 'LSBL-1.4.2', 'rollback-index': '4' };
    const args = (facts: Record<string, string>) => Object.entries(facts).flatMap(([name, value]) => [`--${name}`, value]);
    const fits = capture();
    expect(await main(['bundle', 'verify', good, '--trust', signing.trustDir, ...args(handset)], fits)).toBe(0);
    expect(fits.stdout()).toContain('fits the handset described');
    expect(await refused(good, args({ ...handset, product: 'other-phone' }))).toMatch(/\[WRONG_PRODUCT\] the handset's product is other-phone; this bundle is for lockstep-ref/);
    expect(await refused(good, args({ ...handset, 'hw-rev': 'A1' }))).toMatch(/\[WRONG_HARDWARE_REVISION\].*revision A1; this bundle supports B2/);
    expect(await refused(good, args({ ...handset, bootloader: 'LSBL-1.1.9' }))).toMatch(/\[BOOTLOADER_TOO_OLD\].*LSBL-1\.1\.9 is older than the LSBL-1\.2\.0/);
    expect(await refused(good, args({ ...handset, 'rollback-index': '5' }))).toMatch(/\[ROLLBACK\].*index is 5, above this bundle's 4/);
  });

  it('reports a refusal as JSON with --json, still exiting 1', async () => {
    const bundle = copyOfGood();
    rmSync(join(bundle, 'manifest.sig'));
    const io = capture();
    expect(await main(['bundle', 'verify', bundle, '--trust', signing.trustDir, '--json'], io)).toBe(1);
    expect(JSON.parse(io.stdout())).toMatchObject({ valid: false, code: 'UNSIGNED' });
  });
});
