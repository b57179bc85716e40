// Re-sparsing, as libsparse does when it reads a raw image in normal mode: every block that repeats
// one 32-bit value becomes part of a FILL chunk (adjacent blocks with the same value merge), every
// other block goes in a RAW chunk. A sparse image's RAW chunks are re-sparsed the same way; its FILL
// chunks stay FILL, its DONT_CARE regions stay DONT_CARE (the image leaves them undefined), its CRC32
// chunks are dropped (the station proves content with SHA-256). Blocks the image defines never
// become DONT_CARE: a partition is not guaranteed erased.
//
// A sparse file's header states its chunk count, known only once the image is read, so this runs
// twice over the same bytes: `measureResparse` reads the image and returns the layout (nothing
// kept), then `resparsedImage` streams the file with that header and fails if the second read came
// out any different. Memory stays flat whatever the image size: one RAW chunk (at most
// MAX_RAW_CHUNK_BYTES) is buffered, because its header must state its length before its data.
import { CHUNK_HEADER_SIZE, CHUNK_TYPE, readSparse, SPARSE_HEADER_SIZE, type SparseEvent } from './reader.ts';
import { RAW_BLOCK_SIZE } from './split.ts';
import { encodeChunk, encodeSparseHeader } from './writer.ts';

/** The longest RAW chunk written; a longer run of data becomes several adjacent RAW chunks. */
export const MAX_RAW_CHUNK_BYTES = 4 * 1024 * 1024;
/** The chunk header's block count and the file header's block total are 32-bit fields. */
const MAX_BLOCKS = 0xffff_ffff;

export interface ResparseLayout {
  readonly blockSize: number;
  readonly totalBlocks: number;
  readonly totalChunks: number;
  /** Bytes of the sparse file: its header and every chunk. */
  readonly size: number;
  /** Expanded bytes carried by RAW chunks, set by FILL chunks, and left DONT_CARE. */
  readonly rawBytes: number;
  readonly fillBytes: number;
  readonly dontCareBytes: number;
}

export interface ResparseOptions {
  /** Whether the source is an Android sparse image (else a raw image, its last block padded with zeros). */
  readonly sparse: boolean;
}

/** The second read of an image did not give what the first one measured. */
export class ResparseChangedError extends Error {
  constructor(detail: string) {
    super(`the image changed between the two reads that re-sparse it: ${detail}`);
    this.name = 'ResparseChangedError';
  }
}

/** First pass: the layout re-sparsing `source` gives. A malformed sparse image throws SparseFormatError. */
export async function measureResparse(source: AsyncIterable<Uint8Array>, options: ResparseOptions): Promise<ResparseLayout> {
  const chunks = resparseChunks(source, options, false);
  for (let next = await chunks.next(); ; next = await chunks.next()) if (next.done) return next.value;
}

/** Second pass: the re-sparsed file, header first, exactly `expected.size` bytes as measured. */
export async function* resparsedImage(source: AsyncIterable<Uint8Array>, expected: ResparseLayout, options: ResparseOptions): AsyncGenerator<Uint8Array> {
  yield encodeSparseHeader(expected.blockSize, expected.totalBlocks, expected.totalChunks);
  let written = SPARSE_HEADER_SIZE;
  const chunks = resparseChunks(source, options, true);
  for (let next = await chunks.next(); ; next = await chunks.next()) {
    if (next.done) {
      const got = next.value;
      const same = (Object.keys(expected) as (keyof ResparseLayout)[]).every((key) => got[key] === expected[key]);
      if (!same) throw new ResparseChangedError(`first ${describe(expected)}, then ${describe(got)}`);
      return;
    }
    written += next.value.length;
    // Stop before handing out a byte past what the header and the caller were promised.
    if (written > expected.size) throw new ResparseChangedError(`it re-sparses to more than the ${expected.size} bytes measured`);
    yield next.value;
  }
}

/** The chunks (headers and payloads, no file header) and, as the return value, the layout. */
async function* resparseChunks(source: AsyncIterable<Uint8Array>, options: ResparseOptions, keepData: boolean): AsyncGenerator<Uint8Array, ResparseLayout> {
  const events = options.sparse ? readSparse(source) : rawImageEvents(source);
  const first = await events.next();
  if (first.done || first.value.type !== 'header') throw new Error('the sparse reader gave no header');
  const blocks = new BlockAssembler(first.value.header.blockSize);
  const chunker = new Chunker(first.value.header.blockSize, keepData);
  for await (const event of events) {
    switch (event.type) {
      case 'raw':
        for (const block of blocks.add(event.data)) yield* chunker.block(block);
        break;
      case 'fill':
        yield* chunker.run('fill', event.length, event.pattern);
        break;
      case 'dont-care':
        yield* chunker.run('dont-care', event.length);
        break;
      case 'header':
      case 'crc32':
        break;
    }
  }
  for (const block of blocks.end()) yield* chunker.block(block);
  yield* chunker.flush();
  return chunker.layout();
}

/** A raw image as sparse events: a header (its block count is unknown, so zero), then its bytes as RAW data. */
async function* rawImageEvents(source: AsyncIterable<Uint8Array>): AsyncGenerator<SparseEvent> {
  const header = { majorVersion: 1, minorVersion: 0, fileHeaderSize: SPARSE_HEADER_SIZE, chunkHeaderSize: CHUNK_HEADER_SIZE, blockSize: RAW_BLOCK_SIZE, totalBlocks: 0, totalChunks: 0, imageChecksum: 0 };
  yield { type: 'header', header };
  let offset = 0;
  for await (const data of source) {
    yield { type: 'raw', offset, data };
    offset += data.length;
  }
}

/**
 * Cuts a stream of data into whole blocks. A block inside one piece of data is a view of it; one that
 * straddles pieces is copied, since a source may reuse its buffer. `end` pads a last partial block
 * with zeros (libsparse pads a raw image's tail the same way).
 */
class BlockAssembler {
  readonly #blockSize: number;
  #partial: Uint8Array;
  #partialLength = 0;

  constructor(blockSize: number) {
    this.#blockSize = blockSize;
    this.#partial = new Uint8Array(blockSize);
  }

  *add(data: Uint8Array): Generator<Uint8Array> {
    let at = 0;
    if (this.#partialLength > 0) {
      at = Math.min(data.length, this.#blockSize - this.#partialLength);
      this.#partial.set(data.subarray(0, at), this.#partialLength);
      this.#partialLength += at;
      if (this.#partialLength < this.#blockSize) return;
      yield this.#partial;
      this.#partial = new Uint8Array(this.#blockSize);
      this.#partialLength = 0;
    }
    for (; at + this.#blockSize <= data.length; at += this.#blockSize) yield data.subarray(at, at + this.#blockSize);
    this.#partial.set(data.subarray(at));
    this.#partialLength = data.length - at;
  }

  *end(): Generator<Uint8Array> {
    if (this.#partialLength === 0) return;
    this.#partial.fill(0, this.#partialLength);
    this.#partialLength = 0;
    yield this.#partial;
  }
}

type Run = { kind: 'raw'; blocks: number; data: Uint8Array | null } | { kind: 'fill'; blocks: number; pattern: Uint8Array } | { kind: 'dont-care'; blocks: number };

/** Turns blocks and regions into chunks, merging neighbours of one kind (and one fill value). */
class Chunker {
  readonly #blockSize: number;
  readonly #keepData: boolean;
  readonly #rawCapacity: number;
  #run: Run | null = null;
  #layout = { totalBlocks: 0, totalChunks: 0, size: SPARSE_HEADER_SIZE, rawBytes: 0, fillBytes: 0, dontCareBytes: 0 };

  constructor(blockSize: number, keepData: boolean) {
    this.#blockSize = blockSize;
    this.#keepData = keepData;
    this.#rawCapacity = Math.max(1, Math.floor(MAX_RAW_CHUNK_BYTES / blockSize)) * blockSize;
  }

  /** One block of data: part of a FILL when it repeats its first four bytes, else RAW. */
  *block(block: Uint8Array): Generator<Uint8Array> {
    if (repeatsOneWord(block)) {
      yield* this.run('fill', this.#blockSize, block.subarray(0, 4));
      return;
    }
    const run = this.#run;
    if (run?.kind === 'raw' && run.blocks * this.#blockSize < this.#rawCapacity) {
      run.data?.set(block, run.blocks * this.#blockSize);
      run.blocks++;
      return;
    }
    yield* this.flush();
    const data = this.#keepData ? new Uint8Array(this.#rawCapacity) : null;
    data?.set(block);
    this.#run = { kind: 'raw', blocks: 1, data };
  }

  /** `length` bytes (whole blocks) of one fill value, or left DONT_CARE. */
  *run(kind: 'fill' | 'dont-care', length: number, pattern?: Uint8Array): Generator<Uint8Array> {
    const blocks = length / this.#blockSize;
    if (blocks === 0) return;
    const run = this.#run;
    const joins = run?.kind === kind && (run.kind === 'dont-care' || (pattern !== undefined && samePattern(run.pattern, pattern)));
    if (joins && run && run.blocks + blocks <= MAX_BLOCKS) {
      run.blocks += blocks;
      return;
    }
    yield* this.flush();
    this.#run = kind === 'fill' ? { kind, blocks, pattern: Uint8Array.from(pattern ?? []) } : { kind, blocks };
  }

  *flush(): Generator<Uint8Array> {
    const run = this.#run;
    if (!run) return;
    this.#run = null;
    const bytes = run.blocks * this.#blockSize;
    const layout = this.#layout;
    layout.totalBlocks += run.blocks;
    if (layout.totalBlocks > MAX_BLOCKS) throw new RangeError(`the image holds more than ${MAX_BLOCKS} blocks, more than a sparse header can state`);
    layout.totalChunks++;
    switch (run.kind) {
      case 'raw':
        layout.size += CHUNK_HEADER_SIZE + bytes;
        layout.rawBytes += bytes;
        yield encodeChunk(CHUNK_TYPE.RAW, run.blocks, bytes);
        if (run.data) yield run.data.subarray(0, bytes);
        break;
      case 'fill':
        layout.size += CHUNK_HEADER_SIZE + 4;
        layout.fillBytes += bytes;
        yield encodeChunk(CHUNK_TYPE.FILL, run.blocks, 4, run.pattern);
        break;
      case 'dont-care':
        layout.size += CHUNK_HEADER_SIZE;
        layout.dontCareBytes += bytes;
        yield encodeChunk(CHUNK_TYPE.DONT_CARE, run.blocks, 0);
    }
  }

  layout(): ResparseLayout {
    return { blockSize: this.#blockSize, ...this.#layout };
  }
}

/** Whether the block is one 32-bit value repeated: every byte equals the one four bytes on (one memcmp). */
function repeatsOneWord(block: Uint8Array): boolean {
  const bytes = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
  return bytes.length >= 4 && bytes.compare(bytes, 0, bytes.length - 4, 4) === 0;
}

function samePattern(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

function describe(layout: ResparseLayout): string {
  return `${layout.totalChunks} chunks over ${layout.totalBlocks} blocks in ${layout.size} bytes`;
}
