// Two small coordination tools of the batch: a gate that holds every handset at its next step
// boundary while the batch is paused, and a counted permit for the flashing places (--parallel).

export class PauseGate {
  #paused = false;
  #waiters: (() => void)[] = [];

  get paused(): boolean {
    return this.#paused;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Resolves at once unless paused; then when resumed, or rejects when `signal` aborts. */
  async pass(signal: AbortSignal): Promise<void> {
    while (this.#paused) {
      signal.throwIfAborted();
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
    signal.throwIfAborted();
  }
}

export class Permits {
  #free: number;
  readonly #waiters: (() => void)[] = [];

  constructor(count: number) {
    this.#free = count;
  }

  /** Waits for a permit; the returned function gives it back (once). */
  async take(signal: AbortSignal): Promise<() => void> {
    while (this.#free === 0) {
      signal.throwIfAborted();
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
    signal.throwIfAborted();
    this.#free -= 1;
    let returned = false;
    return () => {
      if (returned) return;
      returned = true;
      this.#free += 1;
      // Every waiter re-checks: one may have given up (aborted) since it queued.
      for (const wake of this.#waiters.splice(0)) wake();
    };
  }
}
