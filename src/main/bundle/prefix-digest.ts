// SHA-256 of a file plus the SHA-256 of each of its prefixes that ends on a checkpoint boundary.
// The prefix digests cost almost nothing (a copy of the running hash state, finalised), and once
// the whole-file digest matches the signed manifest they are trusted too: they let a second read
// of the file prove each block unchanged as soon as it has been read, long before the end.
import { createHash, type Hash } from 'node:crypto';

/** Bytes between checkpoints: what a re-read holds back before it can prove the bytes unchanged. */
export const CHECKPOINT_BLOCK_BYTES = 4 * 1024 * 1024;

export interface FileDigests {
  readonly size: number;
  readonly sha256: string;
  /** checkpoints[k] = SHA-256 of the file's first (k + 1) × blockSize bytes. */
  readonly checkpoints: readonly Buffer[];
  readonly blockSize: number;
}

export class PrefixDigester {
  readonly blockSize: number;
  readonly #hash: Hash = createHash('sha256');
  readonly #checkpoints: Buffer[] = [];
  #size = 0;

  constructor(blockSize = CHECKPOINT_BLOCK_BYTES) {
    this.blockSize = blockSize;
  }

  get size(): number {
    return this.#size;
  }

  get checkpoints(): readonly Buffer[] {
    return this.#checkpoints;
  }

  update(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) {
      const toBoundary = this.blockSize - (this.#size % this.blockSize);
      const take = Math.min(toBoundary, bytes.length - at);
      this.#hash.update(take === bytes.length ? bytes : bytes.subarray(at, at + take));
      this.#size += take;
      at += take;
      if (take === toBoundary) this.#checkpoints.push(this.#hash.copy().digest());
    }
  }

  finish(): FileDigests {
    return { size: this.#size, sha256: this.#hash.digest('hex'), checkpoints: this.#checkpoints, blockSize: this.blockSize };
  }
}
