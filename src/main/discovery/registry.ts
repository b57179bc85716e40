// The handset registry: every backend's presences in one list, with attach and detach events (as
// ya-webadb's device observer: added, removed, list changed). A backend that cannot start (no USB
// bus, no udevadm) is a status line, never a crash.
import type { SystemCondition, TransportStatus } from '../../shared/types.ts';
import { describeFailure } from '../../shared/describe-failure.ts';
import type { DiscoveryBackend, Presence } from './presence.ts';
import { systemCondition } from './system-condition.ts';

export type RegistryEvent = { readonly type: 'attach'; readonly presence: Presence } | { readonly type: 'detach'; readonly presence: Presence };
type Listener = (event: RegistryEvent) => void;

export class HandsetRegistry {
  readonly #backends: readonly DiscoveryBackend[];
  readonly #present = new Map<string, Presence>();
  readonly #listeners = new Set<Listener>();
  /** A backend whose start failed: the system's text and its condition, for its status line. */
  readonly #failed = new Map<DiscoveryBackend, { readonly text: string; readonly condition: SystemCondition }>();

  constructor(backends: readonly DiscoveryBackend[]) {
    this.#backends = backends;
  }

  async start(): Promise<void> {
    for (const backend of this.#backends) {
      const sink = { attach: (presence: Presence) => this.#attach(presence), detach: (id: string) => this.#detach(id) };
      await backend.start(sink).catch((error: unknown) => this.#failed.set(backend, { text: describeFailure(error), condition: systemCondition(error) }));
    }
  }

  list(): Presence[] {
    return [...this.#present.values()];
  }

  statuses(): TransportStatus[] {
    return this.#backends.map((backend) => {
      const failure = this.#failed.get(backend);
      if (failure === undefined) return backend.status();
      return { transport: backend.transport, available: false, detail: failure.text, words: { key: 'failed', params: { condition: failure.condition } } };
    });
  }

  /** Listens for attach and detach events; returns the function that stops listening. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.#listeners.clear();
    await Promise.all(this.#backends.map((backend) => backend.stop().catch(() => undefined)));
  }

  #attach(presence: Presence): void {
    const previous = this.#present.get(presence.id);
    if (previous) this.#emit({ type: 'detach', presence: previous });
    this.#present.set(presence.id, presence);
    this.#emit({ type: 'attach', presence });
  }

  #detach(id: string): void {
    const presence = this.#present.get(id);
    if (!presence) return;
    this.#present.delete(id);
    this.#emit({ type: 'detach', presence });
  }

  #emit(event: RegistryEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
