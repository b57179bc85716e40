// A bundle stored as a plain directory. Every path component is checked with lstat, and the file
// itself is opened with O_NOFOLLOW, so a symlink cannot point the station at a file outside the
// bundle.
import { constants, createReadStream } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isSafeBundlePath } from '../../shared/bundle.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import type { BundleContainer, ContainerFile } from './container.ts';
import { BundleError, fileAccessError } from './errors.ts';
import { READ_CHUNK_BYTES } from './layout.ts';

export function openDirectoryContainer(location: string): BundleContainer {
  const root = resolve(location);
  return {
    kind: 'directory',
    location: root,
    async readSmallFile(path, maxBytes, tooLarge) {
      const handle = await openInside(root, path);
      if (!handle) return null;
      try {
        const { size } = await handle.stat();
        if (size > maxBytes) throw tooLarge(size);
        const bytes = Buffer.alloc(size);
        const { bytesRead } = await handle.read(bytes, 0, size, 0);
        return bytes.subarray(0, bytesRead);
      } catch (error) {
        throw fileAccessError(inBundle(path), error);
      } finally {
        await handle.close();
      }
    },
    async stat(path) {
      const handle = await mustOpen(root, path);
      try {
        return identityOf(path, await handle.stat());
      } finally {
        await handle.close();
      }
    },
    async *read(path, signal) {
      const handle = await mustOpen(root, path);
      try {
        yield* createReadStream('', { fd: handle, highWaterMark: READ_CHUNK_BYTES, signal });
      } catch (error) {
        throw fileAccessError(inBundle(path), error);
      }
    },
    async close() {},
  };
}

function identityOf(path: string, info: { size: number; mtimeMs: number; ino: number; dev: number }): ContainerFile {
  return { size: info.size, identity: `dir:${path}:${info.size}:${info.mtimeMs}:${info.dev}:${info.ino}` };
}

async function mustOpen(root: string, path: string): Promise<FileHandle> {
  const handle = await openInside(root, path);
  if (!handle) throw new BundleError('FILE_MISSING', `the bundle has no file ${displaySafe(path)}, which the manifest names: the bundle is incomplete. Copy it again from its source.`);
  return handle;
}

/** Opens a regular file below `root` without following any symlink; null when it does not exist. */
async function openInside(root: string, path: string): Promise<FileHandle | null> {
  if (!isSafeBundlePath(path)) {
    throw new BundleError('UNSAFE_PATH', `the bundle names the file ${displaySafe(path)}, which is absolute, contains "..", or has forbidden characters: refused.`);
  }
  const segments = path.split('/');
  let current = root;
  for (const [index, segment] of segments.entries()) {
    current = join(current, segment);
    let info;
    try {
      info = await lstat(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw fileAccessError(inBundle(path), error);
    }
    if (info.isSymbolicLink()) {
      throw new BundleError('SYMLINK', `${displaySafe(segments.slice(0, index + 1).join('/'))} in the bundle is a symbolic link: bundles must hold real files only. Refused.`);
    }
    const last = index === segments.length - 1;
    if (last ? !info.isFile() : !info.isDirectory()) {
      throw new BundleError('CONTAINER_INVALID', `${displaySafe(segments.slice(0, index + 1).join('/'))} in the bundle is not a ${last ? 'regular file' : 'directory'}.`);
    }
  }
  try {
    return await open(current, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    throw fileAccessError(inBundle(path), error);
  }
}

function inBundle(path: string): string {
  return `${displaySafe(path)} in the bundle`;
}
