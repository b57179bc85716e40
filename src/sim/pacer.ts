import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Holds a byte stream to a rate (link bandwidth, flash write speed): each `account` call waits
 * until the bytes counted so far could have passed at that rate since the first call.
 */
export class Pacer {
  readonly #bytesPerSecond: number;
  readonly #signal: AbortSignal | undefined;
  #startedAt: number | null = null;
  #bytes = 0;

  /** `bytesPerSecond` 0 means unthrottled. The signal ends a wait early (the handset went away). */
  constructor(bytesPerSecond: number, signal?: AbortSignal) {
    this.#bytesPerSecond = bytesPerSecond;
    this.#signal = signal;
  }

  /** Starts the clock now rather than at the first `account`, so work done before that counts against the rate. */
  start(): void {
    this.#startedAt ??= performance.now();
  }

  async account(bytes: number): Promise<void> {
    if (this.#bytesPerSecond <= 0) return;
    this.#startedAt ??= performance.now();
    this.#bytes += bytes;
    const due = this.#startedAt + (this.#bytes / this.#bytesPerSecond) * 1000;
    const wait = due - performance.now();
    if (wait >= 1) await sleep(wait, undefined, this.#signal ? { signal: this.#signal } : undefined).catch(() => undefined);
  }
}
