// Live state for the front ends, after OpenHTF's station API: whoever changes state only marks it
// dirty; a snapshot is built and published at most ten times a second however many handsets change,
// each with a higher version, and a new subscriber gets the latest snapshot at once.

const INTERVAL_MS = 100;

export type SnapshotListener<T> = (snapshot: T) => void;

export class CoalescedPublisher<T extends { readonly version: number }> {
  readonly #build: (version: number) => T;
  readonly #listeners = new Set<SnapshotListener<T>>();
  #latest: T;
  #timer: NodeJS.Timeout | null = null;
  #lastPublished = 0;

  constructor(build: (version: number) => T) {
    this.#build = build;
    this.#latest = build(0);
  }

  get latest(): T {
    return this.#latest;
  }

  /** State changed: publish soon, coalesced with every other change until then. */
  mark(): void {
    if (this.#timer) return;
    const wait = Math.max(0, this.#lastPublished + INTERVAL_MS - Date.now());
    this.#timer = setTimeout(() => this.flush(), wait);
  }

  /** Publishes now (the batch ending, a test); cancels a pending publication. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#lastPublished = Date.now();
    this.#latest = this.#build(this.#latest.version + 1);
    for (const listener of [...this.#listeners]) listener(this.#latest);
  }

  subscribe(listener: SnapshotListener<T>): () => void {
    this.#listeners.add(listener);
    listener(this.#latest);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#listeners.clear();
  }
}
