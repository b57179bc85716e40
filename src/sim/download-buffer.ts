// The bootloader's download buffer. A real handset holds it in RAM; the virtual one keeps it in a
// file next to its state so that a fleet of handsets with 256 MiB buffers costs no memory. Runs of
// zeros are left as holes in the file and read back from memory (see zeros.ts).
import { open, rm, type FileHandle } from 'node:fs/promises';
import { Extents } from './extents.ts';
import { isZero, ZERO_PIECE, zeros } from './zeros.ts';

const READ_PIECE = ZERO_PIECE;
/** Download data arrives in link-sized pieces (64 KiB over TCP); it reaches the file in writes of this size. */
const WRITE_PIECE = 1024 * 1024;
/** The grain at which runs of zeros are not written: small enough to catch the zeros between a sparse image's data. */
const HOLE_GRAIN = 64 * 1024;

export class DownloadBuffer {
  readonly capacity: number;
  readonly #path: string;
  #file: FileHandle | null = null;
  #expected = 0;
  #received = 0;
  /** Received data not written to the file yet: a run that ends where the download has arrived. */
  readonly #staged = new Uint8Array(WRITE_PIECE);
  #stagedBytes = 0;
  /** The ranges of the download in progress that reached the file; the rest are holes. */
  #written = new Extents();
  /** The two buffers `content` reads into, made on first use and kept: a flash should not allocate 2 MiB. */
  #readBuffers: readonly [Uint8Array, Uint8Array] | null = null;

  constructor(path: string, capacity: number) {
    this.#path = path;
    this.capacity = capacity;
  }

  /** Bytes of the last completed download; 0 while none is complete. */
  get size(): number {
    return this.#received === this.#expected ? this.#expected : 0;
  }

  /** Bytes still to come for the download in progress. */
  get remaining(): number {
    return this.#expected - this.#received;
  }

  /** Starts a download of `size` bytes, dropping what the buffer held. */
  async begin(size: number): Promise<void> {
    if (size <= 0 || size > this.capacity) throw new RangeError(`download of ${size} bytes does not fit the ${this.capacity}-byte buffer`);
    this.#file ??= await open(this.#path, 'w+', 0o600);
    await this.#file.truncate(0);
    this.#expected = size;
    this.#received = 0;
    this.#stagedBytes = 0;
    this.#written = new Extents();
  }

  /** Appends data of the download in progress (the caller never passes more than `remaining`). */
  async append(data: Uint8Array): Promise<void> {
    if (!this.#file || data.length > this.remaining) throw new RangeError(`${data.length} bytes arrived but the download expects ${this.remaining}`);
    // Cut at the grain's boundaries in the download; zero parts are never copied, only skipped.
    for (let done = 0; done < data.length; ) {
      const part = data.subarray(done, done + Math.min(HOLE_GRAIN - (this.#received % HOLE_GRAIN), WRITE_PIECE - this.#stagedBytes));
      if (isZero(part)) {
        await this.#flush();
      } else {
        this.#staged.set(part, this.#stagedBytes);
        this.#stagedBytes += part.length;
      }
      this.#received += part.length;
      done += part.length;
      if (this.#stagedBytes === WRITE_PIECE) await this.#flush();
    }
    // The download is complete only once all of it is in the file, trailing zeros as a hole.
    if (this.remaining === 0) {
      await this.#flush();
      await this.#file.truncate(this.#expected);
    }
  }

  /** Writes the staged run of data, which ends where the download has arrived. */
  async #flush(): Promise<void> {
    const file = this.#file;
    if (!file || this.#stagedBytes === 0) return;
    const at = this.#received - this.#stagedBytes;
    this.#written.add(at, this.#received);
    for (let done = 0; done < this.#stagedBytes; ) {
      const { bytesWritten } = await file.write(this.#staged, done, this.#stagedBytes - done, at + done);
      done += bytesWritten;
    }
    this.#stagedBytes = 0;
  }

  /** The first bytes of the completed download (fewer if it is shorter). */
  async head(length: number): Promise<Uint8Array> {
    const bytes = new Uint8Array(Math.min(length, this.size));
    if (this.#file && bytes.length > 0) await this.#file.read(bytes, 0, bytes.length, 0);
    return bytes;
  }

  /**
   * The completed download in pieces read into two buffers used in turn, so reading a 256 MiB
   * download allocates nothing per piece; one reading at a time (one flash per handset). A piece
   * stays valid until the one after the next is requested, which covers a reader that joins a
   * header straddling two pieces.
   */
  async *content(): AsyncGenerator<Uint8Array> {
    const file = this.#file;
    const size = this.size;
    if (!file || size === 0) throw new RangeError('no download is complete');
    const buffers = (this.#readBuffers ??= [new Uint8Array(READ_PIECE), new Uint8Array(READ_PIECE)]);
    for (let done = 0, turn = 0; done < size; turn ^= 1) {
      const length = Math.min(READ_PIECE, size - done);
      if (!this.#written.touches(done, done + length)) {
        yield zeros(length);
        done += length;
        continue;
      }
      const buffer = buffers[turn] as Uint8Array;
      const { bytesRead } = await file.read(buffer, 0, length, done);
      if (bytesRead === 0) throw new RangeError(`the download buffer ended after ${done} of ${size} bytes`);
      done += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  }

  /** Forgets the content, as a reboot clears a bootloader's RAM. */
  async clear(): Promise<void> {
    this.#expected = 0;
    this.#received = 0;
    this.#stagedBytes = 0;
    this.#written = new Extents();
    await this.#file?.truncate(0);
  }

  async dispose(): Promise<void> {
    const file = this.#file;
    this.#file = null;
    this.#expected = 0;
    this.#received = 0;
    await file?.close();
    await rm(this.#path, { force: true });
  }
}
