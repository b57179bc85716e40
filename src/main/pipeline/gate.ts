// Two small coordination tools of the batch: a gate that holds every handset at its next step
// boundary while the batch is paused, and a counted permit for the flashing places (--parallel).
import { WaitList } from '../async/wait-list.ts';

export class PauseGate {
  #paused = false;
  readonly #waiting = new WaitList();

  get paused(): boolean {
    return this.#paused;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#waiting.wakeAll();
  }

  /** Resolves at once unless paused; then when resumed, or rejects when `signal` aborts. */
  pass(signal: AbortSignal): Promise<void> {
    return this.#waiting.until(() => !this.#paused, signal);
  }
}

export class Permits {
  #free: number;
  readonly #waiting = new WaitList();

  constructor(count: number) {
    this.#free = count;
  }

  /** Waits for a permit; the returned function gives it back (once). */
  async take(signal: AbortSignal): Promise<() => void> {
    await this.#waiting.until(() => this.#free > 0, signal);
    this.#free -= 1;
    let returned = false;
    return () => {
      if (returned) return;
      returned = true;
      this.#free += 1;
      this.#waiting.wakeAll();
    };
  }
}
