// The only way the flasher reads an image: each block is held back until the hash of everything
// read so far equals the checkpoint recorded when the bundle was verified, so a byte that changed
// after verification is never handed out, never downloaded, and `flash:` is never sent for it.
// Handsets flashing the same verified partition at the same time share one such read (shared-read.ts).
import type { ManifestPartition } from '../../shared/bundle.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import type { ImageSource } from '../../lib/sparse/image-source.ts';
import { openContainer } from './container.ts';
import { BundleError, ImageChangedError, throwIfCancelled } from './errors.ts';
import { PrefixDigester, type FileDigests } from './prefix-digest.ts';
import { SharedRead } from './shared-read.ts';
import type { VerifiedBundle, VerifiedPartition } from './verify.ts';

/**
 * Checkpoint blocks a shared read keeps for the handsets behind the fastest: 16 × 4 MiB lets
 * handsets that start within a couple of seconds of each other, at one link rate, share every block.
 */
const SHARED_WINDOW_BLOCKS = 16;

/** The shared reads of each verified partition, for as long as the verified bundle is in use. */
const sharedReads = new WeakMap<VerifiedPartition, SharedRead>();

/** The flasher's image source, where each `open()` is a fresh, checked read. */
export interface VerifiedImage extends ImageSource {
  readonly partition: ManifestPartition;
}

export function verifiedImage(bundle: VerifiedBundle, partitionName: string, signal?: AbortSignal): VerifiedImage {
  const verified = bundle.partitions.find((entry) => entry.partition.name === partitionName);
  if (!verified) {
    throw new BundleError('FILE_MISSING', `the verified bundle has no partition ${displaySafe(partitionName)}.`, {
      detail: 'NO_SUCH_PARTITION',
      params: { partition: displaySafe(partitionName) },
    });
  }
  let shared = sharedReads.get(verified);
  if (!shared) {
    // No signal: the shared read serves every handset; each one's own cancellation stops only its reading.
    shared = new SharedRead(() => checkedRead(bundle.location, verified.partition, verified.digests), SHARED_WINDOW_BLOCKS);
    sharedReads.set(verified, shared);
  }
  const reads = shared;
  return {
    partition: verified.partition,
    size: verified.digests.size,
    open: () => cancellable(reads.read(signal), signal),
    // A sparse image larger than the download buffer is planned a piece ahead of sending; planning
    // from the shared checked read pulled it a piece ahead of the senders, out of their window, so
    // each handset read and hashed the image again on its own. A directory's file or a zip's stored
    // entry gives the chunk headers alone (unchecked, and enough to plan: what is sent is the checked
    // read, and a plan that does not match it stops the flash). A deflated entry cannot be read at an
    // offset, so it is planned from the checked read as before (bundle create never deflates images).
    ...(verified.layoutReadable ? { openLayout: () => layoutRead(bundle.location, verified.partition) } : {}),
  };
}

/** The image's sparse structure, read again from the bundle; failing to read it is the image changing. */
async function* layoutRead(location: string, partition: ManifestPartition): AsyncGenerator<Uint8Array> {
  yield* withImageChangeErrors(partition, () => 0, async function* () {
    const container = await openContainer(location);
    try {
      yield* container.readSparseLayout(partition.file);
    } finally {
      await container.close();
    }
  });
}

/** The image's verified blocks, each a buffer of its own (a shared read holds blocks for several handsets). */
async function* checkedRead(location: string, partition: ManifestPartition, trusted: FileDigests): AsyncGenerator<Uint8Array> {
  const digester = new PrefixDigester(trusted.blockSize);
  const block = new BlockBuffer();
  for await (const chunk of reread(location, partition, () => digester.size)) {
    for (let at = 0; at < chunk.length; ) {
      const piece = chunk.subarray(at, at + trusted.blockSize - block.length);
      at += piece.length;
      if (digester.size + piece.length > trusted.size) {
        throw new ImageChangedError(partition.name, trusted.size, `the file is now longer than the ${trusted.size} bytes verified`);
      }
      digester.update(piece);
      block.add(piece);
      if (block.length === trusted.blockSize) {
        const index = digester.checkpoints.length - 1;
        if (!digester.checkpoints[index]?.equals(trusted.checkpoints[index] ?? Buffer.alloc(0))) {
          throw new ImageChangedError(partition.name, index * trusted.blockSize, `block ${index} differs from the verified image`);
        }
        yield block.take();
      }
    }
  }
  const whole = digester.finish();
  if (whole.size !== trusted.size) {
    throw new ImageChangedError(partition.name, whole.size, `the file ended after ${whole.size} of the ${trusted.size} bytes verified`);
  }
  if (whole.sha256 !== trusted.sha256) {
    throw new ImageChangedError(partition.name, whole.size - block.length, 'the last block differs from the verified image');
  }
  if (block.length > 0) yield block.take();
}

/** A cancelled reader's failure is CANCELLED, whatever it was waiting for when it was cancelled. */
async function* cancellable(blocks: AsyncGenerator<Uint8Array>, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  try {
    yield* blocks;
  } catch (error) {
    throwIfCancelled(signal);
    throw error;
  }
}

/** The file read again. Failing to (bundle gone, zip rewritten or damaged) is the image changing. */
function reread(location: string, partition: ManifestPartition, position: () => number): AsyncGenerator<Uint8Array> {
  return withImageChangeErrors(partition, position, async function* () {
    const container = await openContainer(location);
    try {
      yield* container.read(partition.file);
    } finally {
      await container.close();
    }
  });
}

/** A read of the bundle again, where a BundleError (file gone, rewritten, damaged) is the image changing at `position`. */
async function* withImageChangeErrors(partition: ManifestPartition, position: () => number, read: () => AsyncGenerator<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* read();
  } catch (error) {
    if (error instanceof BundleError && !(error instanceof ImageChangedError)) {
      throw new ImageChangedError(partition.name, position(), error.message);
    }
    throw error;
  }
}

/** Collects the pieces of one block; hands them out as one buffer, copying only when the block straddled reads. */
class BlockBuffer {
  #pieces: Uint8Array[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  add(piece: Uint8Array): void {
    this.#pieces.push(piece);
    this.#length += piece.length;
  }

  take(): Uint8Array {
    const out = this.#pieces.length === 1 ? (this.#pieces[0] as Uint8Array) : Buffer.concat(this.#pieces, this.#length);
    this.#pieces = [];
    this.#length = 0;
    return out;
  }
}
