// The size and SHA-256 of what a sparse image expands to on the partition: RAW data as is, FILL
// as its pattern repeated, DONT_CARE as zeros (a partition the station erased before flashing
// reads as zeros there, and `oem sha256` hashes what the partition holds).
import { createHash } from 'node:crypto';
import { readSparse } from '../../lib/sparse/reader.ts';

/** Zeros and fill patterns are hashed from a shared buffer of this size, never allocated per region. */
const PATTERN_BUFFER_BYTES = 1024 * 1024;
const ZEROS = new Uint8Array(PATTERN_BUFFER_BYTES);

export interface ExpandedDigest {
  readonly size: number;
  readonly sha256: string;
}

export class ExpandedSizeError extends Error {
  readonly declared: number;
  constructor(declared: number, expected: number) {
    super(`the sparse image expands to ${declared} bytes, not ${expected}`);
    this.name = 'ExpandedSizeError';
    this.declared = declared;
  }
}

/**
 * Expands a sparse image as a stream and hashes the result. With `expectedSize`, a header that
 * declares any other size stops the work at once, so a hostile header cannot make the station hash
 * terabytes of zeros.
 */
export async function expandedDigest(source: AsyncIterable<Uint8Array>, expectedSize?: number): Promise<ExpandedDigest> {
  const hash = createHash('sha256');
  let size = 0;
  const repeat = (pattern: Uint8Array, length: number): void => {
    const buffer = pattern === ZEROS ? ZEROS : patternBuffer(pattern, length);
    for (let left = length; left > 0; left -= buffer.length) hash.update(left >= buffer.length ? buffer : buffer.subarray(0, left));
  };
  for await (const event of readSparse(source)) {
    switch (event.type) {
      case 'header': {
        const declared = event.header.totalBlocks * event.header.blockSize;
        if (expectedSize !== undefined && declared !== expectedSize) throw new ExpandedSizeError(declared, expectedSize);
        break;
      }
      case 'raw':
        hash.update(event.data);
        size += event.data.length;
        break;
      case 'fill':
        repeat(event.pattern, event.length);
        size += event.length;
        break;
      case 'dont-care':
        repeat(ZEROS, event.length);
        size += event.length;
        break;
      case 'crc32':
        break;
    }
  }
  return { size, sha256: hash.digest('hex') };
}

/**
 * The pattern repeated over at most `length` bytes, filled by doubling: a FILL chunk of one block
 * costs one block, not a megabyte written four bytes at a time (which let a small hostile image of
 * many tiny FILL chunks keep verification busy for minutes before its hash could be refused).
 */
function patternBuffer(pattern: Uint8Array, length: number): Uint8Array {
  const buffer = new Uint8Array(Math.min(length, PATTERN_BUFFER_BYTES));
  buffer.set(pattern.subarray(0, buffer.length));
  for (let filled = pattern.length; filled < buffer.length; filled *= 2) buffer.copyWithin(filled, 0, filled);
  return buffer;
}
