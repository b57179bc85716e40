// The renderer's side of the station's events: any number of listeners per event share one IPC
// subscription, asked for when the first listener comes and given up when the last one leaves.
// A listener added later gets the latest payload at once, as the station API promises.
import { eventIpcChannel, isApiEvent, type ApiEvent } from '../shared/channels.ts';
import { EVENT_SUBSCRIBE, EVENT_UNSUBSCRIBE } from '../shared/event-ipc.ts';

type Listener = (payload: unknown) => void;
type Relay = (_event: unknown, payload: unknown) => void;

/** The part of Electron's ipcRenderer the relay needs. */
export interface EventTransport {
  on(channel: string, listener: Relay): unknown;
  off(channel: string, listener: Relay): unknown;
  send(channel: string, payload: unknown): void;
}

interface Followed {
  readonly listeners: Set<Listener>;
  readonly relay: Relay;
  latest: { readonly payload: unknown } | null;
}

export function createEventRelay(transport: EventTransport): (event: ApiEvent, listener: Listener) => () => void {
  const followed = new Map<ApiEvent, Followed>();
  return (event, listener) => {
    if (!isApiEvent(event)) throw new Error(`no such station event: ${String(event).slice(0, 40)}`);
    let entry = followed.get(event);
    if (entry) {
      entry.listeners.add(listener);
      if (entry.latest) listener(entry.latest.payload);
    } else {
      const listeners = new Set([listener]);
      const created: Followed = {
        listeners,
        latest: null,
        relay: (_event, payload) => {
          created.latest = { payload };
          for (const each of [...listeners]) each(payload);
        },
      };
      entry = created;
      followed.set(event, created);
      transport.on(eventIpcChannel(event), created.relay);
      transport.send(EVENT_SUBSCRIBE, event);
    }
    const own = entry;
    return () => {
      if (!own.listeners.delete(listener) || own.listeners.size > 0 || followed.get(event) !== own) return;
      followed.delete(event);
      transport.off(eventIpcChannel(event), own.relay);
      transport.send(EVENT_UNSUBSCRIBE, event);
    };
  };
}
