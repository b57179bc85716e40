/**
 * Pulls exact byte counts out of a chunked stream without ever holding more than one source chunk
 * (plus a header's worth of carry-over) in memory.
 */
export class ByteReader {
  readonly #source: AsyncIterator<Uint8Array>;
  #pending: Uint8Array = new Uint8Array(0);
  #position = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#source = source[Symbol.asyncIterator]();
  }

  /** Bytes consumed so far. */
  get position(): number {
    return this.#position;
  }

  /**
   * Reads exactly `length` bytes; null at a clean end of stream. Bytes within one source chunk are
   * a view of it; bytes straddling chunks are copied as each chunk arrives, since a source may
   * reuse its buffer for the next chunk (a socket reading into one buffer).
   */
  async readExact(length: number): Promise<Uint8Array | null> {
    if (this.#pending.length === 0 && length > 0 && !(await this.#fill())) return null;
    if (this.#pending.length >= length) return this.#take(length);
    const out = new Uint8Array(length);
    let have = 0;
    while (have < length) {
      if (this.#pending.length === 0 && !(await this.#fill())) throw new RangeError(`stream ended ${length - have} bytes early`);
      const piece = this.#take(Math.min(length - have, this.#pending.length));
      out.set(piece, have);
      have += piece.length;
    }
    return out;
  }

  /** Yields exactly `length` bytes as they arrive, in pieces no larger than the source's chunks. */
  async *stream(length: number): AsyncGenerator<Uint8Array> {
    let left = length;
    while (left > 0) {
      if (this.#pending.length === 0 && !(await this.#fill())) throw new RangeError(`stream ended ${left} bytes early`);
      const piece = this.#take(Math.min(left, this.#pending.length));
      left -= piece.length;
      yield piece;
    }
  }

  /** True when the source has no bytes left. */
  async atEnd(): Promise<boolean> {
    return this.#pending.length === 0 && !(await this.#fill());
  }

  /** Ends the source early (closing a file it reads) when the consumer stops before its end. */
  async close(): Promise<void> {
    this.#pending = new Uint8Array(0);
    await this.#source.return?.();
  }

  async #fill(): Promise<boolean> {
    for (;;) {
      const next = await this.#source.next();
      if (next.done) return false;
      if (next.value.length > 0) {
        this.#pending = next.value;
        return true;
      }
    }
  }

  #take(length: number): Uint8Array {
    const piece = this.#pending.subarray(0, length);
    this.#pending = this.#pending.subarray(length);
    this.#position += length;
    return piece;
  }
}

