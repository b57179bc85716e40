// A bundle stored as a plain directory. Files are opened with O_NOFOLLOW and checked through the
// opened handle, and every folder on the way is checked with lstat, so a symlink cannot point the
// station at a file outside the bundle, not even one swapped in while the station is looking.
import { constants, createReadStream, type Stats } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isSafeBundlePath } from '../../shared/bundle.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { sparseSkeleton } from '../../lib/sparse/skeleton.ts';
import type { BundleContainer, ContainerFile } from './bundle-container.ts';
import { BundleError, fileAccessError } from './errors.ts';
import { READ_CHUNK_BYTES } from './layout.ts';

export function openDirectoryContainer(location: string): BundleContainer {
  const root = resolve(location);
  return {
    kind: 'directory',
    location: root,
    async readSmallFile(path, maxBytes, tooLarge) {
      const opened = await openInside(root, path);
      if (!opened) return null;
      const { handle, info } = opened;
      try {
        if (info.size > maxBytes) throw tooLarge(info.size);
        return await readWhole(handle, info.size, path);
      } catch (error) {
        throw fileAccessError(inBundle(path), displaySafe(path), error);
      } finally {
        await handle.close();
      }
    },
    async stat(path) {
      const { handle, info } = await mustOpen(root, path);
      await handle.close();
      return identityOf(path, info);
    },
    async *read(path, signal) {
      const { handle } = await mustOpen(root, path);
      try {
        yield* createReadStream('', { fd: handle, highWaterMark: READ_CHUNK_BYTES, signal });
      } catch (error) {
        throw fileAccessError(inBundle(path), displaySafe(path), error);
      } finally {
        // createReadStream closes the handle itself; closing it again is harmless.
        await handle.close().catch(() => undefined);
      }
    },
    async *readSparseLayout(path) {
      const { handle, info } = await mustOpen(root, path);
      try {
        yield* sparseSkeleton(handle, info.size);
      } catch (error) {
        throw fileAccessError(inBundle(path), displaySafe(path), error);
      } finally {
        await handle.close();
      }
    },
    async close() {},
  };
}

/**
 * All `size` bytes of a small file, through its open handle. A read may return fewer bytes than
 * asked, so it loops; one byte more than `size` is asked for, so a file that grows or shrinks while
 * it is read (its signature would then be refused for a misleading reason) is named as such.
 */
async function readWhole(handle: FileHandle, size: number, path: string): Promise<Uint8Array> {
  const bytes = Buffer.alloc(size + 1);
  let total = 0;
  while (total <= size) {
    const { bytesRead } = await handle.read(bytes, total, bytes.length - total, total);
    if (bytesRead === 0) break;
    total += bytesRead;
  }
  if (total !== size) {
    throw new BundleError(
      'FILE_UNREADABLE',
      `cannot read ${inBundle(path)}: it changed while the station read it (${size} bytes when opened, ${total > size ? 'more' : total} when read). Something is writing into the bundle: wait until it has finished, or copy the bundle again.`,
      { detail: 'FILE_CHANGED_WHILE_READ', params: { file: displaySafe(path) } },
    );
  }
  return bytes.subarray(0, size);
}

function identityOf(path: string, info: { size: number; mtimeMs: number; ino: number; dev: number }): ContainerFile {
  return { size: info.size, identity: `dir:${path}:${info.size}:${info.mtimeMs}:${info.dev}:${info.ino}`, layoutReadable: true };
}

async function mustOpen(root: string, path: string): Promise<OpenedFile> {
  const opened = await openInside(root, path);
  if (!opened) {
    throw new BundleError('FILE_MISSING', `the bundle has no file ${displaySafe(path)}, which the manifest names: the bundle is incomplete. Copy it again from its source.`, {
      detail: 'BUNDLE_FILE_MISSING',
      params: { file: displaySafe(path) },
    });
  }
  return opened;
}

interface OpenedFile {
  readonly handle: FileHandle;
  /** The opened file's own stat, not its path's. */
  readonly info: Stats;
}

/** Never follow a link as the file itself, and never wait for a writer if the file is a FIFO. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Opens a regular file below `root`; null when it does not exist. Checking a path and then opening
 * it leaves a moment in which the file can be swapped, so the open itself refuses a symlink and the
 * opened handle is what must be a regular file. O_NOFOLLOW covers only the last component: the
 * folders on the way are checked after the open, and the path must then still lead to the very file
 * opened, so a folder swapped for a link and back around the open is caught too.
 */
async function openInside(root: string, path: string): Promise<OpenedFile | null> {
  if (!isSafeBundlePath(path)) {
    throw new BundleError('UNSAFE_PATH', `the bundle names the file ${displaySafe(path)}, which is absolute, contains "..", or has forbidden characters: refused.`, {
      detail: 'UNSAFE_FILE_NAME',
      params: { file: displaySafe(path) },
    });
  }
  const segments = path.split('/');
  const full = join(root, ...segments);
  let handle: FileHandle;
  try {
    handle = await open(full, OPEN_FLAGS);
  } catch (error) {
    // A wrong folder on the way explains the failure better than the open's own error.
    if (!(await foldersOnPath(root, segments))) return null;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    // Linux and macOS say ELOOP for an O_NOFOLLOW open of a link, FreeBSD says EMLINK.
    if (code === 'ELOOP' || code === 'EMLINK') throw symlinkError(path);
    throw fileAccessError(inBundle(path), displaySafe(path), error);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw wrongType(path, 'regular file', 'NOT_A_FILE');
    await foldersOnPath(root, segments);
    const now = await lstat(full);
    if (now.isSymbolicLink()) throw symlinkError(path);
    if (now.dev !== info.dev || now.ino !== info.ino) {
      throw new BundleError('FILE_UNREADABLE', `cannot read ${inBundle(path)}: it was replaced while the station opened it. Something is changing the bundle: stop it, copy the bundle again and verify it again.`, {
        detail: 'FILE_REPLACED',
        params: { file: displaySafe(path) },
      });
    }
    return { handle, info };
  } catch (error) {
    await handle.close();
    throw fileAccessError(inBundle(path), displaySafe(path), error);
  }
}

/** Checks, with lstat, that every folder on the way to the file is a real folder; false when one does not exist. */
async function foldersOnPath(root: string, segments: readonly string[]): Promise<boolean> {
  let current = root;
  for (let index = 0; index < segments.length - 1; index++) {
    current = join(current, segments[index] as string);
    let info;
    try {
      info = await lstat(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw fileAccessError(inBundle(segments.join('/')), displaySafe(segments.join('/')), error);
    }
    const shown = segments.slice(0, index + 1).join('/');
    if (info.isSymbolicLink()) throw symlinkError(shown);
    if (!info.isDirectory()) throw wrongType(shown, 'directory', 'NOT_A_FOLDER');
  }
  return true;
}

function symlinkError(path: string): BundleError {
  return new BundleError('SYMLINK', `${displaySafe(path)} in the bundle is a symbolic link: bundles must hold real files only. Refused.`, {
    detail: 'SYMLINK_IN_BUNDLE',
    params: { file: displaySafe(path) },
  });
}

/** `detail`: the finding as the UI words it, NOT_A_FILE or NOT_A_FOLDER. */
function wrongType(path: string, expected: string, detail: string): BundleError {
  return new BundleError('CONTAINER_INVALID', `${displaySafe(path)} in the bundle is not a ${expected}.`, { detail, params: { file: displaySafe(path) } });
}

function inBundle(path: string): string {
  return `${displaySafe(path)} in the bundle`;
}
