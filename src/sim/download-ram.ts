// A download held in memory, as a real handset holds it in its RAM. Keeping it in a file instead cost
// the simulator a write and a read of every downloaded byte through the thread pool (the largest part
// of its CPU per received byte in the provisioning bench). Memory is bounded twice: a handset holds at
// most its `max-download-size`, and the handsets of one simulator process draw on one budget
// (`DownloadRam`), beyond which a download goes to the file as before, so a fleet of 64 handsets with
// 256 MiB buffers never asks the host for 16 GiB. The host sees the same protocol either way.

/** The default budget of one simulator process: 32 handsets' sparse pieces of a bundle, or four full 256 MiB downloads. */
export const DEFAULT_DOWNLOAD_RAM = 1024 * 1024 * 1024;

/** The bytes of download memory the handsets of one simulator process may hold at once. */
export class DownloadRam {
  readonly limit: number;
  #held = 0;

  constructor(limit = DEFAULT_DOWNLOAD_RAM) {
    if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`download memory must be a whole number of bytes, not ${limit}`);
    this.limit = limit;
  }

  /** Bytes held by all handsets now. */
  get held(): number {
    return this.#held;
  }

  /** Takes `bytes` of the budget if they are free. */
  reserve(bytes: number): boolean {
    if (this.#held + bytes > this.limit) return false;
    this.#held += bytes;
    return true;
  }

  release(bytes: number): void {
    this.#held -= bytes;
  }
}

/** One handset's download memory: one block, reused while the next download fits in it, given back when the handset loses power. */
export class RamDownload {
  readonly #ram: DownloadRam;
  #block: Uint8Array | null = null;

  constructor(ram: DownloadRam) {
    this.#ram = ram;
  }

  /**
   * Memory for a download of `size` bytes: the block held already when it is large enough, else a
   * new one if the budget allows; null when it does not (the block held is given back either way).
   */
  hold(size: number): Uint8Array | null {
    if (this.#block && this.#block.length >= size) return this.#block;
    this.release();
    if (!this.#ram.reserve(size)) return null;
    // Not zero-filled: a download is read only as far as it has arrived, and every byte of it is written first.
    this.#block = Buffer.allocUnsafeSlow(size);
    return this.#block;
  }

  /** Gives the block back to the budget (its memory goes with the last reference to it). */
  release(): void {
    if (!this.#block) return;
    this.#ram.release(this.#block.length);
    this.#block = null;
  }
}
