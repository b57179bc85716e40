// Encoders for the sparse format's headers (libsparse's sparse_format.h), version 1.0.
import { CHUNK_HEADER_SIZE, SPARSE_HEADER_MAGIC, SPARSE_HEADER_SIZE } from './reader.ts';

export function encodeSparseHeader(blockSize: number, totalBlocks: number, totalChunks: number): Uint8Array {
  const bytes = new Uint8Array(SPARSE_HEADER_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, SPARSE_HEADER_MAGIC, true);
  view.setUint16(4, 1, true);
  view.setUint16(6, 0, true);
  view.setUint16(8, SPARSE_HEADER_SIZE, true);
  view.setUint16(10, CHUNK_HEADER_SIZE, true);
  view.setUint32(12, blockSize, true);
  view.setUint32(16, totalBlocks, true);
  view.setUint32(20, totalChunks, true);
  // The image checksum is optional (0) in v1.0; the station proves content with SHA-256 instead.
  view.setUint32(24, 0, true);
  return bytes;
}

/** A chunk header followed by `payload` (a FILL pattern; RAW data follows separately). */
export function encodeChunk(type: number, blocks: number, dataBytes: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const bytes = new Uint8Array(CHUNK_HEADER_SIZE + payload.length);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, type, true);
  view.setUint32(4, blocks, true);
  view.setUint32(8, CHUNK_HEADER_SIZE + dataBytes, true);
  bytes.set(payload, CHUNK_HEADER_SIZE);
  return bytes;
}
