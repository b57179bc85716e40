// Partition content of one virtual handset: one sparse file per partition, created at full size
// with ftruncate, so a 4 GiB userdata costs neither RAM nor disk until something is written.
// Zeros are written only over bytes that are not zero already, so flashing an image that is mostly
// empty (the usual case) keeps the file sparse too.
import { createHash } from 'node:crypto';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { contentDigests, ContentLog } from './content-digest.ts';
import { Extents } from './extents.ts';
import type { PartitionSpec } from './platform.ts';
import { isZero, ZERO_PIECE as PIECE, zeros } from './zeros.ts';

/** What is known of a partition erased during this run: the ranges written since, and the log of those writes that names its content. */
interface KnownContent {
  readonly written: Extents;
  readonly log: ContentLog;
}

export class PartitionStore {
  readonly #directory: string;
  readonly #specs: ReadonlyMap<string, PartitionSpec>;
  /** What was written to each partition erased during this run; absent: unknown, read the file. */
  readonly #known = new Map<string, KnownContent>();

  private constructor(directory: string, specs: readonly PartitionSpec[]) {
    this.#directory = directory;
    this.#specs = new Map(specs.map((spec) => [spec.name, spec]));
  }

  /** Opens (creating where missing) the partition files under `directory`, keeping existing content. */
  static async open(directory: string, specs: readonly PartitionSpec[]): Promise<PartitionStore> {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    const store = new PartitionStore(directory, specs);
    for (const spec of specs) {
      const file = await open(store.#path(spec.name), 'a+', 0o600);
      try {
        if ((await file.stat()).size !== spec.size) await file.truncate(spec.size);
      } finally {
        await file.close();
      }
    }
    return store;
  }

  get partitions(): readonly PartitionSpec[] {
    return [...this.#specs.values()];
  }

  spec(name: string): PartitionSpec | undefined {
    return this.#specs.get(name);
  }

  /** Makes the whole partition read as zeros, returning its blocks to the file system. */
  async erase(name: string): Promise<void> {
    const spec = this.#require(name);
    const file = await open(this.#path(name), 'r+');
    try {
      await file.truncate(0);
      await file.truncate(spec.size);
    } finally {
      await file.close();
    }
    this.#known.set(name, { written: new Extents(), log: new ContentLog() });
  }

  async openWriter(name: string): Promise<PartitionWriter> {
    const spec = this.#require(name);
    return new PartitionWriter(spec, await open(this.#path(name), 'r+'), this.#known.get(name) ?? null);
  }

  /** SHA-256 (hex) of the first `bytes` bytes of the partition. */
  async sha256(name: string, bytes: number): Promise<string> {
    const spec = this.#require(name);
    if (bytes < 0 || bytes > spec.size) throw new RangeError(`${bytes} bytes is outside ${name} (${spec.size} bytes)`);
    const file = await open(this.#path(name), 'r');
    try {
      // A file with no blocks allocated is all holes; otherwise holes are known only for ranges not
      // written since an erase this run. Unknown: hash every byte of the file.
      const known = (await file.stat()).blocks === 0 ? { written: new Extents(), log: new ContentLog() } : this.#known.get(name);
      if (known === undefined) return await hashFile(file, name, bytes, null);
      return await contentDigests.of(known.log.key(bytes), async () => known.log.digestFromPrefix(bytes) ?? (await hashFile(file, name, bytes, known.written)));
    } finally {
      await file.close();
    }
  }

  /** Up to `length` bytes from `offset` (fewer at the partition's end). */
  async read(name: string, offset: number, length: number): Promise<Uint8Array> {
    const spec = this.#require(name);
    const bytes = new Uint8Array(Math.max(0, Math.min(length, spec.size - offset)));
    const file = await open(this.#path(name), 'r');
    try {
      for (let done = 0; done < bytes.length; ) {
        const { bytesRead } = await file.read(bytes, done, bytes.length - done, offset + done);
        if (bytesRead === 0) throw new RangeError(`${name} ended after ${offset + done} bytes`);
        done += bytesRead;
      }
    } finally {
      await file.close();
    }
    return bytes;
  }

  #require(name: string): PartitionSpec {
    const spec = this.#specs.get(name);
    if (!spec) throw new RangeError(`no partition ${name}`);
    return spec;
  }

  #path(name: string): string {
    return join(this.#directory, `${name}.img`);
  }
}

/**
 * Hashes the first `bytes` bytes of a partition file through one reused buffer. Ranges outside
 * `written` (when known) are holes, hashed as zeros from memory: that spares the page cache and the
 * kernel gigabytes of zero pages.
 */
async function hashFile(file: FileHandle, name: string, bytes: number, written: Extents | null): Promise<string> {
  const hash = createHash('sha256');
  const piece = new Uint8Array(PIECE);
  for (let done = 0; done < bytes; ) {
    const length = Math.min(PIECE, bytes - done);
    if (written !== null && !written.touches(done, done + length)) {
      hash.update(zeros(length));
      done += length;
      continue;
    }
    const read = await readAt(file, name, piece.subarray(0, length), done);
    hash.update(read);
    done += read.length;
  }
  return hash.digest('hex');
}

/** Reads into `into` from `offset`, returning the bytes read (at least one). */
async function readAt(file: FileHandle, name: string, into: Uint8Array, offset: number): Promise<Uint8Array> {
  const { bytesRead } = await file.read(into, 0, into.length, offset);
  if (bytesRead === 0) throw new RangeError(`${name} ended after ${offset} bytes`);
  return into.subarray(0, bytesRead);
}

/**
 * Writes into one partition. What was written survives the simulator being killed (it is in the
 * page cache) without an fsync: 16 handsets syncing their partitions at the end of each flash queued
 * on the host's one disk and lengthened every flash command, while a power cut of the host is not a
 * fault the simulator models.
 */
export class PartitionWriter {
  readonly #spec: PartitionSpec;
  readonly #file: FileHandle;
  /** For reading back what a zero write would cover; made only when one needs it. */
  #scratch: Uint8Array | null = null;
  readonly #known: KnownContent | null;

  /** `known`: the partition's writes since its erase, when known; the writer keeps them current. */
  constructor(spec: PartitionSpec, file: FileHandle, known: KnownContent | null) {
    this.#spec = spec;
    this.#file = file;
    this.#known = known;
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    this.#check(offset, data.length);
    for (let done = 0; done < data.length; done += PIECE) {
      const piece = data.subarray(done, done + PIECE);
      if (isZero(piece)) await this.#zero(offset + done, piece.length);
      else await this.#writeAll(offset + done, piece);
    }
  }

  /** Writes `length` bytes of a repeated 4-byte pattern (a sparse FILL chunk). */
  async fill(offset: number, length: number, pattern: Uint8Array): Promise<void> {
    this.#check(offset, length);
    if (isZero(pattern)) {
      for (let done = 0; done < length; done += PIECE) await this.#zero(offset + done, Math.min(PIECE, length - done));
      return;
    }
    const repeated = new Uint8Array(Math.min(PIECE, length));
    for (let at = 0; at < repeated.length; at += pattern.length) repeated.set(pattern.subarray(0, repeated.length - at), at);
    for (let done = 0; done < length; done += PIECE) await this.#writeAll(offset + done, repeated.subarray(0, Math.min(PIECE, length - done)));
  }

  async close(): Promise<void> {
    await this.#file.close();
  }

  #check(offset: number, length: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + length > this.#spec.size) {
      throw new RangeError(`write of ${length} bytes at ${offset} does not fit ${this.#spec.name} (${this.#spec.size} bytes)`);
    }
  }

  /** Writes zeros only where the partition holds something else, so holes stay holes. */
  async #zero(offset: number, length: number): Promise<void> {
    if (this.#known && !this.#known.written.touches(offset, offset + length)) return;
    const current = (this.#scratch ??= new Uint8Array(PIECE)).subarray(0, length);
    const { bytesRead } = await this.#file.read(current, 0, length, offset);
    if (bytesRead === length && isZero(current)) return;
    await this.#writeAll(offset, zeros(length));
  }

  async #writeAll(offset: number, data: Uint8Array): Promise<void> {
    this.#known?.written.add(offset, offset + data.length);
    this.#known?.log.wrote(offset, data);
    for (let done = 0; done < data.length; ) {
      const { bytesWritten } = await this.#file.write(data, done, data.length - done, offset + done);
      done += bytesWritten;
    }
  }
}
