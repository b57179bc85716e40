// Android sparse image format v1.x (libsparse's sparse_format.h), read as a stream.
import { ByteReader } from './byte-reader.ts';

export const SPARSE_HEADER_MAGIC = 0xed26ff3a;
export const SPARSE_HEADER_SIZE = 28;
export const CHUNK_HEADER_SIZE = 12;
export const CHUNK_TYPE = { RAW: 0xcac1, FILL: 0xcac2, DONT_CARE: 0xcac3, CRC32: 0xcac4 } as const;

/** Largest block size accepted: real images use 4 KiB; anything huge is a hostile or corrupt header. */
const MAX_BLOCK_SIZE = 64 * 1024 * 1024;

export interface SparseHeader {
  readonly majorVersion: number;
  readonly minorVersion: number;
  readonly fileHeaderSize: number;
  readonly chunkHeaderSize: number;
  readonly blockSize: number;
  readonly totalBlocks: number;
  readonly totalChunks: number;
  readonly imageChecksum: number;
}

export type SparseEvent =
  | { readonly type: 'header'; readonly header: SparseHeader }
  | { readonly type: 'raw'; readonly offset: number; readonly data: Uint8Array }
  | { readonly type: 'fill'; readonly offset: number; readonly length: number; readonly pattern: Uint8Array }
  | { readonly type: 'dont-care'; readonly offset: number; readonly length: number }
  | { readonly type: 'crc32'; readonly value: number };

export class SparseFormatError extends Error {
  /** Byte offset in the sparse file where the problem was found. */
  readonly offset: number;
  constructor(offset: number, reason: string) {
    super(`Invalid sparse image at byte ${offset}: ${reason}`);
    this.name = 'SparseFormatError';
    this.offset = offset;
  }
}

export function isSparseImage(firstBytes: Uint8Array): boolean {
  return firstBytes.length >= 4 && view(firstBytes).getUint32(0, true) === SPARSE_HEADER_MAGIC;
}

export function parseSparseHeader(bytes: Uint8Array): SparseHeader {
  if (bytes.length < SPARSE_HEADER_SIZE) throw new SparseFormatError(0, `file header needs ${SPARSE_HEADER_SIZE} bytes, got ${bytes.length}`);
  const data = view(bytes);
  if (data.getUint32(0, true) !== SPARSE_HEADER_MAGIC) throw new SparseFormatError(0, 'bad magic (not a sparse image)');
  const header: SparseHeader = {
    majorVersion: data.getUint16(4, true),
    minorVersion: data.getUint16(6, true),
    fileHeaderSize: data.getUint16(8, true),
    chunkHeaderSize: data.getUint16(10, true),
    blockSize: data.getUint32(12, true),
    totalBlocks: data.getUint32(16, true),
    totalChunks: data.getUint32(20, true),
    imageChecksum: data.getUint32(24, true),
  };
  if (header.majorVersion !== 1) throw new SparseFormatError(4, `unsupported major version ${header.majorVersion} (only 1.x exists)`);
  if (header.fileHeaderSize < SPARSE_HEADER_SIZE) throw new SparseFormatError(8, `file header size ${header.fileHeaderSize} < ${SPARSE_HEADER_SIZE}`);
  if (header.chunkHeaderSize < CHUNK_HEADER_SIZE) throw new SparseFormatError(10, `chunk header size ${header.chunkHeaderSize} < ${CHUNK_HEADER_SIZE}`);
  if (header.blockSize === 0 || header.blockSize % 4 !== 0 || header.blockSize > MAX_BLOCK_SIZE) {
    throw new SparseFormatError(12, `block size ${header.blockSize} is not a positive multiple of 4 up to ${MAX_BLOCK_SIZE}`);
  }
  // Up to 2^58 bytes fit the fields; past 2^53 offsets would silently lose precision in JavaScript numbers.
  if (header.totalBlocks * header.blockSize > Number.MAX_SAFE_INTEGER) {
    throw new SparseFormatError(16, `${header.totalBlocks} blocks of ${header.blockSize} bytes expands to more than any partition holds`);
  }
  return header;
}

/**
 * Streams the chunks of a sparse image. Memory stays bounded by the source's chunk size whatever
 * the image size. CRC32 chunks are passed on, not checked: the station's integrity proof is the
 * SHA-256 of the expanded content recorded in the signed bundle manifest.
 */
export async function* readSparse(source: AsyncIterable<Uint8Array>): AsyncGenerator<SparseEvent> {
  const reader = new ByteReader(source);
  try {
    yield* sparseEvents(reader);
  } finally {
    // A malformed image or a consumer that stops early must not leave the source's file open.
    await reader.close();
  }
}

async function* sparseEvents(reader: ByteReader): AsyncGenerator<SparseEvent> {
  const headerBytes = await readOrFail(reader, SPARSE_HEADER_SIZE, 'the file header');
  const header = parseSparseHeader(headerBytes);
  await skip(reader, header.fileHeaderSize - SPARSE_HEADER_SIZE, 'the file header');
  yield { type: 'header', header };

  let block = 0;
  for (let chunk = 0; chunk < header.totalChunks; chunk++) {
    const at = reader.position;
    const chunkHeader = view(await readOrFail(reader, CHUNK_HEADER_SIZE, `chunk ${chunk}'s header`));
    const type = chunkHeader.getUint16(0, true);
    const blocks = chunkHeader.getUint32(4, true);
    const totalSize = chunkHeader.getUint32(8, true);
    await skip(reader, header.chunkHeaderSize - CHUNK_HEADER_SIZE, `chunk ${chunk}'s header`);
    const payload = totalSize - header.chunkHeaderSize;
    const expect = (size: number, what: string): void => {
      if (payload !== size) throw new SparseFormatError(at, `${what} chunk ${chunk} declares ${totalSize} bytes, expected ${size + header.chunkHeaderSize}`);
    };
    if (type !== CHUNK_TYPE.CRC32 && block + blocks > header.totalBlocks) {
      throw new SparseFormatError(at, `chunk ${chunk} ends at block ${block + blocks}, past the image's ${header.totalBlocks} blocks`);
    }
    const offset = block * header.blockSize;
    const length = blocks * header.blockSize;
    switch (type) {
      case CHUNK_TYPE.RAW:
        expect(length, 'RAW');
        yield* rawData(reader, offset, length, chunk);
        break;
      case CHUNK_TYPE.FILL:
        expect(4, 'FILL');
        yield { type: 'fill', offset, length, pattern: await readOrFail(reader, 4, `chunk ${chunk}'s fill pattern`) };
        break;
      case CHUNK_TYPE.DONT_CARE:
        expect(0, 'DONT_CARE');
        yield { type: 'dont-care', offset, length };
        break;
      case CHUNK_TYPE.CRC32:
        expect(4, 'CRC32');
        yield { type: 'crc32', value: view(await readOrFail(reader, 4, `chunk ${chunk}'s CRC`)).getUint32(0, true) };
        break;
      default:
        throw new SparseFormatError(at, `chunk ${chunk} has unknown type 0x${type.toString(16)}`);
    }
    if (type !== CHUNK_TYPE.CRC32) block += blocks;
  }
  if (block !== header.totalBlocks) {
    throw new SparseFormatError(reader.position, `chunks cover ${block} blocks but the header declares ${header.totalBlocks}`);
  }
  if (!(await reader.atEnd())) throw new SparseFormatError(reader.position, 'trailing bytes after the last chunk');
}

async function* rawData(reader: ByteReader, offset: number, length: number, chunk: number): AsyncGenerator<SparseEvent> {
  let done = 0;
  try {
    for await (const data of reader.stream(length)) {
      yield { type: 'raw', offset: offset + done, data };
      done += data.length;
    }
  } catch (error) {
    if (error instanceof RangeError) throw new SparseFormatError(reader.position, `file ends inside chunk ${chunk}'s data`);
    throw error;
  }
}

async function readOrFail(reader: ByteReader, length: number, what: string): Promise<Uint8Array> {
  const at = reader.position;
  try {
    const bytes = await reader.readExact(length);
    if (bytes) return bytes;
  } catch (error) {
    // Only a short read is a format problem; a failing source (permissions, I/O) keeps its own error.
    if (!(error instanceof RangeError)) throw error;
  }
  throw new SparseFormatError(at, `file ends inside ${what}`);
}

async function skip(reader: ByteReader, length: number, what: string): Promise<void> {
  if (length > 0) await readOrFail(reader, length, what);
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
