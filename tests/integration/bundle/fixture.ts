// Shared by the bundle tests: a temp folder, a signing key with its trust folder, small images and
// a way to re-sign a deliberately broken manifest (so each check after the signature is reached).
import { execFileSync } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBundle, type BundleCreateOptions } from '../../../src/main/bundle/create.ts';
import { BundleError } from '../../../src/main/bundle/errors.ts';
import { generateSigningKeyPair, parseKeyPem } from '../../../src/main/bundle/keys.ts';
import { signManifest } from '../../../src/main/bundle/signature.ts';
import { loadTrustStore, type TrustStore } from '../../../src/main/bundle/trust-store.ts';
import type { CliIo } from '../../../src/main/cli/io.ts';

export function tempDir(label: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `lockstep-${label}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function capture(): CliIo & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return { out: (text) => void (out += text), err: (text) => void (err += text), isTty: false, stdout: () => out, stderr: () => err };
}

export interface SigningSetup {
  readonly privateKey: KeyObject;
  readonly privateKeyPath: string;
  readonly trustDir: string;
  readonly keyId: string;
  readonly trust: TrustStore;
}

/** A fresh key: private PEM in `dir/keys`, public PEM alone in `dir/trust`. */
export async function signingSetup(dir: string): Promise<SigningSetup> {
  const pair = generateSigningKeyPair();
  const keys = join(dir, 'keys');
  const trustDir = join(dir, 'trust');
  mkdirSync(keys, { recursive: true });
  mkdirSync(trustDir, { recursive: true });
  const privateKeyPath = join(keys, 'signing.key.pem');
  writeFileSync(privateKeyPath, pair.privateKeyPem, { mode: 0o600 });
  writeFileSync(join(trustDir, 'signing.pub.pem'), pair.publicKeyPem);
  const privateKey = parseKeyPem(pair.privateKeyPem, privateKeyPath).key;
  return { privateKey, privateKeyPath, trustDir, keyId: pair.keyId, trust: await loadTrustStore({ stationDir: join(dir, 'no-station-keys'), userDirs: [trustDir] }) };
}

/** Deterministic bytes that do not compress (a counter through SHA-256 would be slower for no gain). */
export function patternBytes(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

/** A raw image and a sparse one made by AOSP's img2simg from a raw image with a zero gap. */
export function writeImages(dir: string): { boot: string; system: string; systemRaw: string } {
  mkdirSync(dir, { recursive: true });
  const boot = join(dir, 'boot.img');
  const systemRaw = join(dir, 'system.raw');
  const system = join(dir, 'system.simg');
  writeFileSync(boot, patternBytes(300_000, 7));
  writeFileSync(systemRaw, Buffer.concat([patternBytes(64 * 1024, 11), Buffer.alloc(256 * 1024), patternBytes(40 * 1024, 13)]));
  execFileSync('img2simg', [systemRaw, system]);
  return { boot, system, systemRaw };
}

export async function buildBundle(out: string, images: { boot: string; system: string }, privateKey: KeyObject, overrides: Partial<BundleCreateOptions> = {}) {
  return createBundle({
    products: ['lockstep-ref'],
    hardwareRevisions: ['B2'],
    version: '2.1.0',
    minBootloaderVersion: 'LSBL-1.2.0',
    rollbackIndex: 4,
    partitions: [
      { name: 'boot', path: images.boot, bootSlot: 'active' },
      { name: 'system', path: images.system, bootSlot: 'active' },
    ],
    fuses: ['CAMERA_DISABLE', 'GPS_DISABLE'],
    lockBootloader: true,
    signingKeys: [privateKey],
    out,
    ...overrides,
  });
}

/** Rewrites a directory bundle's manifest through `edit` and signs the result with `privateKey`. */
export function resign(bundleDir: string, privateKey: KeyObject, edit: (manifest: Record<string, unknown>) => unknown): void {
  const manifest = JSON.parse(readFileSync(join(bundleDir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  const bytes = Buffer.from(`${JSON.stringify(edit(manifest) ?? manifest, null, 2)}\n`);
  writeFileSync(join(bundleDir, 'manifest.json'), bytes);
  writeFileSync(join(bundleDir, 'manifest.sig'), signManifest(bytes, [privateKey]));
}


/** How a bundle operation ended: `CODE: message` for a BundleError, 'accepted' when it succeeded. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof BundleError ? `${error.code}: ${error.message}` : `unexpected ${String(error)}`;
  }
  return 'accepted';
}
