import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/**
 * An image to flash: its size in bytes and a way to read it from the start. Splitting a sparse
 * image larger than the device's download buffer opens it twice (one read plans the pieces a step
 * ahead of the one that sends them), so `open` must return a fresh stream of the same bytes each time.
 */
export interface ImageSource {
  readonly size: number;
  open(): AsyncIterable<Uint8Array>;
}

/** Read size: large enough that per-chunk overhead vanishes, small enough to keep memory flat. */
const READ_CHUNK = 1024 * 1024;

export async function imageSourceFromPath(path: string): Promise<ImageSource> {
  const info = await stat(path);
  if (!info.isFile()) throw new Error(`${path} is not a regular file`);
  return { size: info.size, open: () => createReadStream(path, { highWaterMark: READ_CHUNK }) };
}
