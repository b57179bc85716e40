// Bundle verification: signature first, then every file's size and SHA-256 (and, for a sparse
// image, its expanded size and SHA-256), streamed, with progress and cancellation. Nothing
// unverified leaves this module: the flasher reads images through the VerifiedBundle it returns.
import type { BundleManifest, BundleSigner, BundleVerificationProgress, ManifestPartition } from '../../shared/bundle.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { SparseFormatError } from '../../lib/sparse/reader.ts';
import { withContainer, type BundleContainer, type ContainerFile } from './container.ts';
import { BundleError, throwIfCancelled } from './errors.ts';
import { digestImage } from './image-digest.ts';
import type { FileDigests } from './prefix-digest.ts';
import { readSignedManifest } from './signed-manifest.ts';
import { ExpandedSizeError } from './sparse-digest.ts';
import type { TrustStore } from './trust-store.ts';
import { VerificationCache } from './verification-cache.ts';

export interface VerifiedPartition {
  readonly partition: ManifestPartition;
  readonly digests: FileDigests;
  /** Its sparse structure can be read apart from its data (container.readSparseLayout): planning a split then reads only that. */
  readonly layoutReadable: boolean;
}

export interface VerifiedBundle {
  readonly location: string;
  readonly kind: BundleContainer['kind'];
  readonly manifest: BundleManifest;
  readonly manifestSha256: string;
  readonly signer: BundleSigner;
  readonly partitions: readonly VerifiedPartition[];
  /** True when the file hashes came from the batch's cache rather than a fresh read. */
  readonly fromCache: boolean;
}

export interface VerificationProgress extends BundleVerificationProgress {
  readonly overallDone: number;
  readonly overallTotal: number;
}

export interface VerifyOptions {
  readonly trust: TrustStore;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: VerificationProgress) => void;
  readonly cache?: VerificationCache;
}

export async function verifyBundle(location: string, options: VerifyOptions): Promise<VerifiedBundle> {
  throwIfCancelled(options.signal);
  return withContainer(location, async (container) => {
    const signed = await readSignedManifest(container, options.trust);
    const { manifest } = signed;
    const files: ContainerFile[] = [];
    for (const partition of manifest.partitions) {
      const file = await container.stat(partition.file);
      if (file.size !== partition.size) throw sizeMismatch(partition, file.size);
      files.push(file);
    }
    const key = VerificationCache.key(signed.sha256, files.map((file) => file.identity));
    const cached = options.cache?.get(key);
    const overallTotal = manifest.partitions.reduce((sum, partition) => sum + partition.size, 0);
    let overallDone = 0;
    const digests: FileDigests[] = [];
    for (const partition of cached ? [] : manifest.partitions) {
      const onBytes = (bytesDone: number, added: number): void => {
        overallDone += added;
        options.onProgress?.({ partition: partition.name, bytesDone, bytesTotal: partition.size, overallDone, overallTotal });
      };
      digests.push(await verifyFile(container, partition, onBytes, options.signal));
    }
    if (!cached) options.cache?.set(key, digests);
    const partitions = manifest.partitions.map((partition, index) => ({
      partition,
      digests: (cached ?? digests)[index] as FileDigests,
      layoutReadable: files[index]?.layoutReadable === true,
    }));
    return { location: container.location, kind: container.kind, manifest, manifestSha256: signed.sha256, signer: signed.signer, partitions, fromCache: Boolean(cached) };
  });
}

async function verifyFile(container: BundleContainer, partition: ManifestPartition, onBytes: (done: number, added: number) => void, signal?: AbortSignal): Promise<FileDigests> {
  let digest;
  try {
    digest = await digestImage(container.read(partition.file, signal), {
      sparse: partition.sparse,
      expectedExpandedSize: partition.expanded.size,
      onChunk(chunk, bytesSoFar) {
        throwIfCancelled(signal);
        if (bytesSoFar > partition.size) throw sizeMismatch(partition, bytesSoFar, true);
        onBytes(bytesSoFar, chunk.length);
      },
    });
  } catch (error) {
    throwIfCancelled(signal);
    throw error;
  }
  const { file, expanded } = digest;
  if (file.size !== partition.size) throw sizeMismatch(partition, file.size);
  if (file.sha256 !== partition.sha256) {
    throw new BundleError('FILE_HASH_MISMATCH', `${displaySafe(partition.file)} (partition ${partition.name}) has SHA-256 ${file.sha256}, but the signed manifest says ${partition.sha256}: the image was altered or damaged. Do not flash it; copy the bundle again from its source.`, {
      params: { ...imageParams(partition), sha256: file.sha256, expected: partition.sha256 },
    });
  }
  if (expanded instanceof SparseFormatError) {
    throw new BundleError('SPARSE_INVALID', `${displaySafe(partition.file)} (partition ${partition.name}) is marked sparse but is not a valid sparse image (${expanded.message}): the bundle was built wrongly; rebuild it.`, {
      params: imageParams(partition),
    });
  }
  if (expanded instanceof ExpandedSizeError) throw expandedMismatch(partition, expanded.declared);
  if (expanded && (expanded.size !== partition.expanded.size || expanded.sha256 !== partition.expanded.sha256)) throw expandedMismatch(partition, expanded.size);
  return file;
}

/** The image a finding is about, as the UI's words name it: its file in the bundle and its partition. */
function imageParams(partition: ManifestPartition): Record<string, string> {
  return { file: displaySafe(partition.file), partition: partition.name };
}

/** `atLeast`: the size is a lower bound (the file grew while it was read). */
function sizeMismatch(partition: ManifestPartition, actual: number, atLeast = false): BundleError {
  return new BundleError(
    'FILE_SIZE_MISMATCH',
    `${displaySafe(partition.file)} (partition ${partition.name}) is ${atLeast ? 'at least ' : ''}${actual} bytes, but the signed manifest says ${partition.size}: the image was altered, truncated or damaged. Copy the bundle again from its source.`,
    { ...(atLeast ? { detail: 'FILE_SIZE_AT_LEAST' } : {}), params: { ...imageParams(partition), bytes: String(actual), expected: String(partition.size) } },
  );
}

function expandedMismatch(partition: ManifestPartition, actualSize: number): BundleError {
  return new BundleError(
    'EXPANDED_MISMATCH',
    `${displaySafe(partition.file)} (partition ${partition.name}) expands to ${actualSize} bytes with a SHA-256 other than the manifest's expanded ${partition.expanded.sha256} (${partition.expanded.size} bytes): the bundle was built wrongly; rebuild it.`,
    { params: { ...imageParams(partition), bytes: String(actualSize), expected: String(partition.expanded.size) } },
  );
}
