// One stream of station events: the latest value for whoever subscribes later, and every new one
// for whoever listens now.
export class Topic<T> {
  #latest: T | null = null;
  readonly #listeners = new Set<(value: T) => void>();

  get latest(): T | null {
    return this.#latest;
  }

  publish(value: T): void {
    this.#latest = value;
    for (const listener of [...this.#listeners]) listener(value);
  }

  /** Delivers the latest value at once (when there is one), then every new one; returns the unsubscribe function. */
  subscribe(listener: (value: T) => void): () => void {
    this.#listeners.add(listener);
    if (this.#latest !== null) listener(this.#latest);
    return () => void this.#listeners.delete(listener);
  }

  close(): void {
    this.#listeners.clear();
  }
}
