// The SHA-256 of a written piece of data, computed once for every handset of the simulator that
// writes the same bytes at the same offset. A fleet flashed from one bundle writes the same pieces
// into every handset, and hashing each handset's copy was most of the simulator's CPU in a flash (a
// third of it with 16 handsets): comparing bytes (memcmp) costs a fraction of hashing them. The
// first handset's piece is kept, copied, to compare the others with; a piece that differs is hashed
// and kept instead. The digest is the SHA-256 of exactly the bytes given, whoever computed it.
import { createHash } from 'node:crypto';

/** Bytes of pieces kept to compare with: a bundle's data pieces, with room (a flash's pieces are at most 1 MiB). */
const KEPT_BYTES = 256 * 1024 * 1024;

interface Piece {
  readonly bytes: Uint8Array;
  readonly digest: Uint8Array;
}

export class PieceDigests {
  readonly #keptBytes: number;
  /** By offset and length, oldest first, so the least recently used is dropped first. */
  readonly #pieces = new Map<string, Piece>();
  #held = 0;

  constructor(keptBytes = KEPT_BYTES) {
    this.#keptBytes = keptBytes;
  }

  /** Bytes of pieces kept now. */
  get held(): number {
    return this.#held;
  }

  /** The SHA-256 of `data`, written at `offset`: a kept piece's when its bytes are the same, else computed (and the piece kept). */
  of(offset: number, data: Uint8Array): Uint8Array {
    const key = `${offset}+${data.length}`;
    const kept = this.#pieces.get(key);
    if (kept) this.#drop(key, kept);
    if (kept && Buffer.compare(kept.bytes, data) === 0) {
      this.#pieces.set(key, kept);
      this.#held += kept.bytes.length;
      return kept.digest;
    }
    const piece = { bytes: new Uint8Array(data), digest: createHash('sha256').update(data).digest() };
    if (piece.bytes.length > this.#keptBytes) return piece.digest;
    this.#pieces.set(key, piece);
    this.#held += piece.bytes.length;
    for (const [oldKey, old] of this.#pieces) {
      if (this.#held <= this.#keptBytes) break;
      this.#drop(oldKey, old);
    }
    return piece.digest;
  }

  #drop(key: string, piece: Piece): void {
    this.#pieces.delete(key);
    this.#held -= piece.bytes.length;
  }
}
