import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { sparseSkeleton } from './skeleton.ts';

/**
 * An image to flash: its size in bytes and a way to read it from the start. Splitting a sparse
 * image larger than the device's download buffer opens it twice (one read plans the pieces a step
 * ahead of the one that sends them), so `open` must return a fresh stream of the same bytes each time.
 */
export interface ImageSource {
  readonly size: number;
  open(): AsyncIterable<Uint8Array>;
  /**
   * Optional, for files: the same bytes with RAW chunk payloads as zeros (see sparse/skeleton.ts),
   * far cheaper to read. The splitter then plans from it and validates the whole layout up front.
   */
  openLayout?(): AsyncIterable<Uint8Array>;
}

/** Read size: large enough that per-chunk overhead vanishes, small enough to keep memory flat. */
const READ_CHUNK = 1024 * 1024;

export async function imageSourceFromPath(path: string): Promise<ImageSource> {
  const info = await stat(path);
  if (!info.isFile()) throw new Error(`${path} is not a regular file`);
  return { size: info.size, open: () => createReadStream(path, { highWaterMark: READ_CHUNK }), openLayout: () => layoutOf(path, info.size) };
}

async function* layoutOf(path: string, size: number): AsyncGenerator<Uint8Array> {
  const file = await open(path, 'r');
  try {
    yield* sparseSkeleton(file, size);
  } finally {
    await file.close();
  }
}

/** Buffers in a recycling reader's ring: a chunk stays valid while this many minus one more are read. */
export const RECYCLED_CHUNKS = 8;

/**
 * Like `imageSourceFromPath`, but every read lands in one of a ring of reused buffers, so a
 * chunk is overwritten once RECYCLED_CHUNKS - 1 further chunks have been read. Only for a consumer
 * that is done with each chunk by then (the fastboot download: its transports resolve a send once
 * the bytes are handed to the kernel or the device). It keeps a multi-gigabyte flash from leaving
 * a gigabyte of garbage buffers between two collections, which is what would drive peak memory.
 */
export async function recyclingImageSourceFromPath(path: string): Promise<ImageSource> {
  const { size, openLayout } = await imageSourceFromPath(path);
  return {
    size,
    openLayout,
    open: async function* () {
      const file = await open(path, 'r');
      try {
        const ring = Array.from({ length: RECYCLED_CHUNKS }, () => Buffer.allocUnsafeSlow(READ_CHUNK));
        for (let next = 0; ; next = (next + 1) % RECYCLED_CHUNKS) {
          const buffer = ring[next] as Buffer;
          const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
          if (bytesRead === 0) return;
          yield buffer.subarray(0, bytesRead);
        }
      } finally {
        await file.close();
      }
    },
  };
}
