// Verification results kept for one batch, so the second handset of a batch does not wait for
// gigabytes to be hashed again. The key is the manifest's hash plus the identity (path, size,
// mtime, inode) of every file; the signature is always checked again, it costs microseconds.
// A file rewritten in place with the same size within the same mtime tick would keep its key:
// that is why the flasher hashes the stream again while sending it (image-source.ts).
import type { FileDigests } from './prefix-digest.ts';

export class VerificationCache {
  readonly #entries = new Map<string, readonly FileDigests[]>();

  static key(manifestSha256: string, identities: readonly string[]): string {
    return JSON.stringify([manifestSha256, ...identities]);
  }

  get(key: string): readonly FileDigests[] | undefined {
    return this.#entries.get(key);
  }

  set(key: string, digests: readonly FileDigests[]): void {
    this.#entries.set(key, digests);
  }

  clear(): void {
    this.#entries.clear();
  }
}
