import type { BundleErrorCode } from '../../shared/bundle.ts';
import { CodedError, type CodedErrorOptions } from '../../shared/coded-error.ts';
import { displaySafe } from '../../shared/untrusted.ts';

/** A bundle, or one of its files, that must not be flashed. `code` names the bad input; the message says what to do. */
export class BundleError extends CodedError<BundleErrorCode> {
  constructor(code: BundleErrorCode, message: string, options?: CodedErrorOptions) {
    super(code, message, options);
    this.name = 'BundleError';
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
    super('IMAGE_CHANGED', `image changed during flashing: ${partition} at byte ${offset} (${detail}). Nothing from this piece was flashed; re-verify the bundle before trying again.`, {
      params: { partition, offset: String(offset) },
    });
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

/**
 * What the operating system said when a bundle file could not be opened or read, as the
 * BundleError an operator can act on, naming the file (`what` in the station's sentence, `file` the
 * escaped name the UI's words quote). Errors that are not system errors (a BundleError, a bug) are
 * returned unchanged.
 */
export function fileAccessError(what: string, file: string, error: unknown): unknown {
  if (error instanceof BundleError || !isSystemError(error)) return error;
  const known = SYSTEM_ERROR_ADVICE[error.code];
  const [code, detail, advice] = known ?? ['FILE_UNREADABLE', 'FILE_SYSTEM_REFUSED', `the system refused to read it (${error.code}): check the disk and the bundle's permissions, then try again.`];
  const params: Record<string, string> = known ? { file } : { file, error: displaySafe(error.code, 40) };
  return new BundleError(code, `cannot read ${what}: ${advice}`, { cause: error, detail, params });
}

/** Each system error: the bundle code, the finding the UI words, and the station's advice. */
const SYSTEM_ERROR_ADVICE: Readonly<Record<string, readonly [BundleErrorCode, string, string]>> = {
  EACCES: ['FILE_UNREADABLE', 'FILE_ACCESS_DENIED', "permission denied. Give the station's user read access to the whole bundle (or copy it to a folder it can read) and try again."],
  EPERM: ['FILE_UNREADABLE', 'FILE_ACCESS_DENIED', "the operation is not permitted. Give the station's user read access to the whole bundle (or copy it to a folder it can read) and try again."],
  EIO: ['FILE_UNREADABLE', 'FILE_IO_ERROR', 'the disk or medium reported an I/O error. Copy the bundle to a healthy disk and verify it again.'],
  ENOENT: ['FILE_MISSING', 'FILE_VANISHED', 'it vanished while the station was reading it. Something is changing the bundle: stop it, copy the bundle again and verify it again.'],
  ENOTDIR: ['CONTAINER_INVALID', 'FILE_PATH_CHANGED', 'a folder on its path is not a folder any more. Something is changing the bundle: stop it, copy the bundle again and verify it again.'],
  EISDIR: ['CONTAINER_INVALID', 'FILE_IS_FOLDER', 'it is a folder, not a file. Copy the bundle again from its source.'],
  ELOOP: ['SYMLINK', 'FILE_IS_SYMLINK', 'it is a symbolic link, and bundles must hold real files only. Refused.'],
};

function isSystemError(error: unknown): error is NodeJS.ErrnoException & { code: string } {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}
