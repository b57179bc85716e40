// Small coordination tools of the batch: a gate that holds every handset at its next step boundary
// while the batch is paused, the supervisor's gate in front of the irreversible steps, and a counted
// permit for the flashing places (--parallel).
import { WaitList } from '../../lib/async/wait-list.ts';

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

/**
 * Where the handsets of a batch started without its supervisor wait before their first irreversible
 * step. Each asks the records whether it is granted that step, and asks again whenever a supervisor
 * authorises the batch. There is no timeout (a person must come); abort and unplug end the wait.
 */
export class AuthorisationGate {
  readonly #waiting = new WaitList();

  /** Resolves once `granted()` holds, asked now and after every authorisation; rejects when `signal` aborts. */
  wait(granted: () => boolean, signal: AbortSignal): Promise<void> {
    return this.#waiting.until(granted, signal);
  }

  /** A supervisor authorised the batch: every waiting handset asks again. */
  authorised(): void {
    this.#waiting.wakeAll();
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
