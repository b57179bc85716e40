// Verification beyond the CLI: progress, cancellation, the batch cache, containers, and sparse
// images whose structure or expansion does not match the signed manifest.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findImageChange } from '../../../src/main/bundle/errors.ts';
import { verifiedImage } from '../../../src/main/bundle/image-source.ts';
import { READ_CHUNK_BYTES } from '../../../src/main/bundle/layout.ts';
import { signManifest } from '../../../src/main/bundle/signature.ts';
import { loadTrustStore } from '../../../src/main/bundle/trust-store.ts';
import { VerificationCache } from '../../../src/main/bundle/verification-cache.ts';
import { verifyBundle, type VerificationProgress } from '../../../src/main/bundle/verify.ts';
import { buildBundle, codeOf, patternBytes, resign, signingSetup, tempDir, writeImages, type SigningSetup } from './fixture.ts';
import { entriesOf, zipBytes } from './zip-craft.ts';

const work = tempDir('bundle-verify');
afterAll(() => work.remove());

let signing: SigningSetup;
let images: ReturnType<typeof writeImages>;
let bundle: string;
let counter = 0;

beforeAll(async () => {
  signing = await signingSetup(work.path);
  images = writeImages(work.path);
  bundle = join(work.path, 'bundle');
  await buildBundle(bundle, images, signing.privateKey);
});


async function variant(edit: (manifest: Record<string, unknown>) => unknown): Promise<string> {
  const out = join(work.path, `variant-${counter++}`);
  await buildBundle(out, images, signing.privateKey);
  resign(out, signing.privateKey, edit);
  return out;
}

describe('verifyBundle', () => {
  it('reports progress per partition up to the total, then the signer and manifest', async () => {
    const steps: VerificationProgress[] = [];
    const result = await verifyBundle(bundle, { trust: signing.trust, onProgress: (step) => steps.push(step) });
    expect(result.signer.keyId).toBe(signing.keyId);
    expect(result.fromCache).toBe(false);
    const total = result.manifest.partitions.reduce((sum, partition) => sum + partition.size, 0);
    expect(steps.at(-1)).toMatchObject({ partition: 'system', overallDone: total, overallTotal: total });
    expect(steps.every((step, index) => index === 0 || step.overallDone >= (steps[index - 1]?.overallDone ?? 0))).toBe(true);
  });

  it('stops with CANCELLED when the signal fires, before or during hashing', async () => {
    const before = new AbortController();
    before.abort();
    expect(await codeOf(verifyBundle(bundle, { trust: signing.trust, signal: before.signal }))).toMatch(/^CANCELLED: /);
    const during = new AbortController();
    const run = verifyBundle(bundle, { trust: signing.trust, signal: during.signal, onProgress: () => during.abort() });
    expect(await codeOf(run)).toMatch(/^CANCELLED: /);
  });

  it('reuses a batch cache entry only while every file keeps its identity', async () => {
    const cache = new VerificationCache();
    const copy = join(work.path, 'cached');
    await buildBundle(copy, images, signing.privateKey);
    expect((await verifyBundle(copy, { trust: signing.trust, cache })).fromCache).toBe(false);
    let progressed = false;
    const second = await verifyBundle(copy, { trust: signing.trust, cache, onProgress: () => (progressed = true) });
    expect(second.fromCache).toBe(true);
    expect(progressed).toBe(false);
    utimesSync(join(copy, 'images', 'boot.img'), new Date(), new Date(Date.now() + 5_000));
    expect((await verifyBundle(copy, { trust: signing.trust, cache })).fromCache).toBe(false);
    const path = join(copy, 'images', 'boot.img');
    const bytes = readFileSync(path);
    bytes[0] = (bytes[0] ?? 0) ^ 0xff;
    writeFileSync(path, bytes);
    expect(await codeOf(verifyBundle(copy, { trust: signing.trust, cache }))).toMatch(/^FILE_HASH_MISMATCH: /);
  });

  it('reads a zip whose entries are deflated as well as one whose entries are stored', async () => {
    const deflated = join(work.path, 'deflated.zip');
    writeFileSync(deflated, await zipBytes(entriesOf(bundle).map((entry) => ({ ...entry, compress: true }))));
    const stored = join(work.path, 'stored.zip');
    await buildBundle(stored, images, signing.privateKey);
    for (const zip of [deflated, stored]) expect((await verifyBundle(zip, { trust: signing.trust })).kind).toBe('zip');
  });

  it('gives a sparse image its layout apart from its data where it is stored uncompressed, in a folder or a zip', async () => {
    const deflated = join(work.path, 'deflated-layout.zip');
    writeFileSync(deflated, await zipBytes(entriesOf(bundle).map((entry) => ({ ...entry, compress: true }))));
    const stored = join(work.path, 'stored-layout.zip');
    await buildBundle(stored, images, signing.privateKey);
    const layoutOf = async (location: string): Promise<Buffer | null> => {
      const image = verifiedImage(await verifyBundle(location, { trust: signing.trust }), 'system');
      if (!image.openLayout) return null;
      const parts: Uint8Array[] = [];
      for await (const part of image.openLayout()) parts.push(part);
      return Buffer.concat(parts);
    };
    const folderLayout = await layoutOf(bundle);
    expect(folderLayout?.length).toBe(statSync(join(bundle, 'images', 'system.img')).size);
    // The zip's stored entry yields the very same skeleton (headers as stored, RAW data as zeros).
    expect((await layoutOf(stored))?.equals(folderLayout ?? Buffer.alloc(0))).toBe(true);
    // A deflated entry can only be read from its start: it is planned from its checked read instead.
    expect(await layoutOf(deflated)).toBeNull();
  });

  it("stops a stored zip entry's layout read at a local header damaged after verification, as an image change", async () => {
    const location = join(work.path, 'damaged-header.zip');
    await buildBundle(location, images, signing.privateKey);
    const image = verifiedImage(await verifyBundle(location, { trust: signing.trust }), 'system');
    const zip = readFileSync(location);
    // The first time the name appears is in the entry's local header, which ends with it (30 bytes of fields, then the name).
    const header = zip.indexOf(Buffer.from(image.partition.file)) - 30;
    expect(zip.readUInt32LE(header)).toBe(0x04034b50);
    zip.writeUInt32LE(0x04034b51, header);
    writeFileSync(location, zip);
    let failure: unknown = null;
    try {
      for await (const part of image.openLayout?.() ?? []) void part;
    } catch (error) {
      failure = error;
    }
    expect(findImageChange(failure)?.message).toMatch(/^image changed during flashing: system at byte 0 \(the bundle zip entry images\/system\.img has no local header/);
  });

  it('refuses a file marked sparse that is not a sparse image, and an expansion other than the signed one', async () => {
    const notSparse = await variant((manifest) => {
      const boot = (manifest.partitions as Record<string, unknown>[])[0]!;
      boot.sparse = true;
      boot.expanded = { size: 300_000, sha256: 'b'.repeat(64) };
    });
    expect(await codeOf(verifyBundle(notSparse, { trust: signing.trust }))).toMatch(/^SPARSE_INVALID: images\/boot\.img .* is marked sparse but is not a valid sparse image/);
    const wrongHash = await variant((manifest) => {
      (manifest.partitions as { expanded: { sha256: string } }[])[1]!.expanded.sha256 = 'c'.repeat(64);
    });
    expect(await codeOf(verifyBundle(wrongHash, { trust: signing.trust }))).toMatch(/^EXPANDED_MISMATCH: /);
    const wrongSize = await variant((manifest) => {
      (manifest.partitions as { expanded: { size: number } }[])[1]!.expanded.size = 1024 ** 4;
    });
    expect(await codeOf(verifyBundle(wrongSize, { trust: signing.trust }))).toMatch(new RegExp(`^EXPANDED_MISMATCH: .*expands to ${statSync(images.systemRaw).size} bytes`));
  });

  it('names the sparse problem, not a truncation, for images larger than one read', async () => {
    const dir = join(work.path, 'large');
    mkdirSync(dir);
    const raw = join(dir, 'large.img');
    const sparse = join(dir, 'large.simg');
    writeFileSync(raw, patternBytes(READ_CHUNK_BYTES + 512 * 1024, 5));
    execFileSync('img2simg', [raw, sparse]);
    const large = { boot: raw, system: sparse };
    const edit = async (change: (partitions: { sparse: boolean; expanded: { size: number; sha256: string } }[]) => void): Promise<string> => {
      const out = join(work.path, `variant-${counter++}`);
      await buildBundle(out, large, signing.privateKey);
      resign(out, signing.privateKey, (manifest) => change(manifest.partitions as never));
      return out;
    };
    const notSparse = await edit(([boot]) => {
      boot!.sparse = true;
      boot!.expanded = { size: boot!.expanded.size, sha256: 'b'.repeat(64) };
    });
    expect(await codeOf(verifyBundle(notSparse, { trust: signing.trust }))).toMatch(/^SPARSE_INVALID: images\/boot\.img .* is marked sparse but is not a valid sparse image/);
    const wrongSize = await edit(([, system]) => {
      system!.expanded.size += 4096;
    });
    expect(await codeOf(verifyBundle(wrongSize, { trust: signing.trust }))).toMatch(new RegExp(`^EXPANDED_MISMATCH: images/system\\.img .* expands to ${statSync(raw).size} bytes`));
  });

  it('reports a sparse image that cannot be read as unreadable, not as a truncated or wrongly sized image', async () => {
    const copy = join(work.path, `variant-${counter++}`);
    await buildBundle(copy, images, signing.privateKey);
    const system = join(copy, 'images', 'system.img');
    let swapped = false;
    const onProgress = (step: VerificationProgress): void => {
      if (swapped || step.partition !== 'boot') return;
      swapped = true;
      rmSync(system);
      mkdirSync(system);
    };
    expect(await codeOf(verifyBundle(copy, { trust: signing.trust, onProgress }))).toMatch(/^CONTAINER_INVALID: images\/system\.img in the bundle is not a regular file/);
  });

  it('says what is wrong with something that is not a bundle', async () => {
    expect(await codeOf(verifyBundle(join(work.path, 'nothing-here'), { trust: signing.trust }))).toMatch(/^BUNDLE_NOT_FOUND: /);
    expect(await codeOf(verifyBundle(images.boot, { trust: signing.trust }))).toMatch(/^CONTAINER_INVALID: .* is not a readable zip file/);
    expect(await codeOf(verifyBundle(join(work.path, 'keys'), { trust: signing.trust }))).toMatch(/^MANIFEST_MISSING: /);
  });
});

describe('a UTF-8 byte-order mark (EF BB BF)', () => {
  const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

  function withManifest(manifest: Buffer, sign: boolean): string {
    const copy = join(work.path, `bom-${counter++}`);
    cpSync(bundle, copy, { recursive: true });
    writeFileSync(join(copy, 'manifest.json'), manifest);
    if (sign) writeFileSync(join(copy, 'manifest.sig'), signManifest(manifest, [signing.privateKey]));
    return copy;
  }

  it('before a manifest: refused, whether added after signing or signed with it', async () => {
    const withBom = Buffer.concat([BOM, readFileSync(join(bundle, 'manifest.json'))]);
    expect(await codeOf(verifyBundle(withManifest(withBom, false), { trust: signing.trust }))).toMatch(/^BAD_SIGNATURE: /);
    // Signed over these exact bytes, yet JSON has no BOM and other readers refuse it: the station reads no other text than they do.
    expect(await codeOf(verifyBundle(withManifest(withBom, true), { trust: signing.trust }))).toMatch(
      /^MANIFEST_INVALID: manifest\.json is not valid UTF-8 JSON \(it starts with a UTF-8 byte-order mark \(EF BB BF\)/,
    );
  });

  it('before a zip entry name: a different name, not the manifest', async () => {
    const zip = join(work.path, `bom-${counter++}.zip`);
    const entries = entriesOf(bundle).map((entry) => (entry.name === 'manifest.json' ? { ...entry, name: '\uFEFFmanifest.json' } : entry));
    writeFileSync(zip, await zipBytes(entries));
    expect(await codeOf(verifyBundle(zip, { trust: signing.trust }))).toMatch(
      /^UNSAFE_PATH: the bundle zip holds the entry \\uFEFFmanifest\.json/,
    );
  });

  it('before a trusted public key: accepted, since PEM ignores text outside its armour and the key id is of the key itself', async () => {
    const trustDir = join(work.path, `bom-trust-${counter++}`);
    mkdirSync(trustDir);
    writeFileSync(join(trustDir, 'signing.pub.pem'), Buffer.concat([BOM, readFileSync(join(signing.trustDir, 'signing.pub.pem'))]));
    const trust = await loadTrustStore({ stationDir: join(work.path, 'no-station-keys'), userDirs: [trustDir] });
    expect([...trust.keys.keys()]).toEqual([signing.keyId]);
    expect((await verifyBundle(bundle, { trust })).signer.keyId).toBe(signing.keyId);
  });
});
