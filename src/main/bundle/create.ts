// Builds a signed bundle from image files: re-sparse each image where that makes it smaller (blocks
// that repeat one 32-bit value become FILL chunks, see lib/sparse/resparse.ts and docs/fastboot.md),
// hash what the bundle will hold (and expand it if sparse), write the manifest and its signatures,
// write everything into a directory or a zip, then verify the result against the signing keys
// before it appears under its final name. A crash or a failure leaves only a `.partial` file or
// folder, never something that looks like a finished bundle.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, lstat, mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import {
  DEMO_KEY_LABEL,
  manifestSchema,
  MANIFEST_SCHEMA_VERSION,
  type BundleCreateErrorCode,
  type BundleManifest,
  type ManifestPartition,
  type BootSlotHandling,
} from '../../shared/bundle.ts';
import { CodedError, type CodedErrorOptions } from '../../shared/coded-error.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { firstIssue } from '../../shared/zod-issues.ts';
import { isSparseImage, SparseFormatError } from '../../lib/sparse/reader.ts';
import { measureResparse, ResparseChangedError, resparsedImage } from '../../lib/sparse/resparse.ts';
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
  readonly bootSlot?: BootSlotHandling;
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

export class BundleCreateError extends CodedError<BundleCreateErrorCode> {
  constructor(code: BundleCreateErrorCode, message: string, options?: CodedErrorOptions) {
    super(code, message, options);
    this.name = 'BundleCreateError';
  }
}

const PLACEHOLDER_SHA256 = '0'.repeat(64);

export async function createBundle(options: BundleCreateOptions): Promise<VerifiedBundle> {
  if (options.signingKeys.length === 0) throw new BundleCreateError('CREATE_OPTIONS_INVALID', 'a bundle needs at least one signing key (--key).', { detail: 'CREATE_NO_SIGNING_KEY' });
  const draft = draftManifest(options);
  await refuseExisting(options.out);
  const partitions: ManifestPartition[] = [];
  const images: BundledImage[] = [];
  for (const [index, input] of options.partitions.entries()) {
    const { image, fields } = await describeImage(input, options.onProgress);
    images.push(image);
    partitions.push({ ...(draft.partitions[index] as ManifestPartition), ...fields });
  }
  const manifest = manifestSchema.parse({ ...draft, partitions });
  const manifestBytes = serializeManifest(manifest);
  const signatures = signManifest(manifestBytes, options.signingKeys);
  const partial = `${options.out}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  try {
    if (options.out.endsWith('.zip')) await writeZip(partial, manifest, manifestBytes, signatures, images);
    else await writeDirectory(partial, manifest, manifestBytes, signatures, images);
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
      bootSlot: input.bootSlot ?? 'none',
    })),
    policy: { fuses: [...options.fuses], lockBootloader: options.lockBootloader },
  };
  const parsed = manifestSchema.safeParse(draft);
  if (!parsed.success) {
    const { field, message } = firstIssue(parsed.error);
    throw new BundleCreateError('CREATE_OPTIONS_INVALID', `invalid bundle field ${field ?? '(top level)'}: ${message}.`, {
      detail: 'CREATE_FIELD_INVALID',
      params: { field: field ?? '—' },
    });
  }
  const names = new Set(options.partitions.map((input) => input.name));
  if (names.size !== options.partitions.length) {
    throw new BundleCreateError('CREATE_OPTIONS_INVALID', 'a partition is named twice: each --partition NAME must be distinct.', { detail: 'CREATE_PARTITION_TWICE' });
  }
  return parsed.data;
}

async function refuseExisting(out: string): Promise<void> {
  const exists = await lstat(out).then(
    () => true,
    () => false,
  );
  if (exists) {
    throw new BundleCreateError('CREATE_OUTPUT_EXISTS', `${displaySafe(out)} already exists: choose a new output path (a bundle is never overwritten).`, {
      detail: 'CREATE_OUTPUT_EXISTS',
      params: { path: displaySafe(out) },
    });
  }
  await mkdir(dirname(out), { recursive: true });
}

/** What the bundle holds for one partition: the file as given, or its re-sparsed form. */
interface BundledImage {
  readonly path: string;
  /** Its bytes as they go into the bundle, from the start, each time it is called. */
  open(): AsyncIterable<Uint8Array>;
  /** The file as given: copied byte for byte. */
  readonly asGiven: boolean;
}

type ImageFields = Pick<ManifestPartition, 'size' | 'sha256' | 'sparse' | 'expanded'>;

/**
 * Reads the image twice: once to measure its re-sparsed form, once to hash what the bundle will hold.
 * The re-sparsed form is kept only when it is smaller, so a bundle never grows (random data stays raw);
 * a raw image then becomes sparse, and its expanded size is rounded up to whole 4 KiB blocks, the tail
 * zero-padded: that is what the partition holds after the flash, and what its hash must cover.
 */
async function describeImage(input: PartitionInput, onProgress: BundleCreateOptions['onProgress']): Promise<{ image: BundledImage; fields: ImageFields }> {
  const info = await lstat(input.path).catch(() => null);
  const params = { file: displaySafe(input.path), partition: displaySafe(input.name) };
  const label = `${params.file} (partition ${params.partition})`;
  if (!info?.isFile()) throw new BundleCreateError('CREATE_IMAGE_INVALID', `image ${label} is not a regular file.`, { detail: 'CREATE_IMAGE_NOT_FILE', params });
  const sparse = input.sparse ?? (await startsWithSparseMagic(input.path));
  // Progress counts both reads of the file.
  const read = (pass: number): AsyncIterable<Uint8Array> => counted(input.path, (done) => onProgress?.(input.name, pass * info.size + done, 2 * info.size));
  const invalid = (error: Error): BundleCreateError =>
    new BundleCreateError('CREATE_IMAGE_INVALID', `${label} is not a valid sparse image: ${error.message}. Pass a raw image, or rebuild it with img2simg.`, {
      cause: error,
      detail: 'CREATE_IMAGE_NOT_SPARSE',
      params,
    });
  const layout = await measureResparse(read(0), { sparse }).catch((error: unknown) => {
    throw error instanceof SparseFormatError ? invalid(error) : error;
  });
  const resparse = layout.size < info.size ? layout : null;
  const bytes = (source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> => (resparse ? resparsedImage(source, resparse, { sparse }) : source);
  const image: BundledImage = { path: input.path, asGiven: resparse === null, open: () => changedAsCreateError(params, bytes(counted(input.path))) };
  const { file, expanded } = await digestImage(changedAsCreateError(params, bytes(read(1))), { sparse: sparse || resparse !== null });
  if (expanded instanceof Error) throw invalid(expanded);
  return { image, fields: { size: file.size, sha256: file.sha256, sparse: sparse || resparse !== null, expanded: expanded ?? { size: file.size, sha256: file.sha256 } } };
}

/** The file's bytes in large reads, each read reported as the running total. */
async function* counted(path: string, onBytes?: (done: number) => void): AsyncGenerator<Uint8Array> {
  let done = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }) as AsyncIterable<Buffer>) {
    done += chunk.length;
    onBytes?.(done);
    yield chunk;
  }
}

/** An image edited while `bundle create` reads it is the operator's to fix, said in their terms. */
async function* changedAsCreateError(params: { file: string; partition: string }, source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* source;
  } catch (error) {
    if (error instanceof ResparseChangedError) {
      const label = `${params.file} (partition ${params.partition})`;
      throw new BundleCreateError('CREATE_IMAGE_CHANGED', `${label} changed while it was read (${error.message}): create the bundle again once nothing writes to it.`, {
        cause: error,
        detail: 'CREATE_IMAGE_CHANGED',
        params,
      });
    }
    throw error;
  }
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

async function writeDirectory(dir: string, manifest: BundleManifest, manifestBytes: Uint8Array, signatures: Uint8Array, images: readonly BundledImage[]): Promise<void> {
  for (const [index, partition] of manifest.partitions.entries()) {
    const target = join(dir, partition.file);
    const image = images[index] as BundledImage;
    await mkdir(dirname(target), { recursive: true });
    if (image.asGiven) await copyFile(image.path, target);
    else await pipeline(Readable.from(image.open()), createWriteStream(target, { flags: 'wx' }));
  }
  await writeFile(join(dir, MANIFEST_FILE), manifestBytes);
  await writeFile(join(dir, SIGNATURE_FILE), signatures);
}

async function writeZip(path: string, manifest: BundleManifest, manifestBytes: Uint8Array, signatures: Uint8Array, images: readonly BundledImage[]): Promise<void> {
  const zip = new yazl.ZipFile();
  // A failing image read is reported on the ZipFile, not its output (a PassThrough): end the output with it, or the write would wait forever.
  zip.on('error', (error: Error) => (zip.outputStream as Readable).destroy(error));
  // A fixed timestamp keeps a rebuilt bundle byte-identical; images are stored so flashing can stream them without inflating.
  const mtime = new Date(manifest.createdAt);
  zip.addBuffer(Buffer.from(manifestBytes), MANIFEST_FILE, { mtime, mode: 0o100644 });
  zip.addBuffer(Buffer.from(signatures), SIGNATURE_FILE, { mtime, mode: 0o100644 });
  for (const [index, partition] of manifest.partitions.entries()) {
    const source = Readable.from((images[index] as BundledImage).open());
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
