// The bootloader's download buffer, capacity `max-download-size`. A real handset holds it in RAM, and
// so does the virtual one while its simulator's budget for download memory allows (download-ram.ts);
// a download beyond that budget goes to a file next to the handset's state (download-file.ts). The
// host cannot tell which: both take the same bytes and give them back byte for byte.
import { RamDownload, type DownloadRam } from './download-ram.ts';
import { FileDownload } from './download-file.ts';

/** The pieces a download held in memory is flashed in: as the file's reads, so the flash is paced as finely. */
const CONTENT_PIECE = 1024 * 1024;

export class DownloadBuffer {
  readonly capacity: number;
  readonly #ram: RamDownload;
  readonly #file: FileDownload;
  /** Where the download in progress (or the last complete one) is: a block of memory, or the file. */
  #held: Uint8Array | FileDownload | null = null;
  #expected = 0;
  #received = 0;

  constructor(path: string, capacity: number, ram: DownloadRam) {
    this.capacity = capacity;
    this.#ram = new RamDownload(ram);
    this.#file = new FileDownload(path);
  }

  /** Bytes of the last completed download; 0 while none is complete. */
  get size(): number {
    return this.#received === this.#expected ? this.#expected : 0;
  }

  /** Bytes still to come for the download in progress. */
  get remaining(): number {
    return this.#expected - this.#received;
  }

  /** Whether the download in progress (or the last one) is held in memory rather than in the file. */
  get inMemory(): boolean {
    return this.#held instanceof Uint8Array;
  }

  /** Starts a download of `size` bytes, dropping what the buffer held. */
  async begin(size: number): Promise<void> {
    if (size <= 0 || size > this.capacity) throw new RangeError(`download of ${size} bytes does not fit the ${this.capacity}-byte buffer`);
    this.#expected = 0;
    this.#received = 0;
    if (this.#held === this.#file) await this.#file.clear();
    this.#held = this.#ram.hold(size);
    if (this.#held === null) {
      await this.#file.begin();
      this.#held = this.#file;
    }
    this.#expected = size;
  }

  /** Appends data of the download in progress (the caller never passes more than `remaining`). */
  async append(data: Uint8Array): Promise<void> {
    const held = this.#held;
    if (held === null || data.length > this.remaining) throw new RangeError(`${data.length} bytes arrived but the download expects ${this.remaining}`);
    if (held instanceof Uint8Array) held.set(data, this.#received);
    else await held.append(data);
    this.#received += data.length;
    // The download is complete only once all of it is held.
    if (this.remaining === 0 && held instanceof FileDownload) await held.finish();
  }

  /** The first bytes of the completed download (fewer if it is shorter). */
  async head(length: number): Promise<Uint8Array> {
    const bytes = Math.min(length, this.size);
    const held = this.#held;
    if (held instanceof Uint8Array) return held.slice(0, bytes);
    return held === null ? new Uint8Array(0) : held.head(bytes);
  }

  /**
   * The completed download in pieces of at most 1 MiB, without allocating per piece; one reading at
   * a time (one flash per handset). A piece stays valid until the one after the next is requested.
   */
  async *content(): AsyncGenerator<Uint8Array> {
    const held = this.#held;
    const size = this.size;
    if (held === null || size === 0) throw new RangeError('no download is complete');
    if (held instanceof FileDownload) return yield* held.content(size);
    for (let done = 0; done < size; done += CONTENT_PIECE) yield held.subarray(done, Math.min(size, done + CONTENT_PIECE));
  }

  /** Forgets the content, as a reboot clears a bootloader's RAM, and gives its memory back. */
  async clear(): Promise<void> {
    this.#expected = 0;
    this.#received = 0;
    this.#held = null;
    this.#ram.release();
    await this.#file.clear();
  }

  async dispose(): Promise<void> {
    this.#expected = 0;
    this.#received = 0;
    this.#held = null;
    this.#ram.release();
    await this.#file.dispose();
  }
}
