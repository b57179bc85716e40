// SHA-256 of partition content, computed once per distinct content for the whole simulator process.
// A fleet flashed from one bundle holds the same bytes in every handset, and one thread hashing
// 16 copies of a 336 MiB partition was the longest phase of the provisioning benchmark, where 16
// real handsets would each hash on their own CPU at once. The content is named by the log of the
// writes that made it (ContentLog), so naming it costs the written bytes, not the partition's size;
// the answer is still the SHA-256 of every byte.
import { createHash } from 'node:crypto';

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
    this.#digests.set(key, digest);
    digest.catch(() => this.#digests.delete(key));
    for (const oldest of this.#digests.keys()) {
      if (this.#digests.size <= REMEMBERED) break;
      this.#digests.delete(oldest);
    }
    return digest;
  }
}

/**
 * Names a partition's content by the writes that made it since its erase, as they happen: the same
 * writes into an erased partition make the same bytes, so their log is a key of the content that
 * costs hashing the written data once, while it is flashed (paced, so there is time), and nothing
 * at verify. Different writes that happen to make the same bytes only miss the sharing.
 */
export class ContentLog {
  readonly #hash = createHash('sha256').update('lockstep-sim-content-v2\n');

  wrote(offset: number, data: Uint8Array): void {
    this.#hash.update(`${offset}+${data.length}\n`);
    this.#hash.update(data);
  }

  /** The key of the content's first `bytes` bytes. */
  key(bytes: number): string {
    return this.#hash.copy().update(`=${bytes}\n`).digest('hex');
  }
}

/** Shared by every handset of the process: an answer is a function of its key alone, so sharing cannot leak state between handsets. */
export const contentDigests = new ContentDigests();
