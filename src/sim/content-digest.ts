// SHA-256 of partition content, computed once per distinct content for the whole simulator process.
// A fleet flashed from one bundle holds the same bytes in every handset, and one thread hashing
// 16 copies of a 336 MiB partition was the longest phase of the provisioning benchmark, where 16
// real handsets would each hash on their own CPU at once. The content is named by the log of the
// writes that made it (ContentLog), so naming it costs the written bytes, not the partition's size;
// the answer is still the SHA-256 of every byte.
import { createHash, type Hash } from 'node:crypto';
import { PieceDigests } from './piece-digests.ts';
import { ZERO_PIECE, zeros } from './zeros.ts';

/** Distinct contents remembered; a depot's fleet has a handful (one per partition of one bundle). */
const REMEMBERED = 64;

export class ContentDigests {
  readonly #digests = new Map<string, Promise<string>>();

  /** The digest of the content named by `key`, from `compute` only when no handset asked for it before (or is asking now). */
  of(key: string, compute: () => Promise<string>): Promise<string> {
    const known = this.#digests.get(key);
    if (known) {
      this.#digests.delete(key);
      this.#digests.set(key, known);
      // Another handset's failure (its file went away mid-read) is not this one's: hash its own.
      return known.catch(compute);
    }
    const digest = compute();
    setBounded(this.#digests, key, digest, REMEMBERED);
    digest.catch(() => this.#digests.delete(key));
    return digest;
  }
}

/**
 * Names a partition's content by the writes that made it since its erase, as they happen: the same
 * writes into an erased partition make the same bytes, so their log (each write's offset, length and
 * the SHA-256 of its data) is a key of the content, and nothing is hashed at verify. The SHA-256 of a
 * write's data is shared by the handsets making the same write (`PieceDigests`, which compares the
 * bytes), so the first one hashes it and the others compare it. Different writes that happen to
 * make the same bytes only miss the sharing.
 *
 * While the writes go forward (as a flash's pieces and chunks do), the SHA-256 of the content up to
 * the last write is kept too, under the log's key in a table every handset shares: the first handset
 * to make a write extends the previous prefix (the zeros since it, then the data) and the others
 * take the result, so a verify only adds the zeros after the last write.
 */
export class ContentLog {
  readonly #log = createHash('sha256').update('lockstep-sim-content-v3\n');
  /** The key under which `prefixes` holds the content's hash up to its last write; null once writes went backwards. */
  #prefixKey: string | null;

  constructor() {
    this.#prefixKey = this.#current();
    if (!prefixes.has(this.#prefixKey)) setBounded(prefixes, this.#prefixKey, { hash: createHash('sha256'), end: 0 }, PREFIXES_KEPT);
  }

  wrote(offset: number, data: Uint8Array): void {
    this.#log.update(`${offset}+${data.length}\n`);
    this.#log.update(pieceDigests.of(offset, data));
    const key = this.#current();
    const before = this.#prefixKey === null ? undefined : prefixes.get(this.#prefixKey);
    if (prefixes.has(key)) this.#prefixKey = key;
    else if (before && offset >= before.end) {
      const hash = before.hash.copy();
      updateZeros(hash, offset - before.end);
      setBounded(prefixes, key, { hash: hash.update(data), end: offset + data.length }, PREFIXES_KEPT);
      this.#prefixKey = key;
    } else this.#prefixKey = null;
  }

  /** The key of the content's first `bytes` bytes. */
  key(bytes: number): string {
    return this.#log.copy().update(`=${bytes}\n`).digest('hex');
  }

  /** SHA-256 of the content's first `bytes` bytes from the kept prefix, or null when there is none to use. */
  digestFromPrefix(bytes: number): string | null {
    const prefix = this.#prefixKey === null ? undefined : prefixes.get(this.#prefixKey);
    if (!prefix || prefix.end > bytes) return null;
    const hash = prefix.hash.copy();
    updateZeros(hash, bytes - prefix.end);
    return hash.digest('hex');
  }

  #current(): string {
    return this.#log.copy().digest('hex');
  }
}

interface Prefix {
  /** SHA-256 state after the content's first `end` bytes; never updated in place (copied to extend). */
  readonly hash: Hash;
  readonly end: number;
}

/** Prefix hashes by log key, shared by every handset; only the latest few matter, so a bounded table. */
const prefixes = new Map<string, Prefix>();
const PREFIXES_KEPT = 4096;

/** Sets `key`, then drops the entries set longest ago while the map holds more than `kept`. */
function setBounded<V>(map: Map<string, V>, key: string, value: V, kept: number): void {
  map.set(key, value);
  for (const oldest of map.keys()) {
    if (map.size <= kept) break;
    map.delete(oldest);
  }
}

function updateZeros(hash: Hash, length: number): void {
  for (let done = 0; done < length; done += ZERO_PIECE) hash.update(zeros(Math.min(ZERO_PIECE, length - done)));
}

/** Shared by every handset of the process: an answer is a function of its key alone, so sharing cannot leak state between handsets. */
export const contentDigests = new ContentDigests();
/** Shared likewise: a digest is given only for bytes equal to those it was computed from. */
const pieceDigests = new PieceDigests();
