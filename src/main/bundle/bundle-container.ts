// A bundle's files, wherever they are stored (container.ts opens one). Both containers refuse unsafe
// paths and symlinks and hand out files as streams, so a multi-gigabyte image is never loaded whole.
import type { BundleError } from './errors.ts';

export interface ContainerFile {
  readonly size: number;
  /** Changes whenever the stored file may have changed (path, size, mtime, inode): the verification cache key. */
  readonly identity: string;
  /** Stored contiguously, uncompressed: `readSparseLayout` can read it (a directory's file, a zip's stored entry). */
  readonly layoutReadable: boolean;
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
   * For a file whose `stat` says `layoutReadable`: a sparse image's structure without its RAW data
   * (sparse/skeleton.ts), a read of its chunk headers only. Unchecked: for planning alone.
   */
  readSparseLayout(path: string): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}
