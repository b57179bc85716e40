// The structure of a sparse image file without its data: every header and FILL/CRC payload as
// stored, every RAW payload as zeros (never read). Fed to readSparse it validates the whole file's
// layout at the cost of one small read per chunk, which lets the splitter plan pieces and refuse a
// malformed image before anything is sent.
import { CHUNK_TYPE, parseSparseHeader, SPARSE_HEADER_SIZE } from './reader.ts';

/** Payloads up to this size (FILL and CRC32 carry 4 bytes) are read; longer non-RAW ones are malformed anyway. */
const SMALL_PAYLOAD = 64;
const ZEROS = new Uint8Array(1024 * 1024);

/** Reads at a position, as FileHandle.read does: an open file, or a window onto one (a zip's stored entry). */
export interface PositionedFile {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

export async function* sparseSkeleton(file: PositionedFile, size: number): AsyncGenerator<Uint8Array> {
  let position = 0;
  const read = async (length: number): Promise<Uint8Array> => {
    const bytes = new Uint8Array(Math.max(0, Math.min(length, size - position)));
    const { bytesRead } = await file.read(bytes, 0, bytes.length, position);
    position += bytesRead;
    return bytes.subarray(0, bytesRead);
  };
  const header = await read(SPARSE_HEADER_SIZE);
  yield header;
  // A bad header stops here: readSparse reports it from the bytes just yielded.
  const { fileHeaderSize, chunkHeaderSize, totalChunks } = parseSparseHeader(header);
  yield await read(fileHeaderSize - SPARSE_HEADER_SIZE);
  for (let chunk = 0; chunk < totalChunks && position < size; chunk++) {
    const chunkHeader = await read(chunkHeaderSize);
    yield chunkHeader;
    if (chunkHeader.length < 12) return;
    const view = new DataView(chunkHeader.buffer, chunkHeader.byteOffset, chunkHeader.byteLength);
    const payload = view.getUint32(8, true) - chunkHeaderSize;
    if (payload <= 0) continue;
    if (view.getUint16(0, true) !== CHUNK_TYPE.RAW && payload <= SMALL_PAYLOAD) yield await read(payload);
    else yield* zeros(Math.min(payload, size - position), (length) => (position += length));
  }
  yield* zeros(size - position, (length) => (position += length));
}

function* zeros(length: number, advance: (length: number) => void): Generator<Uint8Array> {
  for (let left = length; left > 0; left -= ZEROS.length) {
    const piece = ZEROS.subarray(0, Math.min(left, ZEROS.length));
    advance(piece.length);
    yield piece;
  }
}
