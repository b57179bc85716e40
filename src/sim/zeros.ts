// Zeros are the one content the simulated storage never copies: a range never written in a file is a
// hole that reads as zero, so writes of zeros are skipped and reads of holes come from this buffer.
// Copying gigabytes of zeros into the page cache was most of the simulator's CPU in the benchmark.

/** The longest run `isZero` and `zeros` handle at once; callers cut their data into pieces of at most this. */
export const ZERO_PIECE = 1024 * 1024;

const ZEROS = new Uint8Array(ZERO_PIECE);

/** Whether every byte of at most ZERO_PIECE bytes is zero. */
export function isZero(bytes: Uint8Array): boolean {
  return Buffer.compare(bytes, ZEROS.subarray(0, bytes.length)) === 0;
}

/** `length` (at most ZERO_PIECE) zero bytes, shared: read them, never write into them. */
export function zeros(length: number): Uint8Array {
  return ZEROS.subarray(0, length);
}
