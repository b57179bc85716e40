import { createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Replaces `path` so that after a crash, a kill or a full disk it holds either its old content or
 * all of the new one, never a half-written file: stream into a sibling, fsync it, rename it over
 * the target, then fsync the directory, where the rename itself lives.
 */
export async function replaceFileDurably(
  path: string,
  content: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>,
  mode: number,
): Promise<void> {
  const partial = `${path}.partial-${process.pid}`;
  // A leftover of a crashed process that had the same pid (common in containers); 'wx' below then
  // refuses anything that appears at that name meanwhile, a planted symlink included.
  await rm(partial, { force: true });
  try {
    await pipeline(Readable.from(content), createWriteStream(partial, { flags: 'wx', mode }));
    await syncPath(partial);
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  // Windows cannot open a directory to flush it; NTFS journals the rename itself.
  if (process.platform !== 'win32') await syncPath(dirname(path));
}

async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
