import type { BundleErrorCode } from '../../shared/bundle.ts';

/** A bundle, or one of its files, that must not be flashed. `code` names the bad input; the message says what to do. */
export class BundleError extends Error {
  readonly code: BundleErrorCode;
  constructor(code: BundleErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BundleError';
    this.code = code;
  }
}

/**
 * An image whose bytes, read again while flashing, differ from the bytes that were verified.
 * The flasher must not send `flash:` for the piece it was reading, and the handset is marked
 * "image changed during flashing".
 */
export class ImageChangedError extends BundleError {
  readonly partition: string;
  /** The first byte of the block in which the difference was found (or the size seen, for a length change). */
  readonly offset: number;
  constructor(partition: string, offset: number, detail: string) {
    super('IMAGE_CHANGED', `image changed during flashing: ${partition} at byte ${offset} (${detail}). Nothing from this piece was flashed; re-verify the bundle before trying again.`);
    this.name = 'ImageChangedError';
    this.partition = partition;
    this.offset = offset;
  }
}

/** The caller's AbortSignal fired: verification or reading stopped, nothing was half-accepted. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new BundleError('CANCELLED', 'bundle verification was cancelled; nothing was accepted.', { cause: signal.reason });
}

/**
 * The ImageChangedError behind a flashing failure, however many layers wrapped it (the flasher
 * reports a failed read as its own error with the original as `cause`), so the pipeline can mark
 * the handset "image changed during flashing". Null when the failure had another reason.
 */
export function findImageChange(error: unknown): ImageChangedError | null {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) {
    if (current instanceof ImageChangedError) return current;
  }
  return null;
}
