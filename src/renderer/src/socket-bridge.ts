// The station bridge over `lockstep serve`'s WebSocket: the same `window.lockstep` shape the
// Electron preload exposes (one function per channel answering with a result, and event
// subscriptions with the latest payload at once), for a page opened in a browser. It reconnects on
// its own when the station restarts and tells its listeners, so the UI can say so and drop live
// state from before the break; a call made while the socket is down fails at once instead of
// waiting to act later on a station the operator no longer sees.
import type { ApiErrorPayload, ApiResult, StationBridge } from '../../shared/api.ts';
import { API_CHANNELS, type ApiChannel, type ApiEvent } from '../../shared/channels.ts';
import { serverMessageSchema, STATION_SOCKET_PATH, type ClientMessage } from '../../shared/station-socket.ts';

/** `connecting` until the first open; `connected` while open; `reconnecting` after a break, with the number of the open to come. */
export interface Connection {
  readonly status: 'connecting' | 'connected' | 'reconnecting';
  /** Counts the opens: a new number is a new connection whose state must be read afresh. */
  readonly generation: number;
}

export interface SocketBridge {
  readonly bridge: StationBridge;
  readonly connection: () => Connection;
  /** Calls `listener` whenever the connection changes; returns the unsubscribe function. */
  readonly onConnection: (listener: () => void) => () => void;
}

const RETRY_MS = [250, 500, 1000, 2000, 4000] as const;
const DISCONNECTED: ApiErrorPayload = { code: 'disconnected', failure: null, message: 'The connection to the station is lost; it is being restored.' };

type Listener = (payload: unknown) => void;

export function connectSocketBridge(location: Pick<Location, 'protocol' | 'host'>): SocketBridge {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${STATION_SOCKET_PATH}`;
  let connection: Connection = { status: 'connecting', generation: 0 };
  const connectionListeners = new Set<() => void>();
  const pending = new Map<number, (result: ApiResult<ApiChannel>) => void>();
  const events = new Map<ApiEvent, Set<Listener>>();
  /** The latest payload of each event on this connection; none survives a break. */
  const latest = new Map<ApiEvent, unknown>();
  let nextId = 0;
  let socket: WebSocket | null = null;
  let failures = 0;

  const setConnection = (next: Connection): void => {
    connection = next;
    for (const listener of [...connectionListeners]) listener();
  };
  const send = (message: ClientMessage): boolean => {
    if (socket?.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(message));
    return true;
  };
  const open = (): void => {
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      failures = 0;
      setConnection({ status: 'connected', generation: connection.generation + 1 });
      for (const event of events.keys()) send({ type: 'subscribe', event });
    };
    ws.onmessage = (message) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(String(message.data));
      } catch {
        return;
      }
      const checked = serverMessageSchema.safeParse(parsed);
      if (!checked.success) return;
      const { data } = checked;
      if (data.type === 'result') {
        pending.get(data.id)?.(data.result as ApiResult<ApiChannel>);
        pending.delete(data.id);
      } else {
        latest.set(data.event, data.payload);
        for (const listener of [...(events.get(data.event) ?? [])]) listener(data.payload);
      }
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      latest.clear();
      // An answer that never came may or may not have been acted on: the UI reads the state again after reconnecting.
      for (const answer of pending.values()) answer({ ok: false, error: DISCONNECTED });
      pending.clear();
      if (connection.status === 'connected') setConnection({ status: 'reconnecting', generation: connection.generation });
      setTimeout(open, RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]);
    };
  };
  open();

  const call = (channel: ApiChannel, payload: unknown): Promise<ApiResult<ApiChannel>> =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      if (!send({ type: 'call', id, channel, payload })) {
        pending.delete(id);
        resolve({ ok: false, error: DISCONNECTED });
      }
    });
  const subscribe = (event: ApiEvent, listener: Listener): (() => void) => {
    let listeners = events.get(event);
    if (!listeners) {
      listeners = new Set();
      events.set(event, listeners);
      send({ type: 'subscribe', event });
    } else if (latest.has(event)) {
      listener(latest.get(event));
    }
    listeners.add(listener);
    const own = listeners;
    return () => {
      if (!own.delete(listener) || own.size > 0) return;
      events.delete(event);
      latest.delete(event);
      send({ type: 'unsubscribe', event });
    };
  };
  const bridge = {
    ...Object.fromEntries(API_CHANNELS.map((channel) => [channel, (payload: unknown) => call(channel, payload)])),
    subscribe,
  } as unknown as StationBridge;
  return {
    bridge,
    connection: () => connection,
    onConnection: (listener) => {
      connectionListeners.add(listener);
      return () => void connectionListeners.delete(listener);
    },
  };
}
