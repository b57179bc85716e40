// Cuts an image into pieces a device can download, the way AOSP's libsparse resparses
// (sparse_file_resparse): every piece is a complete sparse image covering the whole partition, the
// blocks other pieces carry stated as DONT_CARE, and no piece exceeds the device's download size.
// Images that fit are sent unchanged. Everything streams: memory does not grow with the image.
import { ByteReader } from './byte-reader.ts';
import type { ImageSource } from './image-source.ts';
import { CHUNK_HEADER_SIZE, CHUNK_TYPE, isSparseImage, readSparse, SPARSE_HEADER_SIZE, type SparseEvent } from './reader.ts';
import { encodeChunk, encodeSparseHeader } from './writer.ts';

/** AOSP fastboot's block size when it turns a raw image into sparse pieces. */
export const RAW_BLOCK_SIZE = 4096;
/** Bounds the plan held in memory for one piece, whatever a hostile image's chunk count. */
const MAX_CHUNKS_PER_PIECE = 65_536;
const FILL_CHUNK_SIZE = CHUNK_HEADER_SIZE + 4;

export interface SparsePiece {
  /** 1-based. */
  readonly index: number;
  readonly size: number;
  /**
   * Bytes of the partition the device writes for this piece: its RAW data and every byte its FILL
   * chunks cover (a FILL is 16 bytes on the wire, however much it sets). For a sparse image sent
   * whole, its expanded size (DONT_CARE included: an upper bound).
   */
  readonly writes: number;
  readonly last: boolean;
  /** Exactly `size` bytes; consume them fully before asking for the next piece. */
  readonly bytes: AsyncIterable<Uint8Array>;
}

export interface SplitOptions {
  /** Sees every byte of the stream the pieces are built from, in order (to hash it while sending). */
  readonly onSourceBytes?: (bytes: Uint8Array) => void;
}

/** The image cannot be split as asked, or changed between the read that planned a piece and the read that sends it. */
export class SparseSplitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SparseSplitError';
  }
}

type Shape = { readonly kind: 'raw'; readonly offset: number; readonly length: number } | { readonly kind: 'fill'; readonly offset: number; readonly length: number; readonly pattern: Uint8Array };
type Descriptor = { kind: 'raw' | 'skip'; readonly offset: number; length: number } | { readonly kind: 'fill'; readonly offset: number; readonly length: number; readonly pattern: Uint8Array };

interface Layout {
  readonly blockSize: number;
  readonly totalBlocks: number;
}

interface PiecePlan {
  readonly descriptors: readonly Descriptor[];
  readonly size: number;
  readonly writes: number;
}

/** Yields the pieces to download, one at a time. */
export async function* splitImage(source: ImageSource, maxPieceSize: number, options: SplitOptions = {}): AsyncGenerator<SparsePiece> {
  if (source.size === 0) throw new SparseSplitError('the image is empty');
  const data = closable(tap(source.open(), options.onSourceBytes));
  let planner: Closable | undefined;
  try {
    const reader = new ByteReader(data.iterable);
    // The file header, when there is one: a sparse image sent whole is bounded by its expanded size.
    const first = await reader.readExact(Math.min(SPARSE_HEADER_SIZE, source.size));
    if (!first) throw new SparseSplitError(`the image ended after 0 of its ${source.size} bytes`);
    const bytes = prefixed(first, exactly(reader, source.size));
    if (source.size <= maxPieceSize) {
      yield { index: 1, size: source.size, writes: isSparseImage(first) ? expandedBound(first) : source.size, last: true, bytes };
      return;
    }
    if (!isSparseImage(first)) {
      const layout = { blockSize: RAW_BLOCK_SIZE, totalBlocks: Math.ceil(source.size / RAW_BLOCK_SIZE) };
      const shapes: Shape[] = [{ kind: 'raw', offset: 0, length: layout.totalBlocks * RAW_BLOCK_SIZE }];
      yield* pieces(planPieces(shapes, layout, maxPieceSize), layout, new ExtentCursor(rawEvents(bytes, source.size, layout)));
      return;
    }
    if (source.openLayout) {
      // Cheap enough to read in full first: a malformed image is refused before any piece is sent.
      for await (const event of readSparse(source.openLayout())) void event;
    }
    planner = closable((source.openLayout ?? source.open)());
    const planEvents = readSparse(planner.iterable);
    const events = readSparse(bytes);
    const layout = await headerOf(planEvents);
    const sent = await headerOf(events);
    if (sent.blockSize !== layout.blockSize || sent.totalBlocks !== layout.totalBlocks) throw changed('its sparse header differs between two reads');
    yield* pieces(planPieces(shapesOf(planEvents), layout, maxPieceSize), layout, new ExtentCursor(events));
  } finally {
    await data.close();
    await planner?.close();
  }
}

async function* pieces(plans: AsyncGenerator<PiecePlan>, layout: Layout, cursor: ExtentCursor): AsyncGenerator<SparsePiece> {
  let next = await plans.next();
  for (let index = 1; !next.done; index++) {
    const plan = next.value;
    // Planning one piece ahead tells whether this one is the last.
    next = await plans.next();
    const last = next.done === true;
    let consumed = false;
    const bytes = async function* (): AsyncGenerator<Uint8Array> {
      yield* emitPiece(plan, layout, cursor);
      // The whole source is read and validated before the last piece's final byte is handed over.
      if (last) await cursor.finish();
      consumed = true;
    };
    yield { index, size: plan.size, writes: plan.writes, last, bytes: bytes() };
    if (!consumed) throw new Error(`piece ${index} was not consumed before the next one was requested`);
  }
}

/** Packs shapes into pieces greedily; a RAW run is cut at a block boundary when the piece is full. */
async function* planPieces(shapes: AsyncIterable<Shape> | Iterable<Shape>, layout: Layout, maxPieceSize: number): AsyncGenerator<PiecePlan> {
  const { blockSize } = layout;
  const totalBytes = layout.totalBlocks * blockSize;
  // Header, a leading DONT_CARE, one RAW chunk header and block, a trailing DONT_CARE.
  const smallest = SPARSE_HEADER_SIZE + 3 * CHUNK_HEADER_SIZE + blockSize;
  if (maxPieceSize < smallest) throw new SparseSplitError(`a download size of ${maxPieceSize} bytes cannot carry one ${blockSize}-byte block with its headers (${smallest} bytes needed)`);
  // Room a piece keeps for its trailing DONT_CARE chunk.
  const budget = maxPieceSize - CHUNK_HEADER_SIZE;
  let descriptors: Descriptor[] = [];
  let size = SPARSE_HEADER_SIZE;
  let writes = 0;
  let cursor = 0;
  const close = (): PiecePlan => {
    if (cursor < totalBytes) descriptors.push({ kind: 'skip', offset: cursor, length: totalBytes - cursor });
    const plan = { descriptors, size: size + (cursor < totalBytes ? CHUNK_HEADER_SIZE : 0), writes };
    descriptors = [];
    size = SPARSE_HEADER_SIZE;
    writes = 0;
    cursor = 0;
    return plan;
  };
  const add = (descriptor: Descriptor, bytes: number): void => {
    if (descriptor.offset > cursor) {
      descriptors.push({ kind: 'skip', offset: cursor, length: descriptor.offset - cursor });
      size += CHUNK_HEADER_SIZE;
    }
    descriptors.push(descriptor);
    size += bytes;
    writes += descriptor.length;
    cursor = descriptor.offset + descriptor.length;
  };
  for await (const shape of shapes) {
    let offset = shape.offset;
    let length = shape.length;
    while (length > 0) {
      const previous = descriptors.at(-1);
      const gap = offset > cursor ? CHUNK_HEADER_SIZE : 0;
      if (shape.kind === 'fill') {
        if (descriptors.length + 2 <= MAX_CHUNKS_PER_PIECE && size + gap + FILL_CHUNK_SIZE <= budget) {
          add(shape, FILL_CHUNK_SIZE);
          break;
        }
      } else if (previous?.kind === 'raw' && previous.offset + previous.length === offset) {
        const room = Math.floor((budget - (size - previous.length)) / blockSize) * blockSize - previous.length;
        const take = Math.min(room, length);
        previous.length += take;
        size += take;
        writes += take;
        cursor += take;
        offset += take;
        length -= take;
        if (length === 0) break;
      } else if (descriptors.length + 2 <= MAX_CHUNKS_PER_PIECE) {
        const room = Math.floor((budget - size - gap - CHUNK_HEADER_SIZE) / blockSize) * blockSize;
        if (room > 0) {
          const take = Math.min(room, length);
          add({ kind: 'raw', offset, length: take }, CHUNK_HEADER_SIZE + take);
          offset += take;
          length -= take;
          if (length === 0) break;
        }
      }
      // The piece is full: the rest of this shape starts the next one.
      yield close();
    }
  }
  yield close();
}

async function* emitPiece(plan: PiecePlan, layout: Layout, cursor: ExtentCursor): AsyncGenerator<Uint8Array> {
  const { blockSize } = layout;
  let emitted = 0;
  const count = (bytes: Uint8Array): Uint8Array => {
    emitted += bytes.length;
    return bytes;
  };
  yield count(encodeSparseHeader(blockSize, layout.totalBlocks, plan.descriptors.length));
  for (const descriptor of plan.descriptors) {
    const blocks = descriptor.length / blockSize;
    switch (descriptor.kind) {
      case 'skip':
        yield count(encodeChunk(CHUNK_TYPE.DONT_CARE, blocks, 0));
        break;
      case 'fill':
        await cursor.expectFill(descriptor);
        yield count(encodeChunk(CHUNK_TYPE.FILL, blocks, 4, descriptor.pattern));
        break;
      case 'raw':
        yield count(encodeChunk(CHUNK_TYPE.RAW, blocks, descriptor.length));
        for await (const data of cursor.takeRaw(descriptor.offset, descriptor.length)) yield count(data);
    }
  }
  if (emitted !== plan.size) throw new Error(`sparse piece emitted ${emitted} bytes where ${plan.size} were planned`);
}

/** Reads the content events (RAW data, FILL) of the stream being sent, checking them against the plan. */
class ExtentCursor {
  readonly #events: AsyncIterator<SparseEvent>;
  #pending: Extract<SparseEvent, { type: 'raw' }> | null = null;

  constructor(events: AsyncIterable<SparseEvent>) {
    this.#events = events[Symbol.asyncIterator]();
  }

  async *takeRaw(offset: number, length: number): AsyncGenerator<Uint8Array> {
    let at = offset;
    while (at < offset + length) {
      const event = this.#pending ?? (await this.#nextContent());
      this.#pending = null;
      if (event?.type !== 'raw' || event.offset !== at) throw changed(`expected data at byte ${at} of the expanded image`);
      const take = Math.min(offset + length - at, event.data.length);
      if (take < event.data.length) this.#pending = { type: 'raw', offset: at + take, data: event.data.subarray(take) };
      at += take;
      yield event.data.subarray(0, take);
    }
  }

  async expectFill(fill: { readonly offset: number; readonly length: number; readonly pattern: Uint8Array }): Promise<void> {
    const event = this.#pending ?? (await this.#nextContent());
    this.#pending = null;
    if (event?.type !== 'fill' || event.offset !== fill.offset || event.length !== fill.length || !samePattern(event.pattern, fill.pattern)) {
      throw changed(`expected a fill of ${fill.length} bytes at byte ${fill.offset} of the expanded image`);
    }
  }

  /** Reads to the end, so the source is validated (and fully seen) before the last piece completes. */
  async finish(): Promise<void> {
    if (this.#pending || (await this.#nextContent())) throw changed('it holds more data than was planned');
  }

  async #nextContent(): Promise<Extract<SparseEvent, { type: 'raw' | 'fill' }> | null> {
    for (;;) {
      const next = await this.#events.next();
      if (next.done) return null;
      // A zero-block FILL is legal and carries nothing; the planner never sees it either.
      if (next.value.type === 'raw' || (next.value.type === 'fill' && next.value.length > 0)) return next.value;
    }
  }
}

async function headerOf(events: AsyncGenerator<SparseEvent>): Promise<Layout> {
  const first = await events.next();
  if (first.done || first.value.type !== 'header') throw new SparseSplitError('the sparse reader gave no header');
  return first.value.header;
}

async function* shapesOf(events: AsyncIterable<SparseEvent>): AsyncGenerator<Shape> {
  for await (const event of events) {
    if (event.type === 'raw') yield { kind: 'raw', offset: event.offset, length: event.data.length };
    if (event.type === 'fill' && event.length > 0) yield { kind: 'fill', offset: event.offset, length: event.length, pattern: event.pattern };
  }
}

/** A raw image as RAW events, its last block padded with zeros as libsparse pads it. */
async function* rawEvents(bytes: AsyncIterable<Uint8Array>, size: number, layout: Layout): AsyncGenerator<SparseEvent> {
  let offset = 0;
  for await (const data of bytes) {
    yield { type: 'raw', offset, data };
    offset += data.length;
  }
  const padded = layout.totalBlocks * layout.blockSize;
  if (padded > size) yield { type: 'raw', offset: size, data: new Uint8Array(padded - size) };
}

async function* exactly(reader: ByteReader, size: number): AsyncGenerator<Uint8Array> {
  try {
    yield* reader.stream(size - reader.position);
  } catch (error) {
    if (error instanceof RangeError) throw changed(`it ended after ${reader.position} of its ${size} bytes`);
    throw error;
  }
  if (!(await reader.atEnd())) throw changed(`it is longer than its ${size} bytes`);
}

async function* prefixed(first: Uint8Array, rest: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield first;
  yield* rest;
}

async function* tap(source: AsyncIterable<Uint8Array>, onBytes: ((bytes: Uint8Array) => void) | undefined): AsyncGenerator<Uint8Array> {
  for await (const bytes of source) {
    onBytes?.(bytes);
    yield bytes;
  }
}

interface Closable {
  readonly iterable: AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

/** Lets the splitter close a source stream (a file descriptor) even when a reader stops halfway. */
function closable(source: AsyncIterable<Uint8Array>): Closable {
  const iterator = source[Symbol.asyncIterator]();
  return {
    iterable: { [Symbol.asyncIterator]: () => iterator },
    close: async () => {
      await iterator.return?.();
    },
  };
}

/** What a sparse file header says the image expands to; the whole size when the header is cut short. */
function expandedBound(header: Uint8Array): number {
  if (header.length < SPARSE_HEADER_SIZE) return header.length;
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  return view.getUint32(12, true) * view.getUint32(16, true);
}

function samePattern(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

function changed(detail: string): SparseSplitError {
  return new SparseSplitError(`the image changed while it was being read: ${detail}`);
}
