// Writing an export file so that a crash or a full disk never leaves a half-written file under the
// final name: write a sibling temporary file, fsync it, then rename it into place.
import { createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RecordsError } from './errors.ts';

const CHUNK_CHARS = 1 << 16;

/** Groups many short strings into ~64 KiB chunks, so the stream sees few large writes. */
export function* inChunks(parts: Iterable<string>): Generator<string> {
  let pending = '';
  for (const part of parts) {
    pending += part;
    if (pending.length >= CHUNK_CHARS) {
      yield pending;
      pending = '';
    }
  }
  if (pending.length > 0) yield pending;
}

export async function writeFileAtomically(path: string, content: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>): Promise<void> {
  const partial = `${path}.partial-${process.pid}`;
  try {
    await pipeline(Readable.from(content), createWriteStream(partial, { flags: 'wx', mode: 0o644 }));
    const handle = await open(partial, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    if (error instanceof RecordsError) throw error;
    throw new RecordsError(`cannot write ${path}: ${(error as Error).message}. Check the path, its permissions and free space.`);
  }
}
