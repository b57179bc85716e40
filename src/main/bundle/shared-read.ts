// One read of an image serves every handset flashing it at the same time. A batch starts its
// handsets together and their links run at the same rate, so they ask for the same blocks within
// seconds of each other: reading and hashing each block once for all of them, instead of once per
// handset, was most of the station's CPU in the provisioning benchmark. The read keeps a window of
// the latest blocks; a handset that falls behind the window (or arrives after the read has moved
// past the first block) reads the image on its own, with the same checks, so sharing only ever
// saves work and never changes what a handset receives.

/** Opens a fresh read of the image as consecutive blocks of one fixed size (the last may be shorter). */
export type BlockReader = () => AsyncGenerator<Uint8Array>;

const END = Symbol('end');

interface Cursor {
  /** The lowest block index this reader may still ask for. */
  at: number;
  /** Fell behind the window: its next block is no longer held. */
  detached: boolean;
}

/** The shared reads of one image. */
export class SharedRead {
  readonly #open: BlockReader;
  readonly #window: number;
  #current: ReadGroup | null = null;

  /** `windowBlocks`: how many of the latest blocks a read keeps for the readers behind the fastest one. */
  constructor(open: BlockReader, windowBlocks: number) {
    this.#open = open;
    this.#window = windowBlocks;
  }

  /** The image's blocks from the first, from the read in progress when it still holds the first block, else from a new one. */
  async *read(signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    const group = this.#current?.joinable() ? this.#current : (this.#current = new ReadGroup(this.#open(), this.#window));
    const cursor = group.join();
    try {
      for (let index = 0; ; index++) {
        signal?.throwIfAborted();
        const block = await abortable(group.block(cursor, index), signal);
        if (block === END) return;
        if (block === null) {
          for await (const own of skipBlocks(this.#open(), index)) {
            signal?.throwIfAborted();
            yield own;
          }
          return;
        }
        cursor.at = index + 1;
        yield block;
      }
    } finally {
      group.leave(cursor);
      if (this.#current === group && group.closed) this.#current = null;
    }
  }
}

/** One read of the image and the readers sharing it. */
class ReadGroup {
  readonly #source: AsyncGenerator<Uint8Array>;
  readonly #window: number;
  readonly #blocks = new Map<number, Uint8Array>();
  readonly #cursors = new Set<Cursor>();
  /** Blocks read from the source so far. */
  #next = 0;
  #ended = false;
  #failure: { readonly error: unknown } | null = null;
  #pulling: Promise<void> | null = null;
  #closed = false;

  constructor(source: AsyncGenerator<Uint8Array>, window: number) {
    this.#source = source;
    this.#window = window;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** A new reader can start here while the first block is still at hand and the read has not failed. */
  joinable(): boolean {
    return !this.#closed && this.#failure === null && (this.#next === 0 || this.#blocks.has(0));
  }

  join(): Cursor {
    const cursor: Cursor = { at: 0, detached: false };
    this.#cursors.add(cursor);
    return cursor;
  }

  /** Block `index`, END after the last, or null when the window has moved past it (read on your own). */
  async block(cursor: Cursor, index: number): Promise<Uint8Array | typeof END | null> {
    for (;;) {
      const held = this.#blocks.get(index);
      if (held) return held;
      if (cursor.detached || index < this.#next) return null;
      if (this.#failure) throw this.#failure.error;
      if (this.#ended) return END;
      this.#pulling ??= this.#pull().finally(() => (this.#pulling = null));
      await this.#pulling;
    }
  }

  leave(cursor: Cursor): void {
    this.#cursors.delete(cursor);
    if (this.#cursors.size > 0) return;
    this.#closed = true;
    this.#blocks.clear();
    // Ends the source's read (closing its file) once any pull in progress has settled.
    void (this.#pulling ?? Promise.resolve()).then(() => this.#source.return(undefined)).catch(() => undefined);
  }

  async #pull(): Promise<void> {
    try {
      const { done, value } = await this.#source.next();
      if (done) {
        this.#ended = true;
        return;
      }
      this.#blocks.set(this.#next, value);
      this.#next++;
      const oldest = this.#next - this.#window;
      this.#blocks.delete(oldest - 1);
      for (const cursor of this.#cursors) if (cursor.at < oldest) cursor.detached = true;
    } catch (error) {
      this.#failure = { error };
    }
  }
}

/** A reader's own read, from block `first` on: the blocks before it are still read (and checked) but not handed out. */
async function* skipBlocks(blocks: AsyncGenerator<Uint8Array>, first: number): AsyncGenerator<Uint8Array> {
  let index = 0;
  for await (const block of blocks) if (index++ >= first) yield block;
}

/** Stops waiting for a shared block when this reader is cancelled; the read itself goes on for the others. */
function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
