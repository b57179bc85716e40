// Opening a bundle's files, wherever they are stored: a directory or a zip file (each its own
// module, implementing bundle-container.ts, which neither imports this one back).
import { stat } from 'node:fs/promises';
import { displaySafe } from '../../shared/untrusted.ts';
import type { BundleContainer } from './bundle-container.ts';
import { BundleError, fileAccessError } from './errors.ts';
import { openDirectoryContainer } from './directory-container.ts';
import { openZipContainer } from './zip-container.ts';

export type { BundleContainer, ContainerFile } from './bundle-container.ts';

export async function openContainer(location: string): Promise<BundleContainer> {
  let info;
  try {
    info = await stat(location);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new BundleError('BUNDLE_NOT_FOUND', `no bundle at ${displaySafe(location)}: pass a bundle directory or a .zip file.`, { params: { path: displaySafe(location) } });
    }
    throw fileAccessError(`the bundle ${displaySafe(location)}`, displaySafe(location), error);
  }
  if (info.isDirectory()) return openDirectoryContainer(location);
  if (info.isFile()) return openZipContainer(location, info);
  throw new BundleError('CONTAINER_INVALID', `${displaySafe(location)} is neither a directory nor a zip file.`, {
    detail: 'BUNDLE_NOT_FOLDER_OR_ZIP',
    params: { path: displaySafe(location) },
  });
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
