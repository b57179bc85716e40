// The station's live events, carried to windows over IPC. Each subscription belongs to one
// webContents and sends to it alone: no broadcast that a second window (or a page that navigated
// away) would overhear. It ends when the window asks, or when its webContents is destroyed, so a
// closed window leaves no listener behind on the station.
import { eventIpcChannel, isApiEvent, type ApiEvent } from '../../shared/channels.ts';

/** The part of Electron's WebContents a subscription needs (kept narrow so tests need no Electron). */
export interface SubscriberContents {
  readonly id: number;
  isDestroyed(): boolean;
  send(channel: string, payload: unknown): void;
  once(event: 'destroyed', listener: () => void): unknown;
}

/** Where the events come from: the station API's subscribe (latest payload at once, then each new one). */
export interface EventSource {
  subscribe(event: ApiEvent, listener: (payload: unknown) => void): () => void;
}

export class EventSubscriptions {
  readonly #station: EventSource;
  /** Per webContents id, the station unsubscribe function of each event it follows. */
  readonly #byContents = new Map<number, Map<ApiEvent, () => void>>();

  constructor(station: EventSource) {
    this.#station = station;
  }

  /**
   * Starts sending `event` to `contents`, the latest payload at once. Asking again (a reloaded page)
   * replaces the old subscription, so each payload still arrives once. False for an unknown event.
   */
  subscribe(contents: SubscriberContents, event: unknown): boolean {
    if (!isApiEvent(event) || contents.isDestroyed()) return false;
    let events = this.#byContents.get(contents.id);
    if (!events) {
      events = new Map();
      this.#byContents.set(contents.id, events);
      contents.once('destroyed', () => this.#dropContents(contents.id));
    }
    events.get(event)?.();
    events.delete(event);
    const channel = eventIpcChannel(event);
    const stop = this.#station.subscribe(event, (payload) => {
      if (contents.isDestroyed()) this.#dropContents(contents.id);
      else contents.send(channel, payload);
    });
    // The station delivers the latest payload during subscribe; a contents destroyed meanwhile is gone.
    if (this.#byContents.get(contents.id) === events) events.set(event, stop);
    else stop();
    return true;
  }

  unsubscribe(contents: Pick<SubscriberContents, 'id'>, event: unknown): void {
    if (!isApiEvent(event)) return;
    const events = this.#byContents.get(contents.id);
    events?.get(event)?.();
    events?.delete(event);
  }

  /** How many subscriptions are live, across all windows. */
  get count(): number {
    return [...this.#byContents.values()].reduce((sum, events) => sum + events.size, 0);
  }

  /** Ends every subscription (the station is closing). */
  close(): void {
    for (const id of [...this.#byContents.keys()]) this.#dropContents(id);
  }

  #dropContents(id: number): void {
    const events = this.#byContents.get(id);
    this.#byContents.delete(id);
    for (const stop of events?.values() ?? []) stop();
  }
}
