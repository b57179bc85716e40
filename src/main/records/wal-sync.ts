// Makes what is already committed to the write-ahead log durable against a power cut, without
// holding the station's one thread: the fdatasync runs on libuv's pool. Step events commit with
// synchronous=NORMAL (durable across a crash of the station, see transactions.ts); before an
// irreversible step the pipeline awaits this, and callers that arrive while a sync runs share the
// next one (group commit), so 16 handsets reaching their fuse step together cost two syncs, not 16.
import { open } from 'node:fs/promises';

export class WalSync {
  readonly #walPath: string;
  #running: Promise<void> | null = null;
  #next: Promise<void> | null = null;

  constructor(databasePath: string) {
    this.#walPath = `${databasePath}-wal`;
  }

  /** Resolves once every frame committed before the call is on stable storage. */
  sync(): Promise<void> {
    // A sync already running may have started before the caller's commit: it needs the next one.
    if (this.#running === null) return this.#start();
    this.#next ??= this.#running.then(
      () => this.#startNext(),
      () => this.#startNext(),
    );
    return this.#next;
  }

  #startNext(): Promise<void> {
    this.#next = null;
    return this.#start();
  }

  #start(): Promise<void> {
    const running = this.#datasync().finally(() => {
      if (this.#running === running) this.#running = null;
    });
    this.#running = running;
    return running;
  }

  async #datasync(): Promise<void> {
    // Opened per sync: SQLite may delete and recreate the -wal file, and a stale descriptor would sync nothing.
    const file = await open(this.#walPath, 'r').catch((error: NodeJS.ErrnoException) => {
      // No WAL file: everything committed was checkpointed into the database, which SQLite synced.
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (file === null) return;
    try {
      await file.datasync();
    } finally {
      await file.close();
    }
  }
}
