// Waiting until a condition holds, for code that changes the condition and then wakes everyone:
// each waiter re-checks when woken (one may have given up, another may have been quicker), and an
// aborted waiter stops waiting at once.

export class WaitList {
  readonly #waiters: (() => void)[] = [];

  /** Resolves once `ready()` holds, checking again each time `wakeAll` is called; rejects when `signal` aborts. */
  async until(ready: () => boolean, signal: AbortSignal): Promise<void> {
    while (!ready()) {
      signal.throwIfAborted();
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
    signal.throwIfAborted();
  }

  wakeAll(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
