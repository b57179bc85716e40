// Builds a signed bundle from image files: hash each image once (and expand it if sparse), write
// the manifest and its signatures, copy everything into a directory or a zip, then verify the
// result against the signing keys before it appears under its final name. A crash or a failure
// leaves only a `.partial` file or folder, never something that looks like a finished bundle.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, lstat, mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { DEMO_KEY_LABEL, manifestSchema, MANIFEST_SCHEMA_VERSION, type BundleManifest, type ManifestPartition, type SlotHandling } from '../../shared/bundle.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { firstIssue } from '../../shared/zod-issues.ts';
import { isSparseImage } from '../../lib/sparse/reader.ts';
import { BundleError } from './errors.ts';
import { digestImage } from './image-digest.ts';
import { keyIdOf } from './keys.ts';
import { imagePathFor, MANIFEST_FILE, READ_CHUNK_BYTES, SIGNATURE_FILE } from './layout.ts';
import { manifestSha256, serializeManifest } from './manifest.ts';
import { signManifest } from './signature.ts';
import { verifyBundle, type VerifiedBundle } from './verify.ts';

export interface PartitionInput {
  readonly name: string;
  /** The image file to put in the bundle. */
  readonly path: string;
  /** Undefined: detected from the file's first bytes (the sparse magic). */
  readonly sparse?: boolean;
  readonly slot?: SlotHandling;
}

export interface BundleCreateOptions {
  readonly products: readonly string[];
  readonly hardwareRevisions: readonly string[] | 'any';
  readonly version: string;
  readonly buildId?: string;
  readonly createdAt?: Date;
  readonly minBootloaderVersion?: string | null;
  readonly rollbackIndex?: number;
  readonly partitions: readonly PartitionInput[];
  readonly fuses: readonly string[];
  readonly lockBootloader: boolean;
  readonly signingKeys: readonly KeyObject[];
  /** A directory to create, or a path ending in .zip. */
  readonly out: string;
  readonly onProgress?: (partition: string, bytesDone: number, bytesTotal: number) => void;
  /** Labels the signing key in errors; the demo generator passes the DEMO label. */
  readonly demo?: boolean;
}

export class BundleCreateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleCreateError';
  }
}

const PLACEHOLDER_SHA256 = '0'.repeat(64);

export async function createBundle(options: BundleCreateOptions): Promise<VerifiedBundle> {
  if (options.signingKeys.length === 0) throw new BundleCreateError('a bundle needs at least one signing key (--key).');
  const draft = draftManifest(options);
  await refuseExisting(options.out);
  const partitions: ManifestPartition[] = [];
  for (const [index, input] of options.partitions.entries()) {
    partitions.push({ ...(draft.partitions[index] as ManifestPartition), ...(await describeImage(input, options.onProgress)) });
  }
  const manifest = manifestSchema.parse({ ...draft, partitions });
  const manifestBytes = serializeManifest(manifest);
  const signatures = signManifest(manifestBytes, options.signingKeys);
  const partial = `${options.out}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  try {
    if (options.out.endsWith('.zip')) await writeZip(partial, manifest, manifestBytes, signatures, options.partitions);
    else await writeDirectory(partial, manifest, manifestBytes, signatures, options.partitions);
    const verified = await verifyWithSigners(partial, options.signingKeys, Boolean(options.demo), manifestSha256(manifestBytes));
    await rename(partial, options.out);
    return { ...verified, location: options.out };
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
}

/** Checks every field the operator gave before any image is hashed, so a typo costs nothing. */
function draftManifest(options: BundleCreateOptions): BundleManifest {
  const createdAt = options.createdAt ?? new Date();
  const draft = {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    products: [...options.products],
    hardwareRevisions: options.hardwareRevisions === 'any' ? 'any' : [...options.hardwareRevisions],
    version: options.version,
    buildId: options.buildId ?? `${options.version.slice(0, 100)}-${createdAt.toISOString().replace(/[-:.]/g, '').slice(0, 15)}`,
    createdAt: createdAt.toISOString(),
    minBootloaderVersion: options.minBootloaderVersion ?? null,
    rollbackIndex: options.rollbackIndex ?? 0,
    partitions: options.partitions.map((input) => ({
      name: input.name,
      file: imagePathFor(input.name),
      size: 0,
      sha256: PLACEHOLDER_SHA256,
      sparse: false,
      expanded: { size: 0, sha256: PLACEHOLDER_SHA256 },
      slot: input.slot ?? 'none',
    })),
    policy: { fuses: [...options.fuses], lockBootloader: options.lockBootloader },
  };
  const parsed = manifestSchema.safeParse(draft);
  if (!parsed.success) {
    const { field, message } = firstIssue(parsed.error);
    throw new BundleCreateError(`invalid bundle field ${field ?? '(top level)'}: ${message}.`);
  }
  const names = new Set(options.partitions.map((input) => input.name));
  if (names.size !== options.partitions.length) throw new BundleCreateError('a partition is named twice: each --partition NAME must be distinct.');
  return parsed.data;
}

async function refuseExisting(out: string): Promise<void> {
  const exists = await lstat(out).then(
    () => true,
    () => false,
  );
  if (exists) throw new BundleCreateError(`${displaySafe(out)} already exists: choose a new output path (a bundle is never overwritten).`);
  await mkdir(dirname(out), { recursive: true });
}

async function describeImage(input: PartitionInput, onProgress: BundleCreateOptions['onProgress']): Promise<Pick<ManifestPartition, 'size' | 'sha256' | 'sparse' | 'expanded'>> {
  const info = await lstat(input.path).catch(() => null);
  const image = `${displaySafe(input.path)} (partition ${displaySafe(input.name)})`;
  if (!info?.isFile()) throw new BundleCreateError(`image ${image} is not a regular file.`);
  const sparse = input.sparse ?? (await startsWithSparseMagic(input.path));
  const { file, expanded } = await digestImage(createReadStream(input.path, { highWaterMark: READ_CHUNK_BYTES }), {
    sparse,
    onChunk: (_chunk, done) => onProgress?.(input.name, done, info.size),
  });
  if (expanded instanceof Error) {
    throw new BundleCreateError(
      `${image} is not a valid sparse image: ${expanded.message}. Pass a raw image, or rebuild it with img2simg.`,
    );
  }
  return { size: file.size, sha256: file.sha256, sparse, expanded: expanded ?? { size: file.size, sha256: file.sha256 } };
}

async function startsWithSparseMagic(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const first = Buffer.alloc(4);
    const { bytesRead } = await handle.read(first, 0, 4, 0);
    return isSparseImage(first.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

async function writeDirectory(dir: string, manifest: BundleManifest, manifestBytes: Uint8Array, signatures: Uint8Array, inputs: readonly PartitionInput[]): Promise<void> {
  for (const [index, partition] of manifest.partitions.entries()) {
    const target = join(dir, partition.file);
    await mkdir(dirname(target), { recursive: true });
    await copyFile((inputs[index] as PartitionInput).path, target);
  }
  await writeFile(join(dir, MANIFEST_FILE), manifestBytes);
  await writeFile(join(dir, SIGNATURE_FILE), signatures);
}

async function writeZip(path: string, manifest: BundleManifest, manifestBytes: Uint8Array, signatures: Uint8Array, inputs: readonly PartitionInput[]): Promise<void> {
  const zip = new yazl.ZipFile();
  // A fixed timestamp keeps a rebuilt bundle byte-identical; images are stored so flashing can stream them without inflating.
  const mtime = new Date(manifest.createdAt);
  zip.addBuffer(Buffer.from(manifestBytes), MANIFEST_FILE, { mtime, mode: 0o100644 });
  zip.addBuffer(Buffer.from(signatures), SIGNATURE_FILE, { mtime, mode: 0o100644 });
  for (const [index, partition] of manifest.partitions.entries()) {
    const source = createReadStream((inputs[index] as PartitionInput).path, { highWaterMark: READ_CHUNK_BYTES });
    zip.addReadStream(source, partition.file, { mtime, mode: 0o100644, compress: false, size: partition.size });
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(path, { flags: 'wx' }));
}

/** The bundle just written must verify against the keys that signed it, or it is not kept. */
async function verifyWithSigners(location: string, keys: readonly KeyObject[], demo: boolean, expectedManifest: string): Promise<VerifiedBundle> {
  const trusted = new Map(
    keys.map((key) => {
      const publicKey = createPublicKey(key);
      const keyId = keyIdOf(publicKey);
      return [keyId, { keyId, publicKey, label: demo ? DEMO_KEY_LABEL : 'signing key', demo }] as const;
    }),
  );
  const verified = await verifyBundle(location, { trust: { keys: trusted, demo, warnings: [] } });
  if (verified.manifestSha256 !== expectedManifest) throw new BundleError('MANIFEST_INVALID', 'the written manifest differs from the one signed.');
  return verified;
}
