// A bundle's files, wherever they are stored. Both containers refuse unsafe paths and symlinks
// and hand out files as streams, so a multi-gigabyte image is never loaded whole.
import { stat } from 'node:fs/promises';
import { displaySafe } from '../../shared/untrusted.ts';
import { BundleError, fileAccessError } from './errors.ts';
import { openDirectoryContainer } from './directory-container.ts';
import { openZipContainer } from './zip-container.ts';

export interface ContainerFile {
  readonly size: number;
  /** Changes whenever the stored file may have changed (path, size, mtime, inode): the verification cache key. */
  readonly identity: string;
}

export interface BundleContainer {
  readonly kind: 'directory' | 'zip';
  readonly location: string;
  /** A small file's bytes (manifest, signature), or null if the bundle has none; refuses files over `maxBytes`. */
  readSmallFile(path: string, maxBytes: number, tooLarge: (size: number) => BundleError): Promise<Uint8Array | null>;
  /** Size and identity of a file the manifest names; throws FILE_MISSING, UNSAFE_PATH or SYMLINK. */
  stat(path: string): Promise<ContainerFile>;
  /** The file's bytes as a stream of exactly `stat(path).size` bytes (ZIP_SIZE_MISMATCH otherwise). */
  read(path: string, signal?: AbortSignal): AsyncIterable<Uint8Array>;
  /**
   * Where the file can be read at any offset (a directory): a sparse image's structure without its
   * RAW data (sparse/skeleton.ts), a read of its chunk headers only. Unchecked: for planning alone.
   */
  readSparseLayout?(path: string): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

export async function openContainer(location: string): Promise<BundleContainer> {
  let info;
  try {
    info = await stat(location);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new BundleError('BUNDLE_NOT_FOUND', `no bundle at ${displaySafe(location)}: pass a bundle directory or a .zip file.`);
    }
    throw fileAccessError(`the bundle ${displaySafe(location)}`, error);
  }
  if (info.isDirectory()) return openDirectoryContainer(location);
  if (info.isFile()) return openZipContainer(location, info);
  throw new BundleError('CONTAINER_INVALID', `${displaySafe(location)} is neither a directory nor a zip file.`);
}

/** Runs `work` with the container open, and always closes it. */
export async function withContainer<T>(location: string, work: (container: BundleContainer) => Promise<T>): Promise<T> {
  const container = await openContainer(location);
  try {
    return await work(container);
  } finally {
    await container.close();
  }
}
