// "Flash this image into that partition": ask the device how much it takes per download, cut the
// image into pieces that fit, and for each piece download it, let the caller check it, then flash.
import { describeFailure } from '../../shared/describe-failure.ts';
import { PARTITION_NAME } from '../../shared/identifiers.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { recyclingImageSourceFromPath, type ImageSource } from '../../lib/sparse/image-source.ts';
import { SparseFormatError } from '../../lib/sparse/reader.ts';
import { splitImage, SparseSplitError, type SparsePiece } from '../../lib/sparse/split.ts';
import type { FastbootClient } from './client.ts';
import { DEFAULT_FLASH_RATE, workDeadline, type Deadline, type WorkRate } from './deadline.ts';
import { FastbootError, FastbootUsageError, FlashCheckError, FlashImageError } from './errors.ts';

export interface FlashProgress {
  readonly partition: string;
  readonly phase: 'download' | 'flash';
  /** 1-based index of the piece being sent. */
  readonly piece: number;
  readonly pieceBytesSent: number;
  readonly pieceBytes: number;
  /** How far through the image file the station has read: the honest overall progress. */
  readonly imageBytesRead: number;
  readonly imageBytes: number;
}

export interface PieceToCheck {
  readonly partition: string;
  readonly piece: number;
  readonly size: number;
  /** True for the last piece: by then the whole image has been read (and seen by `onImageBytes`). */
  readonly last: boolean;
}

export interface FlashImageOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: FlashProgress) => void;
  /** Sees every byte of the image read for sending, in order: hash it here. The chunk may be reused after the call returns. */
  readonly onImageBytes?: (bytes: Uint8Array) => void;
  /**
   * Runs after a piece is downloaded and before `flash:` commits it. Throwing stops the flash:
   * the piece is not flashed and a FlashCheckError carries the reason.
   */
  readonly checkPiece?: (piece: PieceToCheck) => void | Promise<void>;
  /** Overrides the device's max-download-size (as AOSP fastboot's `-S`), e.g. to force small pieces. */
  readonly maxDownloadSize?: number;
  /**
   * The slowest healthy flash: each piece's `flash:` must finish within its bytes at this rate plus
   * the allowance (default: the profiles' default rate). Each download's deadline follows from its
   * size too (see `FastbootClient.download`).
   */
  readonly flashRate?: WorkRate;
  /** The deadline of each `flash:` as its clock starts, and null once the device answered it (or failed to). */
  readonly onFlashDeadline?: (deadline: Deadline | null) => void;
  /** Each INFO line raw, as the device sent it: escape it (`printable`) before showing it. */
  readonly onInfo?: (text: string) => void;
}

export interface FlashImageResult {
  readonly partition: string;
  readonly pieces: number;
  readonly bytesSent: number;
  readonly imageBytes: number;
  /** The INFO lines of every command, raw. */
  readonly info: readonly string[];
}

export async function flashImage(client: FastbootClient, partition: string, image: string | ImageSource, options: FlashImageOptions = {}): Promise<FlashImageResult> {
  const command = `flash:${partition}`;
  if (!PARTITION_NAME.test(partition)) {
    throw new FastbootUsageError(
      client.device,
      displaySafe(command, 64),
      `'${displaySafe(partition, 64)}' is not a partition name (1-58 letters, digits, '_', '-', '.', starting with a letter or digit)`,
    );
  }
  const source = await openImage(client.device, command, image);
  const maxDownload = options.maxDownloadSize ?? (await client.maxDownloadSize({ signal: options.signal }));
  const info: string[] = [];
  let imageBytesRead = 0;
  let bytesSent = 0;
  let pieces = 0;
  const onImageBytes = (bytes: Uint8Array): void => {
    imageBytesRead += bytes.length;
    options.onImageBytes?.(bytes);
  };
  const report = (phase: FlashProgress['phase'], piece: number, pieceBytesSent: number, pieceBytes: number): void =>
    options.onProgress?.({ partition, phase, piece, pieceBytesSent, pieceBytes, imageBytesRead, imageBytes: source.size });
  const commandOptions = { signal: options.signal, onInfo: (text: string) => (info.push(text), options.onInfo?.(text)) };
  // Only a failure to read or split the image is the image's (IMAGE_UNREADABLE); one of the flashing's own, a fault of
  // the station's code included, goes on as it is, so a bug is never reported as a bundle to check.
  async function* imagePieces(): AsyncGenerator<SparsePiece> {
    try {
      yield* splitImage(source, maxDownload, { onSourceBytes: onImageBytes });
    } catch (error) {
      if (error instanceof FastbootError) throw error;
      if (error instanceof SparseSplitError || error instanceof SparseFormatError) {
        throw new FlashImageError(client.device, command, `${error.message}; ${pieces === 0 ? 'nothing was flashed' : `only ${pieces} piece(s) were flashed, so the partition holds a partial image`}`, { cause: error });
      }
      throw new FlashImageError(client.device, command, `reading the image failed: ${describeFailure(error)}`, { cause: error });
    }
  }
  for await (const piece of imagePieces()) {
    await client.download(piece.bytes, piece.size, { ...commandOptions, onProgress: (done, total) => report('download', piece.index, done, total) });
    if (options.checkPiece) {
      try {
        await options.checkPiece({ partition, piece: piece.index, size: piece.size, last: piece.last });
      } catch (error) {
        throw new FlashCheckError(client.device, command, piece.index, error);
      }
    }
    report('flash', piece.index, piece.size, piece.size);
    // The bytes the device writes, a FILL counted by what it covers: a 16-byte chunk may set gigabytes.
    const deadline = workDeadline(Math.max(piece.size, piece.writes), options.flashRate ?? DEFAULT_FLASH_RATE);
    try {
      await client.flash(partition, { ...commandOptions, deadlineMs: deadline.ms, deadlineBasis: deadline.basis, onDeadline: (started) => options.onFlashDeadline?.(started) });
    } finally {
      options.onFlashDeadline?.(null);
    }
    bytesSent += piece.size;
    pieces = piece.index;
  }
  return { partition, pieces, bytesSent, imageBytes: source.size, info };
}

async function openImage(device: string, command: string, image: string | ImageSource): Promise<ImageSource> {
  if (typeof image !== 'string') return image;
  try {
    // Safe here: a download is done with each chunk once its send resolves.
    return await recyclingImageSourceFromPath(image);
  } catch (error) {
    throw new FlashImageError(device, command, `cannot read the image ${displaySafe(image)}: ${describeFailure(error)}`, { cause: error });
  }
}
